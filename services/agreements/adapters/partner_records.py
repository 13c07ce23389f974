"""The partner registry's read model (table ``partners``), written in the command's
transaction by ``append_partner_command`` (and ``append_proposal_registering``), and what
the adoption job keeps (table ``partner_adoption``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from plumbing.db import Conn, Pool


@dataclass(frozen=True)
class PartnerRow:
    """A partner as the read model holds it: its state, and for a merged partner the
    active one it stands for."""

    id: UUID
    version: int
    survivor: UUID | None
    state: dict[str, Any]


async def load_partner(conn: Conn | Pool, partner_id: UUID) -> PartnerRow | None:
    """One partner's row, or None."""
    row = await conn.fetchrow(
        "SELECT id, version, survivor, state FROM partners WHERE id = $1", partner_id)
    if row is None:
        return None
    return PartnerRow(row["id"], row["version"], row["survivor"], dict(json.loads(row["state"])))


async def search(conn: Conn | Pool, key_part: str | None, category: str | None,
                 country: str | None, limit: int, offset: int) -> list[dict[str, Any]]:
    """Active partners whose normalised name contains ``key_part`` (every partner when
    None), of a category and country when given, by name."""
    rows = await conn.fetch(
        "SELECT state FROM partners WHERE stage = 'ACTIVE'"
        " AND ($1::text IS NULL OR strpos(split_part(key, '|', 1), $1) > 0)"
        " AND ($2::text IS NULL OR state ->> 'category' = $2)"
        " AND ($3::text IS NULL OR state ->> 'country' = $3)"
        " ORDER BY key LIMIT $4 OFFSET $5", key_part, category, country, limit, offset)
    return [dict(json.loads(row["state"])) for row in rows]


async def agreements_of(conn: Conn | Pool, partner_id: UUID) -> list[dict[str, Any]]:
    """The agreements of a partner and of every partner merged into it (their read-model
    state, with version and stage), by date of proposal."""
    rows = await conn.fetch(
        "SELECT a.state, a.version, a.stage FROM agreements a"
        " WHERE a.state ->> 'partner_id' IN (SELECT $1::uuid::text UNION ALL"
        "   SELECT id::text FROM partners WHERE survivor = $1::uuid)"
        " ORDER BY a.state ->> 'proposed_on', a.updated_position", partner_id)
    return [{**json.loads(row["state"]), "version": row["version"], "stage": row["stage"]}
            for row in rows]


async def adoption_position(conn: Conn | Pool) -> int:
    """How far the adoption job has read the feed."""
    position: int = await conn.fetchval("SELECT position FROM partner_adoption")
    return position


async def save_adoption_position(conn: Conn | Pool, position: int) -> None:
    """Record how far the adoption job has read (never backwards)."""
    await conn.execute("UPDATE partner_adoption SET position = greatest(position, $1)",
                       position)


async def proposals_after(conn: Conn | Pool, after: int, limit: int
                          ) -> tuple[int, list[tuple[str, dict[str, Any]]]]:
    """The proposals (any version of ``agreement.proposed``) among the next ``limit``
    events of the feed after a position, never past a running writer: the position of the
    last event read (``after`` when none) and each proposal's type and data."""
    rows = await conn.fetch(
        "SELECT position, type, CASE WHEN type LIKE 'kerjasama.agreement.proposed.v%'"
        " THEN data END AS data FROM events WHERE position > $1"
        " AND tx_id < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY position LIMIT $2",
        after, limit)
    last = rows[-1]["position"] if rows else after
    return last, [(row["type"], dict(json.loads(row["data"]))) for row in rows
                  if row["data"] is not None]


async def note_partner_ids(conn: Conn | Pool, ids: list[tuple[UUID, UUID]]) -> None:
    """Give read-model rows written before ``agreement.proposed.v2`` the partner id their
    proposal carries as read today, so a partner's agreements are found by it."""
    await conn.execute(
        "UPDATE agreements a SET state = a.state || jsonb_build_object('partner_id', p.pid)"
        " FROM unnest($1::uuid[], $2::text[]) AS p(aid, pid)"
        " WHERE a.id = p.aid AND NOT a.state ? 'partner_id'",
        [a for a, _ in ids], [str(p) for _, p in ids])


async def registered(conn: Conn | Pool, partner_ids: list[UUID]) -> set[UUID]:
    """Which of ``partner_ids`` the registry holds (merged ones too): one query."""
    rows = await conn.fetch("SELECT id FROM partners WHERE id = ANY($1::uuid[])", partner_ids)
    return {row["id"] for row in rows}
