"""The agreements ledger's signed checkpoints, learnt from ``GET /checkpoints`` and kept in
``ledger_checkpoints``: each ``kpi.updated`` names the last one at or below the position
it was computed from, so that a reader can verify the feed up to it and recompute."""

from __future__ import annotations

from plumbing.agreements_client import AgreementsClient
from plumbing.db import Pool


async def follow(pool: Pool, agreements: AgreementsClient) -> int:
    """Store the checkpoints signed since the last one known; how many were new."""
    known = int(await pool.fetchval("SELECT coalesce(max(position), 0) FROM "
                                    "ledger_checkpoints"))
    learnt = 0
    while page := await agreements.checkpoints(known):
        await pool.execute(
            "INSERT INTO ledger_checkpoints (position, hash, events, signed_at)"
            " SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[])"
            " ON CONFLICT (position) DO NOTHING",
            [c.position for c in page], [c.hash for c in page], [c.events for c in page],
            [c.signed_at for c in page])
        known, learnt = max(c.position for c in page), learnt + len(page)
    return learnt
