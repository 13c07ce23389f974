"""What a batch of events needs known besides its own agreements before it is folded
(:func:`.batch.fold`): parents, mapping items, partners and the agreements a merge moves."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from uuid import UUID

from contracts.events import (
    AgreementEventData,
    AgreementProposed,
    EventData,
    MappingEventData,
    PartnerEventData,
    PartnerMerged,
)
from services.reporting.domain.facts import AgreementFacts
from services.reporting.domain.partners import PartnerFacts


def related(events: Iterable[EventData],
            facts: Mapping[UUID, AgreementFacts]) -> set[UUID]:
    """Agreements whose facts and children a batch may need besides its own: the parents
    named by its proposals, by its signings, and by the facts already known."""
    found: set[UUID] = set()
    for data in events:
        if isinstance(data, AgreementEventData):
            named = getattr(data, "parent_id", None)
            if named is not None:
                found.add(named)
            known = facts.get(data.agreement_id)
            if known is not None and known.parent_id is not None:
                found.add(known.parent_id)
    return found


def related_items(events: Iterable[EventData],
                  facts: Mapping[UUID, AgreementFacts]) -> set[UUID]:
    """Mapping items whose facts and realisations a batch may need: its own, and those
    named by its agreements' proposals and known facts."""
    found: set[UUID] = set()
    for data in events:
        if isinstance(data, MappingEventData):
            found.add(data.item_id)
        elif isinstance(data, AgreementEventData):
            known = facts.get(data.agreement_id)
            named = data.mapping_item_id if isinstance(data, AgreementProposed) \
                else known.mapping_item_id if known is not None else None
            if named is not None:
                found.add(named)
    return found


def related_partners(events: Iterable[EventData],
                     facts: Mapping[UUID, AgreementFacts]) -> set[UUID]:
    """Partners whose chains of merges a batch needs: those its agreements name (in their
    proposals and known facts), its own and those they are merged into."""
    found: set[UUID] = set()
    for data in events:
        if isinstance(data, PartnerEventData):
            found.add(data.partner_id)
            if isinstance(data, PartnerMerged):
                found.add(data.into)
        elif isinstance(data, AgreementProposed):
            found.add(data.partner_id)
        elif isinstance(data, AgreementEventData):
            known = facts.get(data.agreement_id)
            if known is not None and known.partner_id is not None:
                found.add(known.partner_id)
    for known in facts.values():
        if known.partner_id is not None:
            found.add(known.partner_id)
    return found


def moving_partners(events: Iterable[EventData], registry: Mapping[UUID, PartnerFacts]
                    ) -> set[UUID]:
    """Partners a batch may make stand for another one (merged; or a merged one
    registered again): every agreement whose partner's chain passes through one of them
    must be known to the fold, since its partner figures move."""
    return {data.partner_id for data in events if isinstance(data, PartnerEventData) and (
        isinstance(data, PartnerMerged)
        or getattr(registry.get(data.partner_id), "merged_into", None) is not None)}
