"""What the reporting projection keeps about the partner registry (docs/domain.md#partners),
and whom an agreement's partner figures count for.

An agreement names its partner by ``partner_id`` when proposed, with a snapshot of the
partner (name, category, country) that never changes: its ``category:`` scope is the
snapshot's. Its ``partner:`` figures count for the *survivor* of that id: a partner merged
into another stands for it, along chains (A merged into B, B into C: C). The merges arrive on
the partners' own streams, in any order relative to the agreements', so an agreement's
partner contribution depends only on its facts and on the registry's merges, whatever the
order in which the streams are delivered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from uuid import UUID

from contracts.events import PartnerEventData, PartnerMerged, PartnerRegistered, PartnerRevised
from contracts.partner_registry import PartnerStage, merge_chain
from services.reporting.domain.facts import EventRef


@dataclass(frozen=True)
class PartnerFacts:
    """A partner as the registry's events describe it."""

    id: UUID
    stage: PartnerStage
    version: int
    name: str = ""
    category: str = ""
    country: str = ""
    merged_into: UUID | None = None
    """The partner it was merged into (its id stands for that one now)."""
    last_event: EventRef | None = None


Registry = Mapping[UUID, PartnerFacts]
"""The partners known, by id."""


def evolve_partner(partner: PartnerFacts | None, event: PartnerEventData,
                   ref: EventRef | None = None) -> PartnerFacts:
    """The partner after ``event`` (its stream's events in version order). An event of a
    partner not known yet (a merge cannot come first in a valid stream) keeps what it
    says."""
    base = partner or PartnerFacts(event.partner_id, event.stage, event.version)
    if isinstance(event, PartnerRegistered | PartnerRevised):
        return replace(base, stage=event.stage, version=event.version, name=event.name,
                       category=event.category.value, country=event.country,
                       merged_into=None if event.stage == PartnerStage.ACTIVE
                       else base.merged_into, last_event=ref or base.last_event)
    if isinstance(event, PartnerMerged):
        return replace(base, stage=event.stage, version=event.version,
                       merged_into=event.into, last_event=ref or base.last_event)
    return replace(base, stage=event.stage, version=event.version,
                   last_event=ref or base.last_event)


def chain(partner_id: UUID, registry: Registry) -> list[UUID]:
    """The partner and every partner it was merged into, in turn (a cycle, which the
    registry refuses, is cut where it closes)."""
    def merged_into(current: UUID) -> UUID | None:
        known = registry.get(current)
        return None if known is None else known.merged_into
    return merge_chain(partner_id, merged_into)


def survivor(partner_id: UUID, registry: Registry) -> UUID:
    """The partner an id stands for: the end of its chain of merges (itself if none)."""
    return chain(partner_id, registry)[-1]


def passing_through(partner_id: UUID, ids: Iterable[UUID], registry: Registry) -> set[UUID]:
    """Those of ``ids`` whose chain of merges reaches ``partner_id`` (their survivor moves
    when that partner is merged)."""
    return {i for i in ids if partner_id in chain(i, registry)}
