"""The state of one item of an agency's cooperation mapping, as folded from its events."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from contracts.planning import MappingStage, mapping_item_stream_id


@dataclass(frozen=True)
class MappingItemState:
    """A mapping item: whose and which year, what it says, and whether it still stands."""

    id: UUID
    year: int
    opd: str
    version: int
    stage: MappingStage
    affair: str
    description: str
    prospective_partners: tuple[str, ...]
    rpjmd_target: str
    priority: str | None = None
    withdrawn_reason: str | None = None

    @property
    def stream_id(self) -> str:
        """``mapping-item-<id>``."""
        return mapping_item_stream_id(self.id)

    @property
    def active(self) -> bool:
        """Whether it still counts in its year's mapping."""
        return self.stage is MappingStage.ACTIVE
