"""The record at one point: the facts of every agreement, mapping item and partner, and the
work programs' targets and priorities, as a from-scratch computation reads them
(:mod:`.evaluation`), with the rule parameters it reads them under."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from uuid import UUID

from contracts.common import DocumentType
from contracts.events import (
    AgreementEventData,
    MappingEventData,
    PartnerEventData,
    WorkProgramAdopted,
)
from contracts.sleeping import SLEEPING_AFTER_DAYS
from services.reporting.domain.contributions import (
    EFFECTIVENESS_TYPES,
    FOLLOWING_UP_TYPES,
    partner_scopes,
)
from services.reporting.domain.facts import AgreementFacts, EventRef, evolve
from services.reporting.domain.mapping import MappingItem, Priorities, evolve_item
from services.reporting.domain.partners import PartnerFacts, evolve_partner, survivor
from services.reporting.domain.timely import EXPIRING_WITHIN_DAYS


@dataclass(frozen=True)
class KpiRules:
    """The rule parameters of the figures; a what-if sets draft values."""

    sleeping_after_days: int = SLEEPING_AFTER_DAYS
    expiring_within_days: int = EXPIRING_WITHIN_DAYS
    effectiveness_document_types: frozenset[DocumentType] = EFFECTIVENESS_TYPES
    validity_cap_years: int | None = None
    """When set, an agreement's in-force period ends at the latest at ``effective_from``
    plus this many years minus one day."""


DEFAULT_RULES = KpiRules()
"""The rules as adopted (no draft)."""


def add_years(day: date, years: int) -> date:
    """``day`` plus whole years (29 February becomes 28 February in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def capped(facts: AgreementFacts, years: int | None) -> AgreementFacts:
    """The facts with the in-force period cut at ``effective_from`` + ``years`` - 1 day."""
    if years is None or facts.effective_from is None or facts.effective_until is None:
        return facts
    end = add_years(facts.effective_from, years) - timedelta(days=1)
    return facts if facts.effective_until <= end else replace(facts, effective_until=end)


@dataclass(frozen=True)
class Record:
    """The facts of every agreement, mapping item and partner, and the work programs'
    targets and priorities, at one point of the record."""

    agreements: Mapping[UUID, AgreementFacts]
    targets: Mapping[int, tuple[float, float]]
    items: Mapping[UUID, MappingItem] = field(default_factory=dict)
    priorities: Mapping[int, Priorities] = field(default_factory=dict)
    partners: Mapping[UUID, PartnerFacts] = field(default_factory=dict)

    def under(self, rules: KpiRules) -> Record:
        """The record as ``rules`` read it (the validity cap applied)."""
        if rules.validity_cap_years is None:
            return self
        return replace(self, agreements={k: capped(f, rules.validity_cap_years)
                                         for k, f in self.agreements.items()})

    def realising(self) -> dict[UUID, list[AgreementFacts]]:
        """Per mapping item, the signed agreements that name it."""
        found: dict[UUID, list[AgreementFacts]] = defaultdict(list)
        for facts in self.agreements.values():
            if facts.mapping_item_id is not None and facts.signed_on is not None:
                found[facts.mapping_item_id].append(facts)
        return found

    def child_signings(self) -> dict[UUID, list[tuple[date, EventRef | None]]]:
        """Per parent, the signing day (and event) of every PKS or ADDENDUM child."""
        found: dict[UUID, list[tuple[date, EventRef | None]]] = defaultdict(list)
        for facts in self.agreements.values():
            if (facts.parent_id is not None and facts.signed_on is not None
                    and facts.document_type in FOLLOWING_UP_TYPES):
                found[facts.parent_id].append((facts.signed_on, facts.signed_by))
        return found

    def partner_of(self, facts: AgreementFacts) -> UUID | None:
        """The partner an agreement's partner figures count for: the survivor of the
        partner it names (None for facts kept without a partner id)."""
        return None if facts.partner_id is None else survivor(facts.partner_id,
                                                              self.partners)

    def partner_scopes(self, facts: AgreementFacts) -> tuple[str, ...]:
        """The ``partner:`` scope an agreement's counts and sums are kept for."""
        return partner_scopes(facts, self.partner_of(facts))


def record_of(events: Iterable[tuple[object, EventRef]]) -> Record:
    """The record folded from events' data in feed order (the independent check's own
    fold of the public feed): each agreement's, mapping item's and partner's facts, each
    year's last adopted targets and priorities; other data (an event type this reader does
    not know) is stepped over."""
    agreements: dict[UUID, AgreementFacts] = {}
    items: dict[UUID, MappingItem] = {}
    partners: dict[UUID, PartnerFacts] = {}
    targets: dict[int, tuple[float, float]] = {}
    priorities: dict[int, Priorities] = {}
    for data, ref in events:
        if isinstance(data, WorkProgramAdopted):
            targets[data.year] = (data.realization_target, data.effectiveness_target)
            priorities[data.year] = tuple((p.code, p.name) for p in data.priorities)
        elif isinstance(data, AgreementEventData):
            agreements[data.agreement_id] = evolve(agreements.get(data.agreement_id), data,
                                                   ref)
        elif isinstance(data, MappingEventData):
            items[data.item_id] = evolve_item(items.get(data.item_id), data, ref)
        elif isinstance(data, PartnerEventData):
            partners[data.partner_id] = evolve_partner(partners.get(data.partner_id), data,
                                                       ref)
    return Record(agreements, targets, items, priorities, partners)
