"""The mapping reminder's tables in PostgreSQL: each year's mapping due date
(``mapping_due_dates``) and each mapping item's year, agency and stage (``mapping_items``).

Each work-program year and each item is its own stream, applied in order by the inbox;
what the reminder asks (has this agency an active item of that year?) is read across
them, so the arrival order of different streams does not matter.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from plumbing.db import Conn
from services.notifications.domain import MappingDue
from services.notifications.domain.mapping import MappingItem


def _due(year: int, due_on: date | None, known_on: date | None) -> MappingDue | None:
    if due_on is None or known_on is None:
        return None
    return MappingDue(year, due_on, known_on)


async def load_due(conn: Conn, year: int) -> MappingDue | None:
    """The year's mapping due date, its row locked until the transaction ends."""
    row = await conn.fetchrow("SELECT due_on, known_on FROM mapping_due_dates WHERE year = $1"
                              " FOR UPDATE", year)
    return None if row is None else _due(year, row["due_on"], row["known_on"])


async def save_due(conn: Conn, year: int, due: MappingDue | None) -> None:
    """Store the year's mapping due date (None: the program sets none); the scheduler
    looks at the year again."""
    await conn.execute(
        "INSERT INTO mapping_due_dates (year, due_on, known_on) VALUES ($1, $2, $3)"
        " ON CONFLICT (year) DO UPDATE SET due_on = EXCLUDED.due_on,"
        " known_on = EXCLUDED.known_on, evaluated_on = NULL",
        year, None if due is None else due.due_on, None if due is None else due.known_on)


async def record_item(conn: Conn, item: MappingItem) -> None:
    """Store a mapping item as its latest event leaves it."""
    await conn.execute(
        "INSERT INTO mapping_items (item_id, year, opd, active) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (item_id) DO UPDATE SET year = EXCLUDED.year, opd = EXCLUDED.opd,"
        " active = EXCLUDED.active", item.item_id, item.year, item.opd, item.active)


async def claim_due(conn: Conn, today: date, limit: int) -> list[MappingDue]:
    """Years whose mapping due date has come and that were not evaluated on ``today``,
    locked (others' locks skipped)."""
    rows = await conn.fetch(
        "SELECT year, due_on, known_on FROM mapping_due_dates WHERE due_on <= $1"
        " AND (evaluated_on IS NULL OR evaluated_on <> $1)"
        " ORDER BY year LIMIT $2 FOR UPDATE SKIP LOCKED", today, limit)
    return [MappingDue(r["year"], r["due_on"], r["known_on"]) for r in rows]


async def mark_evaluated(conn: Conn, years: list[int], today: date) -> None:
    """Remember that these years were evaluated on ``today``."""
    await conn.execute("UPDATE mapping_due_dates SET evaluated_on = $2"
                       " WHERE year = ANY($1::int[])", years, today)


async def agencies(conn: Conn, year: int, offices: Collection[str]) -> list[str]:
    """The agencies the service knows for a year: those with a contact (offices left out)
    and those with a mapping item of the year, active or not."""
    rows = await conn.fetch(
        "SELECT code FROM (SELECT code FROM contacts"
        " UNION SELECT opd FROM mapping_items WHERE year = $1) AS known"
        " WHERE NOT code = ANY($2::text[]) ORDER BY code",
        year, sorted(offices))
    return [r["code"] for r in rows]


async def mapped(conn: Conn, year: int) -> set[str]:
    """The agencies with at least one active mapping item of ``year``
    (:func:`~services.notifications.domain.mapping.mapped_agencies`)."""
    rows = await conn.fetch("SELECT DISTINCT opd FROM mapping_items WHERE year = $1 AND active",
                            year)
    return {r["opd"] for r in rows}
