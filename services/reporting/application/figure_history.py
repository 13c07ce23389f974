"""A figure through the history of the record (DESIGN §9): one entry per feed position at
which its (numerator, denominator, target) changed, computed from the facts every
agreement and mapping item had after each event (``record_history``), never a replay."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from uuid import UUID

from contracts.kpi import AMOUNT_INDICATORS, MAPPING_INDICATORS, PARTNER_INDICATORS, Indicator
from plumbing import clock
from services.reporting.adapters.record_history import HistoryRow
from services.reporting.domain.contributions import (
    FOLLOWING_UP_TYPES,
    Term,
    contributions,
    scopes,
)
from services.reporting.domain.evaluation import KpiRules
from services.reporting.domain.facts import AgreementFacts
from services.reporting.domain.figures import (
    RATIO_INDICATORS,
    Figure,
    FigureKey,
    Revision,
    restates,
    target_of,
)
from services.reporting.domain.mapping import MappingItem, item_contributions
from services.reporting.domain.partners import PartnerFacts, passing_through, survivor
from services.reporting.domain.signing import (
    SIGNING_DAYS_INDICATORS,
    signing_days,
    signing_figures,
)
from services.reporting.domain.timely import as_of, expiring, sleeping

PARTNER_PREFIX = "partner:"


def history_entries(key: FigureKey, rows: Sequence[HistoryRow], revisions: list[Revision],
                    today: date, rules: KpiRules) -> list[HistoryEntry]:
    """The entries of one figure over the whole history of the record (``revisions``:
    those published of it)."""
    tracker = _Tracker(key, today, rules)
    facts_of: dict[UUID, AgreementFacts] = {}
    children: dict[UUID, dict[UUID, date]] = {}
    items_of: dict[UUID, MappingItem] = {}
    realised: dict[UUID, set[UUID]] = {}
    registry: dict[UUID, PartnerFacts] = {}
    naming: dict[UUID, set[UUID]] = {}
    """Per partner id, the agreements whose proposal names it."""
    targets: tuple[float, float] | None = None
    entries: list[HistoryEntry] = []
    last = tracker.figure(None)
    moved: list[tuple[UUID, int]] = []
    for row in rows:
        touched: list[UUID] = []
        items: list[UUID] = []
        if row.facts is not None:
            facts = row.facts
            facts_of[facts.id] = facts
            touched.append(facts.id)
            if facts.partner_id is not None:
                naming.setdefault(facts.partner_id, set()).add(facts.id)
            if (facts.parent_id is not None and facts.signed_on is not None
                    and facts.document_type in FOLLOWING_UP_TYPES
                    and facts.id not in children.setdefault(facts.parent_id, {})):
                children[facts.parent_id][facts.id] = facts.signed_on
                if facts.parent_id in facts_of:
                    touched.append(facts.parent_id)
            named = facts.mapping_item_id
            if (named is not None and facts.signed_on is not None
                    and facts.id not in realised.setdefault(named, set())):
                realised[named].add(facts.id)
                if named in items_of:
                    items.append(named)
        elif row.item is not None:
            items_of[row.item.id] = row.item
            items.append(row.item.id)
        elif row.partner is not None:
            touched += _moved_by(row.partner, registry, naming, tracker.by_partner)
            registry[row.partner.id] = row.partner
        elif row.year == key.year:
            targets = row.targets
        changed = False
        for agreement in touched:
            facts = facts_of[agreement]
            part = tracker.part(facts, list(children.get(agreement, {}).values()),
                                None if facts.partner_id is None
                                else survivor(facts.partner_id, registry))
            changed = tracker.update(("agreement", agreement), part) or changed
        for item in items:
            part = tracker.item_part(items_of[item], bool(realised.get(item)))
            changed = tracker.update(("item", item), part) or changed
        if changed:
            moved.append((row.event_id, row.position))
        figure = tracker.figure(targets)
        if figure.same_as(last):
            continue
        entries.append(HistoryEntry(
            figure, row.position, row.time, moved or [(row.event_id, row.position)],
            _revision_at(revisions, row.position, figure),
            restates(key, clock.to_wib(row.time).date(), bool(entries)),
            entries[-1].figure.value if entries else None))
        last, moved = figure, []
    return entries


@dataclass(frozen=True)
class HistoryEntry:
    """A figure at a feed position where its (numerator, denominator, target) changed."""

    figure: Figure
    position: int
    time: datetime
    events: list[tuple[UUID, int]]
    revision: int | None
    restated: bool
    previous_value: float | None


Member = tuple[str, UUID]
"""``("agreement", id)`` or ``("item", id)``."""


class _Tracker:
    """One figure followed through the history of the record: each agreement's part in
    it, summed (or, for the signing days, collected)."""

    def __init__(self, key: FigureKey, day: date, rules: KpiRules) -> None:
        self.key = key
        self.day = as_of(key.year, day)
        self.rules = rules
        self.parts: dict[Member, tuple[int, int] | int | None] = {}
        """Each member's part: an agreement's and a mapping item's apart (ids are chosen
        by clients, so the same id may name one of each)."""
        self.numerator = 0
        self.denominator = 0
        self.days: dict[Member, int] = {}
        self.empty: tuple[int, int] | None = (
            None if key.indicator in SIGNING_DAYS_INDICATORS else (0, 0))
        self.by_partner = (key.indicator in PARTNER_INDICATORS
                           and key.scope.startswith(PARTNER_PREFIX))
        """Whether the figure is a partner's (a merge may move agreements in or out)."""

    def part(self, facts: AgreementFacts, child_dates: list[date], partner: UUID | None
             ) -> tuple[int, int] | int | None:
        key = self.key
        if key.indicator in SIGNING_DAYS_INDICATORS:
            if (facts.signed_on is not None and facts.signed_on.year == key.year
                    and key.scope in scopes(facts)):
                return signing_days(facts) or 0
            return None
        if key.indicator in (Indicator.SLEEPING, Indicator.EXPIRING_90_DAYS):
            if (facts.signed_on is None or key.scope not in scopes(facts)
                    or date(key.year, 1, 1) > self.day):
                return (0, 0)
            if key.indicator == Indicator.SLEEPING:
                member = sleeping(facts, child_dates, self.day,
                                  self.rules.sleeping_after_days) is not None
            else:
                member = expiring(facts, self.day, self.rules.expiring_within_days)
            return (int(member), 0)
        if not _may_count(facts, key):
            return (0, 0)
        terms = contributions(facts, child_dates,
                              effectiveness_types=self.rules.effectiveness_document_types,
                              partner=partner)
        return (terms[Term(key, "numerator")], terms[Term(key, "denominator")])

    def item_part(self, item: MappingItem, realised: bool) -> tuple[int, int]:
        """A mapping item's part in the figure (nothing outside the mapping figures)."""
        if self.key.indicator not in MAPPING_INDICATORS:
            return (0, 0)
        return (item_contributions(item, realised)[Term(self.key, "numerator")], 0)

    def update(self, member: Member, part: tuple[int, int] | int | None) -> bool:
        """Take a member's new part; whether it differs from its last."""
        before = self.parts.get(member, self.empty)
        if before == part:
            return False
        self.parts[member] = part
        if isinstance(before, tuple):
            self.numerator -= before[0]
            self.denominator -= before[1]
        if isinstance(part, tuple):
            self.numerator += part[0]
            self.denominator += part[1]
        self.days.pop(member, None)
        if isinstance(part, int):
            self.days[member] = part
        return True

    def figure(self, targets: tuple[float, float] | None) -> Figure:
        key = self.key
        if key.indicator in SIGNING_DAYS_INDICATORS:
            value = signing_figures(key.year, key.scope, list(self.days.values())).get(key)
            return Figure(key, 0 if value is None else value, None, None)
        ratio = key.indicator in RATIO_INDICATORS
        return Figure(key, self.numerator, self.denominator if ratio else None,
                      target_of(key.indicator, targets))


def _moved_by(partner: PartnerFacts, registry: dict[UUID, PartnerFacts],
              naming: dict[UUID, set[UUID]], matters: bool) -> list[UUID]:
    """The agreements a partner's event makes count for another partner (when it changes
    whom the partner stands for, and the figure is a partner's)."""
    before = registry.get(partner.id)
    if not matters or partner.merged_into == (before.merged_into if before else None):
        return []
    moving = passing_through(partner.id, naming.keys(), registry)
    return sorted({a for p in moving for a in naming[p]})


def _revision_at(revisions: list[Revision], position: int, figure: Figure) -> int | None:
    """The revision that carried the figure as it stood at ``position``: the first one
    published from a prefix that includes the position with these values (None when none
    did: a later change applied in the same group was published instead)."""
    return next((r.figure.revision for r in revisions if r.as_of_position >= position
                 and r.figure.same_as(replace(figure, complete=r.figure.complete))), None)


def _may_count(facts: AgreementFacts, key: FigureKey) -> bool:
    """Whether an agreement can count in a sum figure of that year at all (a quick
    rejection before its contributions are computed)."""
    if key.indicator == Indicator.REALIZATION:
        return facts.plan_year == key.year
    if key.indicator == Indicator.EFFECTIVENESS:
        return facts.signed_on is not None and key.year in facts.in_force_years()
    if key.indicator == Indicator.REVENUE:
        return any(r.on.year == key.year for r in facts.revenues)
    if key.indicator in AMOUNT_INDICATORS:
        return facts.signed_on is not None and facts.signed_on.year == key.year
    if key.indicator in MAPPING_INDICATORS:
        return False
    return facts.proposed_on.year == key.year
