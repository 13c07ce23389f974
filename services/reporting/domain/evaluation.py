"""Every figure of a year computed at once from a record of agreements' facts, with the
evidence behind it (DESIGN §9).

The live projection keeps figures by adding each event's change (:mod:`.contributions`,
:mod:`.batch`); this module computes them from scratch from the facts of every agreement
as they stood at one point of the record, with the same rules. It answers the figures
*as of* a feed position, the *evidence* of a figure (which agreements count, which do
not, and the event that decided each), *what-if* figures under draft rule parameters,
and the independent check that recomputes from the public feed. Live figures and these
agree by construction of the rules and by test.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date

from contracts.common import Stage
from contracts.kpi import AMOUNT_INDICATORS, PARTNER_INDICATORS, Indicator
from contracts.roles import PROVINCE, stage_scope
from services.reporting.domain.contributions import contributions, scopes
from services.reporting.domain.facts import AgreementFacts, EventRef
from services.reporting.domain.figures import RATIO_INDICATORS, Figure, FigureKey, target_of
from services.reporting.domain.mapping import item_contributions
from services.reporting.domain.planning_evidence import amount_items, mapping_items
from services.reporting.domain.proof import Evidence, Item, Reason, reading_order
from services.reporting.domain.record import (
    DEFAULT_RULES,
    KpiRules,
    Record,
    add_years,
    capped,
    record_of,
)
from services.reporting.domain.signing import signing_days, signing_figures
from services.reporting.domain.timely import as_of, expiring, sleeping, timely_figures

__all__ = ["Evidence", "Item", "KpiRules", "Reason", "Record", "add_years", "capped",
           "evidence", "figures", "record_of"]


def figures(record: Record, year: int, day: date,
            rules: KpiRules = DEFAULT_RULES) -> dict[FigureKey, Figure]:
    """Every figure of ``year`` (revision 0): sums of contributions, signing days, and the
    time-dependent counts taken on :func:`~.timely.as_of` (``year``, ``day``)."""
    record = record.under(rules)
    children = record.child_signings()
    dates = {parent: [d for d, _ in kids] for parent, kids in children.items()}
    terms: Counter[tuple[FigureKey, str]] = Counter()
    days: dict[str, list[int]] = defaultdict(list)
    for facts in record.agreements.values():
        if not _touches(facts, year):
            continue
        for term, count in contributions(
                facts, dates.get(facts.id, ()),
                effectiveness_types=rules.effectiveness_document_types,
                partner=record.partner_of(facts)).items():
            if term.key.year == year:
                terms[term.key, term.part] += count
        if facts.signed_on is not None and facts.signed_on.year == year:
            taken = signing_days(facts) or 0
            for scope in scopes(facts):
                days[scope].append(taken)
    realising = record.realising()
    for item in record.items.values():
        if item.year == year:
            for term, count in item_contributions(item, item.id in realising).items():
                terms[term.key, term.part] += count
    targets = record.targets.get(year)
    found: dict[FigureKey, Figure] = {}
    keys = {key for key, _ in terms}
    if targets is not None:
        keys |= {FigureKey(i, year, PROVINCE) for i in RATIO_INDICATORS}
    for key in keys:
        ratio = key.indicator in RATIO_INDICATORS
        found[key] = Figure(key, terms[key, "numerator"],
                            terms[key, "denominator"] if ratio else None,
                            target_of(key.indicator, targets))
    for scope, spent in days.items():
        for key, value in signing_figures(year, scope, spent).items():
            found[key] = Figure(key, value, None, None)
    signed = [f for f in record.agreements.values() if f.signed_on is not None]
    for key, count in timely_figures(signed, dates, [year], day,
                                     sleeping_after_days=rules.sleeping_after_days,
                                     expiring_within_days=rules.expiring_within_days).items():
        found[key] = Figure(key, count, None, None)
    return found


def _touches(facts: AgreementFacts, year: int) -> bool:
    """Whether an agreement can count in any sum or signing-days figure of the year:
    planned, proposed or signed in it, or in force during it."""
    return (facts.plan_year == year or facts.proposed_on.year == year
            or (facts.signed_on is not None
                and (facts.signed_on.year == year or year in facts.in_force_years()))
            or any(r.on.year == year for r in facts.revenues))


def _by_signing(facts: AgreementFacts, year: int) -> tuple[Reason, EventRef | None]:
    if facts.stage == Stage.REJECTED:
        return Reason.REJECTED, facts.last_event
    if facts.stage == Stage.WITHDRAWN:
        return Reason.WITHDRAWN, facts.last_event
    if facts.signed_on is None:
        return Reason.NOT_SIGNED, None
    if facts.signed_on.year == year:
        return Reason.SIGNED_IN_YEAR, facts.signed_by
    return Reason.SIGNED_OTHER_YEAR, facts.signed_by


def _first_in_year(events: Iterable[tuple[date, EventRef | None]],
                   year: int) -> EventRef | None:
    dated = sorted(((d, e.position if e else 0), e) for d, e in events if d.year == year)
    return dated[0][1] if dated else None


def _last_on(events: Iterable[tuple[date, EventRef | None]], day: date) -> EventRef | None:
    dated = sorted(((d, e.position if e else 0), e) for d, e in events if d <= day)
    return dated[-1][1] if dated else None


def evidence(record: Record, key: FigureKey, day: date,
             rules: KpiRules = DEFAULT_RULES) -> Evidence:
    """The agreements behind one figure, as of ``day`` for the time-dependent ones.

    Realization: the agreements planned for the year (counted: signed in it). Effectiveness:
    the MOUs and PKS in force in the year (counted: followed up in it, by an activity or a
    child's signing). Counts list their members; the signing-days figures list the
    agreements signed in the year.
    """
    record = record.under(rules)
    children = record.child_signings()
    year, scope = key.year, key.scope
    by_stage = key.indicator == Indicator.AGREEMENTS
    by_partner = key.indicator in PARTNER_INDICATORS
    members = [f for f in record.agreements.values()
               if scope in scopes(f) or (by_stage and scope == stage_scope(f.stage.value))
               or (by_partner and scope in record.partner_scopes(f))]
    counted: list[Item] = []
    excluded: list[Item] = []
    match key.indicator:
        case Indicator.REALIZATION:
            for facts in members:
                if facts.plan_year == year:
                    reason, event = _by_signing(facts, year)
                    (counted if reason == Reason.SIGNED_IN_YEAR else excluded).append(
                        Item(facts, reason, event))
        case Indicator.EFFECTIVENESS:
            for facts in members:
                if (facts.document_type in rules.effectiveness_document_types
                        and facts.signed_on is not None and year in facts.in_force_years()):
                    activities: list[tuple[date, EventRef | None]] = [
                        (e.date, e) for e in facts.activities]
                    if not facts.activities:  # facts kept before events were named
                        activities = [(d, None) for d in facts.activity_dates]
                    done = (*activities, *children.get(facts.id, ()))
                    if any(d.year == year for d, _ in done):
                        counted.append(Item(facts, Reason.FOLLOWED_UP_IN_YEAR,
                                            _first_in_year(done, year)))
                    else:
                        excluded.append(Item(facts, Reason.NO_FOLLOW_UP_IN_YEAR, None))
        case Indicator.AGREEMENTS:
            counted = [Item(f, *_by_signing(f, year)) for f in members
                       if f.proposed_on.year == year]
        case Indicator.SLEEPING | Indicator.EXPIRING_90_DAYS:
            on = as_of(year, day)
            if date(year, 1, 1) <= day:
                for facts in members:
                    if facts.signed_on is None:
                        continue
                    kids = children.get(facts.id, [])
                    reason = (Reason.SIGNED_IN_YEAR if facts.signed_on.year == year
                              else Reason.SIGNED_OTHER_YEAR)
                    if key.indicator == Indicator.SLEEPING:
                        if sleeping(facts, [d for d, _ in kids], on,
                                    rules.sleeping_after_days):
                            last = _last_on(((facts.signed_on, facts.signed_by),
                                             *((e.date, e) for e in facts.activities), *kids),
                                            on)
                            counted.append(Item(facts, reason, last))
                    elif expiring(facts, on, rules.expiring_within_days):
                        counted.append(Item(facts, reason, facts.signed_by))
        case Indicator.SIGNING_DAYS_MEDIAN | Indicator.SIGNING_DAYS_P90:
            counted = [Item(f, Reason.SIGNED_IN_YEAR, f.signed_by) for f in members
                       if f.signed_on is not None and f.signed_on.year == year]
        case Indicator.VALUE_CASH | Indicator.VALUE_IN_KIND | Indicator.REVENUE:
            counted = amount_items(members, key)
        case Indicator.ITEMS_MAPPED | Indicator.ITEMS_MAPPED_REALISED:
            counted = mapping_items(record.items.values(), record.realising(), key)
    counted.sort(key=reading_order)
    excluded.sort(key=reading_order)
    return Evidence(key, *_numbers(key, counted, excluded), counted, excluded)


def _numbers(key: FigureKey, counted: list[Item],
             excluded: list[Item]) -> tuple[int | float, int | None]:
    """The figure's (numerator, denominator) from its own evidence: the ratios count their
    items, the counts their members, the signing-days figures are taken over the days of
    the agreements signed in the year (0 when none was)."""
    if key.indicator in RATIO_INDICATORS:
        return len(counted), len(counted) + len(excluded)
    if key.indicator in (Indicator.SIGNING_DAYS_MEDIAN, Indicator.SIGNING_DAYS_P90):
        days = [signing_days(i.agreement) or 0 for i in counted]
        return signing_figures(key.year, key.scope, days).get(key, 0), None
    if key.indicator in AMOUNT_INDICATORS:
        return sum(i.amount or 0 for i in counted), None
    return len(counted), None
