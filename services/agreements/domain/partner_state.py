"""The state of one partner of the registry, as folded from its events."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from contracts.common import PartnerCategory, PartnerRecord
from contracts.partner_registry import (
    PartnerCodeRecord,
    PartnerContactRecord,
    PartnerStage,
    partner_key,
    partner_stream_id,
)


@dataclass(frozen=True)
class PartnerState:
    """A registered partner: who it is, how to reach it, and whether it was merged."""

    id: UUID
    version: int
    stage: PartnerStage
    name: str
    category: PartnerCategory
    country: str
    codes: tuple[PartnerCodeRecord, ...] = ()
    contact: PartnerContactRecord | None = None
    adopted: bool = False
    merged_into: UUID | None = None

    @property
    def stream_id(self) -> str:
        """``partner-<id>``."""
        return partner_stream_id(self.id)

    @property
    def key(self) -> str:
        """Its normalised name and country (two active partners never share one)."""
        return partner_key(self.name, self.country)

    @property
    def record(self) -> PartnerRecord:
        """The snapshot an agreement proposed with this partner records."""
        return PartnerRecord(name=self.name, category=self.category, country=self.country)
