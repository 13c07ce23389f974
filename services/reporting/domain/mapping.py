"""What the reporting projection keeps about one mapping item (docs/domain.md#planning), and
what it adds to the mapping figures.

An item counts in ``items_mapped`` of its year while it is active, in its province, agency
and priority scopes; it counts in ``items_mapped_realised`` as well once an agreement that
names it is signed. Those signings arrive on other streams (as a parent's children's
signings do), so an item's contribution depends only on its own facts and on whether a
realising signing is known, whatever the order in which the streams are delivered.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from uuid import UUID

from contracts.events import MappingEventData, MappingItemAdded, MappingItemRevised
from contracts.kpi import Indicator
from contracts.planning import MappingStage
from contracts.roles import PROVINCE, agency_scope, priority_scope
from services.reporting.domain.contributions import Term
from services.reporting.domain.facts import EventRef
from services.reporting.domain.figures import FigureKey

Priorities = tuple[tuple[str, str], ...]
"""A year's policy priorities: (code, name), as adopted."""

@dataclass(frozen=True)
class MappingItem:
    """The facts of one item of an agency's yearly cooperation mapping."""

    id: UUID
    year: int
    opd: str
    stage: MappingStage
    version: int
    affair: str = ""
    description: str = ""
    priority: str | None = None
    last_event: EventRef | None = None
    """The event that made the item what it is (its addition, its last revision, its
    withdrawal)."""

    @property
    def active(self) -> bool:
        """Whether it counts in the year's mapping (not withdrawn)."""
        return self.stage == MappingStage.ACTIVE

    @property
    def title(self) -> str:
        """What the evidence calls it: the description, else the affair."""
        return self.description or self.affair


def evolve_item(item: MappingItem | None, event: MappingEventData,
                ref: EventRef | None = None) -> MappingItem:
    """The item after ``event`` (its stream's events in version order). A withdrawal of an
    item not known yet (it cannot happen in a valid stream) keeps what the event says."""
    if isinstance(event, MappingItemAdded | MappingItemRevised):
        return MappingItem(id=event.item_id, year=event.year, opd=event.opd,
                           stage=event.stage, version=event.version, affair=event.affair,
                           description=event.description, priority=event.priority,
                           last_event=ref)
    if item is None:
        return MappingItem(id=event.item_id, year=event.year, opd=event.opd,
                           stage=event.stage, version=event.version, last_event=ref)
    return replace(item, year=event.year, opd=event.opd, stage=event.stage,
                   version=event.version, last_event=ref or item.last_event)


def item_scopes(item: MappingItem) -> tuple[str, ...]:
    """The scopes an item counts in: the province, its agency and its priority."""
    where = (PROVINCE, agency_scope(item.opd))
    return where if item.priority is None else (*where, priority_scope(item.priority))


def item_contributions(item: MappingItem | None, realised: bool) -> Counter[Term]:
    """What the item adds to the mapping figures of its year (``realised``: an agreement
    that names it is known to be signed)."""
    terms: Counter[Term] = Counter()
    if item is None or not item.active:
        return terms
    for scope in item_scopes(item):
        terms[Term(FigureKey(Indicator.ITEMS_MAPPED, item.year, scope), "numerator")] += 1
        if realised:
            terms[Term(FigureKey(Indicator.ITEMS_MAPPED_REALISED, item.year, scope),
                       "numerator")] += 1
    return terms
