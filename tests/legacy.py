"""Events written before a rule was tightened: stored as they were, read as stored.

:func:`append_legacy` puts an event straight into the agreements event store (through the
store's own append, so its hash chain and outbox row are right), as a writer of an earlier
release would have, bypassing today's contract.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from contracts.events import AgreementProposedV1
from plumbing.db import Pool
from services.agreements.adapters import event_store
from services.agreements.adapters.event_store import NewEvent


def legacy_proposal(agreement_id: UUID, **changes: Any) -> dict[str, Any]:
    """The data of an ``agreement.proposed`` event, with changes today's contract refuses."""
    data: dict[str, Any] = {
        "agreement_id": str(agreement_id), "version": 1, "stage": "PROPOSED",
        "title": "Kerja sama lama", "kind": "KSDPK", "document_type": "MOU",
        "partner": {"name": "PT Lama", "category": "THIRD_PARTY", "country": "ID"},
        "co_partners": [], "lead_opd": "DISKUK", "supporting_opds": [],
        "objective": "Kerja sama dari sistem lama", "sector": "Ekonomi",
        "burdens_budget": False, "plan_year": None, "proposed_on": "1995-03-01",
        "parent_id": None, "renews_id": None, "required_approvals": []}
    data.update(changes)
    return data


async def append_legacy(pool: Pool, stream_id: str, version: int, event_type: str,
                        data: dict[str, Any]) -> int:
    """Append one event as stored by an earlier release; its position."""
    async with pool.acquire() as conn, conn.transaction():
        prev = await conn.fetchval("SELECT hash FROM events WHERE stream_id = $1 AND "
                                   "version = $2", stream_id, version - 1)
        stored = await event_store.append(conn, stream_id, version - 1, prev, [NewEvent(
            uuid4(), event_type, data, {"actor": "legacy-import"}, datetime.now(UTC))])
    return stored[0].position


PROPOSED = AgreementProposedV1.event_type
"""The type legacy proposals were stored under: the release before v2 wrote v1."""
