"""Rows of the partner registry as the portal keeps it (only what is public), and the
chains of merges between them."""

from __future__ import annotations

from uuid import UUID

import orjson
from asyncpg import Record

from contracts.partners import partner_id_of
from plumbing.db import Conn, Pool
from services.portal.domain.partners import (
    MAX_MERGES,
    PublicPartner,
    codes_from_json,
    codes_to_json,
    survivor,
)

_COLUMNS = "id, name, category, country, codes::text, stage, merged_into, version"


def _partner(row: Record) -> PublicPartner:
    return PublicPartner(id=row[0], name=row[1], category=row[2], country=row[3],
                         codes=codes_from_json(orjson.loads(row[4])), stage=row[5],
                         merged_into=row[6], version=row[7])


async def load(conn: Conn | Pool, partner_id: UUID) -> PublicPartner | None:
    """A partner, if its registration has arrived."""
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM partners WHERE id = $1", partner_id)
    return None if row is None else _partner(row)


async def save(conn: Conn, partner: PublicPartner) -> None:
    """Insert or replace a partner."""
    await conn.execute(
        "INSERT INTO partners (id, name, category, country, codes, stage, merged_into, version)"
        " VALUES ($1, $2, $3, $4, $5::json, $6, $7, $8) ON CONFLICT (id) DO UPDATE SET"
        " name = EXCLUDED.name, category = EXCLUDED.category, country = EXCLUDED.country,"
        " codes = EXCLUDED.codes, stage = EXCLUDED.stage, merged_into = EXCLUDED.merged_into,"
        " version = EXCLUDED.version",
        partner.id, partner.name, partner.category, partner.country,
        orjson.dumps(codes_to_json(partner.codes)).decode(), partner.stage,
        partner.merged_into, partner.version)


async def survivor_of(pool: Pool, partner_id: UUID) -> UUID | None:
    """The partner ``partner_id`` stands for (the end of its chain of merges), None for a
    loop."""
    rows = await pool.fetch(
        "WITH RECURSIVE chain (id, next, depth) AS ("
        " SELECT id, merged_into, 0 FROM partners WHERE id = $1"
        " UNION ALL SELECT p.id, p.merged_into, c.depth + 1 FROM chain c"
        " JOIN partners p ON p.id = c.next WHERE c.depth < $2)"
        " SELECT id, next FROM chain", partner_id, MAX_MERGES)
    return survivor(partner_id, {r[0]: r[1] for r in rows})


async def aliases(pool: Pool, partner_id: UUID) -> list[UUID]:
    """The partner and every partner merged into it, directly or along a chain."""
    rows = await pool.fetch(
        "WITH RECURSIVE merged (id, depth) AS (SELECT $1::uuid, 0"
        " UNION SELECT p.id, m.depth + 1 FROM merged m JOIN partners p"
        " ON p.merged_into = m.id WHERE m.depth < $2)"
        " SELECT DISTINCT id FROM merged", partner_id, MAX_MERGES)
    return [r[0] for r in rows]


async def survivors(pool: Pool) -> dict[UUID, UUID]:
    """Every merged partner with the partner it stands for (a loop left out)."""
    rows = await pool.fetch("SELECT id, merged_into FROM partners WHERE merged_into IS NOT NULL")
    merged: dict[UUID, UUID | None] = {r[0]: r[1] for r in rows}
    found = {partner_id: survivor(partner_id, merged) for partner_id in merged}
    return {k: v for k, v in found.items() if v is not None}


async def fill_agreement_partner_ids(pool: Pool) -> int:
    """Give the agreements stored before the partner pages their partner's id, derived from
    the snapshot as every proposal's was then; how many."""
    rows = await pool.fetch("SELECT id, view->'partners'->0->>0, view->'partners'->0->>2"
                            " FROM agreements WHERE partner_id IS NULL")
    if rows:
        await pool.executemany("UPDATE agreements SET partner_id = $2 WHERE id = $1"
                               " AND partner_id IS NULL",
                               [(r[0], partner_id_of(r[1], r[2])) for r in rows])
    return len(rows)
