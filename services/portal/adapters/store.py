"""Rows of the portal: the agreements' public views and the figures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

import orjson

from plumbing.db import Conn, Pool
from services.portal.domain.register import (
    PublicAgreement,
    PublicDocument,
    Status,
    activity_dates,
    document_from_json,
    from_json,
    to_json,
)


async def load(conn: Conn, agreement_id: UUID) -> PublicAgreement | None:
    """The view of one agreement (public or not), if known."""
    text = await conn.fetchval("SELECT view::text FROM agreements WHERE id = $1",
                               agreement_id)
    return None if text is None else from_json(orjson.loads(text))


def _search(view: PublicAgreement) -> str:
    return " ".join([view.title, view.number or "", *(p.name for p in view.partners)]).lower()


async def save(conn: Conn, view: PublicAgreement, recorded_at: datetime | None) -> None:
    """Insert or replace the view of an agreement."""
    await conn.execute(
        "INSERT INTO agreements (id, public, view, search, kind, category, lead_opd, opds,"
        " stage, signed_on, effective_from, effective_until, terminated_on, recorded_at,"
        " version, last_activity_on, parent_id, document_type, document_hashes, priority,"
        " partner_id) VALUES ($1, $2, $3::json, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,"
        " coalesce($14, now()), $15, $16, $17, $18, $19, $20, $21)"
        " ON CONFLICT (id) DO UPDATE SET public = EXCLUDED.public, view = EXCLUDED.view,"
        " search = EXCLUDED.search, kind = EXCLUDED.kind, category = EXCLUDED.category,"
        " lead_opd = EXCLUDED.lead_opd, opds = EXCLUDED.opds, stage = EXCLUDED.stage,"
        " signed_on = EXCLUDED.signed_on, effective_from = EXCLUDED.effective_from,"
        " effective_until = EXCLUDED.effective_until, terminated_on = EXCLUDED.terminated_on,"
        " recorded_at = CASE WHEN agreements.signed_on IS NULL AND EXCLUDED.signed_on IS NOT"
        " NULL THEN EXCLUDED.recorded_at ELSE agreements.recorded_at END,"
        " version = EXCLUDED.version, last_activity_on = EXCLUDED.last_activity_on,"
        " parent_id = EXCLUDED.parent_id, document_type = EXCLUDED.document_type,"
        " document_hashes = EXCLUDED.document_hashes, priority = EXCLUDED.priority,"
        " partner_id = EXCLUDED.partner_id",
        view.id, view.public, orjson.dumps(to_json(view)).decode(), _search(view), view.kind,
        view.partners[0].category, view.lead_opd, [view.lead_opd, *view.supporting_opds],
        view.stage, view.signed_on, view.effective_from, view.effective_until,
        view.terminated_on, recorded_at, view.version,
        max(activity_dates(view), default=None), view.parent_id, view.document_type,
        sorted({d.sha256 for d in view.documents}), view.priority, view.partner_id)


def status_sql(of: str = "") -> str:
    """The SQL of an agreement's status on the day ``$1`` (columns of the alias ``of``):
    ``terminated`` (by its stage or a termination day reached), ``expired`` (by its stage
    or its last day passed), ``not_yet_in_force`` or ``in_force``."""
    return (f"CASE WHEN {of}stage = 'TERMINATED' OR {of}terminated_on <= $1 THEN 'terminated'"
            f" WHEN {of}stage = 'EXPIRED' OR {of}effective_until < $1 THEN 'expired'"
            f" WHEN {of}effective_from > $1 THEN 'not_yet_in_force' ELSE 'in_force' END")


_STATUS_SQL = status_sql()


@dataclass(frozen=True)
class Filters:
    """What the register is asked for."""

    q: str | None = None
    kind: str | None = None
    category: str | None = None
    opd: str | None = None
    year: int | None = None
    status: Status | None = None
    priority: str | None = None


@dataclass(frozen=True)
class Page:
    """One page of the register."""

    items: list[tuple[PublicAgreement, Status]]
    total: int


def _where(filters: Filters, today: date) -> tuple[str, list[Any]]:
    clauses: list[str] = ["public"]
    args: list[Any] = [today]
    if filters.q:
        escaped = filters.q.lower().replace("\\", "\\\\").replace("%", "\\%").replace(
            "_", "\\_")
        args.append(f"%{escaped}%")
        clauses.append(f"search LIKE ${len(args)}")
    for column, value in (("kind", filters.kind), ("category", filters.category),
                          ("priority", filters.priority)):
        if value:
            args.append(value)
            clauses.append(f"{column} = ${len(args)}")
    if filters.opd:
        args.append(filters.opd)
        clauses.append(f"${len(args)} = ANY(opds)")
    if filters.year:
        args.append(filters.year)
        clauses.append(f"extract(year FROM signed_on) = ${len(args)}")
    if filters.status:
        args.append(filters.status)
        clauses.append(f"({_STATUS_SQL}) = ${len(args)}")
    return " AND ".join(clauses), args


async def register(pool: Pool, filters: Filters, today: date, page: int,
                   size: int) -> Page:
    """The public agreements matching ``filters``, newest signing first."""
    where, args = _where(filters, today)
    async with pool.acquire() as conn:
        total = await conn.fetchval(  # $1 (today) is named whether a status is asked or not
            f"SELECT count(*) FROM agreements WHERE {where} AND $1::date IS NOT NULL", *args)
        rows = await conn.fetch(
            f"SELECT view::text, {_STATUS_SQL} AS status FROM agreements WHERE {where}"
            f" ORDER BY signed_on DESC, id LIMIT {size} OFFSET {(page - 1) * size}", *args)
    return Page([(from_json(orjson.loads(r[0])), r[1]) for r in rows], int(total))


async def public_one(pool: Pool, agreement_id: UUID,
                     today: date) -> tuple[PublicAgreement, Status] | None:
    """One public agreement with its status; None when unknown or not public."""
    row = await pool.fetchrow(
        f"SELECT view::text, {_STATUS_SQL} AS status FROM agreements"
        " WHERE id = $2 AND public", today, agreement_id)
    return None if row is None else (from_json(orjson.loads(row[0])), row[1])


async def listed_document(pool: Pool, agreement_id: UUID,
                          document_id: UUID) -> PublicDocument | None:
    """A document on the public register of a public agreement; None otherwise."""
    text = await pool.fetchval(
        "SELECT d::text FROM agreements, json_array_elements(view->'documents') d"
        " WHERE id = $1 AND public AND d->>'id' = $2", agreement_id, str(document_id))
    if text is None:
        return None
    return document_from_json(orjson.loads(text))


async def listed_hashes(pool: Pool, hashes: Sequence[str]) -> set[str]:
    """Those of ``hashes`` that some document on the public register still has."""
    rows = await pool.fetch(
        "SELECT DISTINCT h FROM agreements, unnest(document_hashes) h"
        " WHERE public AND document_hashes && $1::text[] AND h = ANY($1::text[])",
        list(hashes))
    return {r[0] for r in rows}


async def all_public(pool: Pool, today: date) -> list[tuple[PublicAgreement, Status]]:
    """Every public agreement (open data), newest signing first."""
    rows = await pool.fetch(f"SELECT view::text, {_STATUS_SQL} AS status FROM agreements"
                            " WHERE public ORDER BY signed_on DESC, id", today)
    return [(from_json(orjson.loads(r[0])), r[1]) for r in rows]


async def watched(pool: Pool, today: date, quiet_days: int, within_days: int, limit: int
                  ) -> tuple[list[tuple[PublicAgreement, date]], int, list[PublicAgreement],
                             int]:
    """(the agreements in force with nothing done for ``quiet_days`` or more, quietest
    first, with the last day something was done, a child's signing included, and how many
    there are; those in force whose validity ends within ``within_days``, soonest first,
    and how many): at most ``limit`` of each."""
    quiet = await pool.fetch(
        "SELECT a.view::text, greatest(a.last_activity_on, c.signed) AS last"
        " FROM agreements a LEFT JOIN (SELECT parent_id, max(signed_on) AS signed"
        "   FROM agreements WHERE public AND document_type IN ('PKS', 'ADDENDUM')"
        "   AND signed_on <= $1 GROUP BY parent_id) c ON c.parent_id = a.id"
        f" WHERE a.public AND ({status_sql('a.')}) = 'in_force'"
        " AND greatest(a.last_activity_on, c.signed) <= $1 - $2::int"
        " ORDER BY last, a.id", today, quiet_days)
    ending = await pool.fetch(
        f"SELECT view::text FROM agreements WHERE public AND ({_STATUS_SQL}) = 'in_force'"
        " AND effective_until <= $1 + $2::int ORDER BY effective_until, id", today,
        within_days)
    return ([(from_json(orjson.loads(r[0])), r[1]) for r in quiet[:limit]], len(quiet),
            [from_json(orjson.loads(r[0])) for r in ending[:limit]], len(ending))


async def newly_signed(pool: Pool, limit: int) -> list[tuple[PublicAgreement, datetime]]:
    """The agreements signed most recently by the time they were recorded (the feed)."""
    rows = await pool.fetch("SELECT view::text, recorded_at FROM agreements WHERE public"
                            " ORDER BY recorded_at DESC, id LIMIT $1", limit)
    return [(from_json(orjson.loads(r[0])), r[1]) for r in rows]


async def choices(pool: Pool) -> dict[str, list[Any]]:
    """The values the register's filters offer."""
    row = await pool.fetchrow(
        "SELECT array(SELECT DISTINCT kind FROM agreements WHERE public ORDER BY 1),"
        " array(SELECT DISTINCT category FROM agreements WHERE public ORDER BY 1),"
        " array(SELECT DISTINCT unnest(opds) FROM agreements WHERE public ORDER BY 1),"
        " array(SELECT DISTINCT extract(year FROM signed_on)::int FROM agreements"
        "       WHERE public ORDER BY 1 DESC),"
        " array(SELECT DISTINCT priority FROM agreements WHERE public"
        "       AND priority IS NOT NULL ORDER BY 1)")
    assert row is not None
    return {"kind": list(row[0]), "category": list(row[1]), "opd": list(row[2]),
            "year": list(row[3]), "priority": list(row[4])}


async def save_figures(conn: Conn | Pool, items: Sequence[dict[str, Any]]) -> int:
    """Keep each figure unless a later revision is kept already; how many were taken."""
    taken = 0
    for item in items:
        done = await conn.fetchval(
            "INSERT INTO figures (indicator, year, scope, revision, item)"
            " VALUES ($1, $2, $3, $4, $5::json) ON CONFLICT (indicator, year, scope) DO UPDATE"
            " SET revision = EXCLUDED.revision, item = EXCLUDED.item"
            " WHERE figures.revision < EXCLUDED.revision RETURNING true",
            item["indicator"], int(item["year"]), item["scope"], int(item["revision"]),
            orjson.dumps(item).decode())
        taken += bool(done)
    return taken


async def figures(pool: Pool, year: int | None = None) -> list[dict[str, Any]]:
    """The figures kept (of a year)."""
    rows = await pool.fetch("SELECT item::text FROM figures WHERE $1::int IS NULL OR year = $1"
                            " ORDER BY indicator, year, scope", year)
    return [orjson.loads(r[0]) for r in rows]


async def figure_years(pool: Pool) -> list[int]:
    """The years that have figures, newest first."""
    return [r[0] for r in await pool.fetch("SELECT DISTINCT year FROM figures ORDER BY 1 DESC")]
