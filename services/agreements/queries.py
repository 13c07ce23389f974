"""Read side of the agreements service: state, lists, a stream and the global feed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from plumbing import clock
from plumbing.db import Pool
from services.agreements.adapters import event_store, records
from services.agreements.adapters.cloudevents import to_json
from services.agreements.domain import is_sleeping
from services.agreements.streams import STATE


@dataclass(frozen=True)
class AgreementQueries:
    """Queries answered from the read model and the event store."""

    pool: Pool
    sleeping_after_days: int = 90

    def _view(self, row: records.AgreementRow) -> dict[str, Any]:
        state = STATE.validate_python(row.state)
        sleeping = is_sleeping(state, clock.today(), self.sleeping_after_days,
                               row.last_child_signed_on)
        return {**row.state, "version": row.version, "stage": row.stage,
                "sleeping": sleeping,
                "last_child_signed_on": row.last_child_signed_on and
                row.last_child_signed_on.isoformat()}

    async def get(self, agreement_id: UUID) -> dict[str, Any] | None:
        """One agreement's current state with its ``sleeping`` flag, or None."""
        row = await records.load_agreement(self.pool, agreement_id)
        return self._view(row) if row else None

    async def search(self, *, stage: str | None = None, kind: str | None = None,
                   lead_opd: str | None = None, plan_year: int | None = None,
                   limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        """Agreements matching every given filter."""
        rows = await records.list_agreements(self.pool, stage=stage, kind=kind,
                                             lead_opd=lead_opd, plan_year=plan_year,
                                             limit=limit, offset=offset)
        return [self._view(r) for r in rows]

    async def stream(self, stream_id: str) -> list[dict[str, Any]]:
        """Every event of one stream as CloudEvents, in version order."""
        return [to_json(e) for e in await event_store.read_stream(self.pool, stream_id)]

    async def feed(self, after: int, limit: int) -> list[dict[str, Any]]:
        """The global feed after a position, as CloudEvents; never skips a slow writer."""
        return [to_json(e) for e in await event_store.read_feed(self.pool, after, limit)]
