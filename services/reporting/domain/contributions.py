"""What one agreement adds to the event-driven figures (docs/domain.md#kpi-formulas counting rules).

The figures of ``realization``, ``effectiveness``, ``agreements`` and the amounts
(``value_cash``, ``value_in_kind`` by the signing year, ``revenue`` by the follow-up's date)
are sums over the agreements, so each agreement *contributes* to numerators and denominators, and an
event changes the figures by ``contributions(after) - contributions(before)``. A
contribution depends only on the agreement's facts, the dates its children were signed
and the partner its partner id stands for (after the registry's merges), so the sums do
not depend on the order in which streams are delivered.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date
from typing import Literal, NamedTuple
from uuid import UUID

from contracts.common import DocumentType
from contracts.kpi import Indicator
from contracts.roles import (
    PROVINCE,
    agency_scope,
    category_scope,
    kind_scope,
    partner_scope,
    priority_scope,
    stage_scope,
    type_scope,
)
from services.reporting.domain.facts import AgreementFacts
from services.reporting.domain.figures import FigureKey

EFFECTIVENESS_TYPES = frozenset({DocumentType.MOU, DocumentType.PKS})
"""Documents counted by effectiveness: memoranda (SINERGI's too) and PKS; not LOI, ADDENDUM."""
FOLLOWING_UP_TYPES = frozenset({DocumentType.PKS, DocumentType.ADDENDUM})
"""A signed document of these types follows up its parent."""

Part = Literal["numerator", "denominator"]


class Term(NamedTuple):
    """One part (numerator or denominator) of one figure."""

    key: FigureKey
    part: Part


def scopes(facts: AgreementFacts) -> tuple[str, ...]:
    """The scopes every figure of an agreement counts in: the province, its lead agency,
    kind and type, the category of its partner as proposed, and the priority it serves,
    if any (not its partner: only the counts and sums have partner figures)."""
    return scopes_of(facts.lead_opd, facts.kind.value, facts.document_type.value,
                     facts.priority, facts.category)


def scopes_of(lead_opd: str, kind: str, document_type: str, priority: str | None,
              category: str | None = None) -> tuple[str, ...]:
    """:func:`scopes` from the things they are made of."""
    where: tuple[str, ...] = (PROVINCE, agency_scope(lead_opd), kind_scope(kind),
                              type_scope(document_type))
    if category is not None:
        where = (*where, category_scope(category))
    return where if priority is None else (*where, priority_scope(priority))


def partner_scopes(facts: AgreementFacts, partner: UUID | None = None) -> tuple[str, ...]:
    """The ``partner:`` scope of an agreement's counts and sums (PARTNER_INDICATORS):
    ``partner``, the partner its partner id stands for, else that id itself (none for
    facts kept without one)."""
    counted_for = partner or facts.partner_id
    return () if counted_for is None else (partner_scope(counted_for),)


def amounts(facts: AgreementFacts) -> Counter[tuple[Indicator, int]]:
    """The rupiah the agreement adds per amount figure and year: its values in the year it
    was signed, each follow-up's revenue in the year of its date (nothing for an amount
    of 0 or none)."""
    found: Counter[tuple[Indicator, int]] = Counter()
    if facts.signed_on is not None:
        for indicator, value in ((Indicator.VALUE_CASH, facts.value_cash),
                                 (Indicator.VALUE_IN_KIND, facts.value_in_kind)):
            if value:
                found[indicator, facts.signed_on.year] += value
    for revenue in facts.revenues:
        if revenue.amount:
            found[Indicator.REVENUE, revenue.on.year] += revenue.amount
    return found


def followed_up_years(facts: AgreementFacts, child_signings: Iterable[date]) -> set[int]:
    """Years with a follow-up activity, a milestone completion or a child signed."""
    return {d.year for d in facts.activity_dates} | {d.year for d in child_signings}


def contributions(facts: AgreementFacts | None, child_signings: Iterable[date] = (), *,
                  effectiveness_types: frozenset[DocumentType] = EFFECTIVENESS_TYPES,
                  partner: UUID | None = None) -> Counter[Term]:
    """What the agreement adds to each numerator and denominator (``effectiveness_types``:
    the documents effectiveness counts, a rule a what-if may change; ``partner``: the
    partner its partner id stands for, :func:`.partners.survivor`)."""
    terms: Counter[Term] = Counter()
    if facts is None:
        return terms
    where = scopes(facts)
    if facts.plan_year is not None:
        signed_in_plan_year = (facts.signed_on is not None
                               and facts.signed_on.year == facts.plan_year)
        for scope in where:
            key = FigureKey(Indicator.REALIZATION, facts.plan_year, scope)
            terms[Term(key, "denominator")] += 1
            if signed_in_plan_year:
                terms[Term(key, "numerator")] += 1
    if facts.document_type in effectiveness_types and facts.signed_on is not None:
        followed = followed_up_years(facts, child_signings)
        for year in facts.in_force_years():
            for scope in where:
                key = FigureKey(Indicator.EFFECTIVENESS, year, scope)
                terms[Term(key, "denominator")] += 1
                if year in followed:
                    terms[Term(key, "numerator")] += 1
    year = facts.proposed_on.year
    counted_for = partner_scopes(facts, partner)
    for scope in (*where, stage_scope(facts.stage.value), *counted_for):
        terms[Term(FigureKey(Indicator.AGREEMENTS, year, scope), "numerator")] += 1
    for (indicator, year), amount in amounts(facts).items():
        for scope in (*where, *counted_for):
            terms[Term(FigureKey(indicator, year, scope), "numerator")] += amount
    return terms


def difference(before: Counter[Term], after: Counter[Term]) -> dict[FigureKey, tuple[int, int]]:
    """Per figure, the change of (numerator, denominator); figures that do not move are left
    out."""
    changes: dict[FigureKey, list[int]] = {}
    for term in before.keys() | after.keys():
        delta = after[term] - before[term]
        if delta:
            slot = changes.setdefault(term.key, [0, 0])
            slot[0 if term.part == "numerator" else 1] += delta
    return {key: (d[0], d[1]) for key, d in changes.items() if d != [0, 0]}
