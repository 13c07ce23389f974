"""What the partner pages read: a partner's public agreements with their totals, and the
partners that have public agreements (a merged partner's agreements counted under the
partner that stays). Only public agreements count, as on the register."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID

import orjson
from asyncpg import Record

from plumbing.db import Pool
from services.portal.adapters import partners
from services.portal.adapters.store import status_sql
from services.portal.domain.partners import (
    MAX_MERGES,
    Shown,
    Totals,
    codes_from_json,
    shown,
)
from services.portal.domain.register import Party, PublicAgreement, Status, from_json

_STATUS = status_sql()  # of the day $1
_SNAPSHOT = ("(array_agg(a.view->'partners'->0 ORDER BY a.partner_id = {id} DESC,"
             " a.signed_on DESC, a.id))[1]::text")
"""The snapshot shown until the registration arrives: that of the latest agreement naming
the partner itself, else of one naming a partner merged into it."""


@dataclass(frozen=True)
class PartnerPage:
    """One page of a partner: who it is, its totals and a page of its agreements."""

    partner: Shown
    totals: Totals
    items: list[tuple[PublicAgreement, Status]]


@dataclass(frozen=True)
class Listed:
    """A partner in the list of partners."""

    partner: Shown
    agreements: int
    in_force: int


def _amount(value: Decimal | None) -> int | None:
    return None if value is None else int(value)


async def partner_page(pool: Pool, partner_id: UUID, aliases: list[UUID], today: date,
                       page: int, size: int) -> PartnerPage | None:
    """The partner's page: the agreements naming it or a partner merged into it
    (``aliases``), newest signing first; None when none is public."""
    row = await pool.fetchrow(
        f"SELECT count(*), count(*) FILTER (WHERE ({status_sql('a.')}) = 'in_force'),"
        " sum((a.view->>'value_cash')::numeric), sum((a.view->>'value_in_kind')::numeric),"
        f" sum((a.view->>'revenue')::numeric), {_SNAPSHOT.format(id='$2')}"
        " FROM agreements a WHERE a.public AND a.partner_id = ANY($3::uuid[])",
        today, partner_id, aliases)
    if row is None or not row[0]:
        return None
    rows = await pool.fetch(
        f"SELECT view::text, {_STATUS} FROM agreements WHERE public"
        f" AND partner_id = ANY($2::uuid[]) ORDER BY signed_on DESC, id LIMIT {size}"
        f" OFFSET {(page - 1) * size}", today, aliases)
    totals = Totals(int(row[0]), int(row[1]), _amount(row[2]), _amount(row[3]),
                    _amount(row[4]))
    found = shown(partner_id, await partners.load(pool, partner_id),
                  Party(*orjson.loads(row[5])))
    return PartnerPage(found, totals, [(from_json(orjson.loads(r[0])), r[1]) for r in rows])


def _like(q: str) -> str:
    escaped = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


_NAMED = (
    "WITH RECURSIVE resolved (origin, id, depth) AS ("
    " SELECT DISTINCT partner_id, partner_id, 0 FROM agreements"
    "  WHERE public AND partner_id IS NOT NULL"
    " UNION ALL SELECT r.origin, p.merged_into, r.depth + 1 FROM resolved r"
    "  JOIN partners p ON p.id = r.id WHERE p.merged_into IS NOT NULL AND r.depth < $3),"
    " survivor AS (SELECT DISTINCT ON (origin) origin, id FROM resolved"
    "  ORDER BY origin, depth DESC),"
    " listed AS (SELECT s.id, count(*) AS agreements,"
    f"  count(*) FILTER (WHERE ({status_sql('a.')}) = 'in_force') AS in_force,"
    f"  {_SNAPSHOT.format(id='s.id')} AS snapshot"
    "  FROM agreements a JOIN survivor s ON s.origin = a.partner_id WHERE a.public"
    "  GROUP BY s.id),"
    " named AS (SELECT l.*, p.name, p.category, p.country, p.codes::text AS codes,"
    "  lower(coalesce(p.name, l.snapshot::json->>0)) AS sort"
    "  FROM listed l LEFT JOIN partners p ON p.id = l.id)")
"""Every partner with public agreements (each agreement under the end of its partner's
chain of merges), its counts and the name it is sorted and searched by ($1 the day, $2
the pattern or null, $3 MAX_MERGES)."""


async def listing(pool: Pool, q: str | None, today: date, page: int,
                  size: int) -> tuple[list[Listed], int]:
    """The partners with public agreements whose name contains ``q`` (any case), by name;
    one page of them and how many there are."""
    where = " WHERE $2::text IS NULL OR sort LIKE $2"
    args = (today, _like(q) if q else None, MAX_MERGES)
    async with pool.acquire() as conn:
        total = await conn.fetchval(f"{_NAMED} SELECT count(*) FROM named{where}", *args)
        rows = await conn.fetch(
            f"{_NAMED} SELECT id, name, category, country, codes, snapshot, agreements,"
            f" in_force FROM named{where} ORDER BY sort, id LIMIT {size}"
            f" OFFSET {(page - 1) * size}", *args)
    return [Listed(_shown(r), int(r["agreements"]), int(r["in_force"])) for r in rows], int(
        total)


def _shown(row: Record) -> Shown:
    snapshot = Party(*orjson.loads(row["snapshot"]))
    if row["name"] is None:
        return Shown(row["id"], snapshot.name, snapshot.category, snapshot.country, (),
                     registered=False)
    return Shown(row["id"], row["name"], row["category"], row["country"],
                 codes_from_json(orjson.loads(row["codes"])), registered=True)
