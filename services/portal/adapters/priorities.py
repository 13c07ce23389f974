"""Rows of the year's policy priorities (their names for the pages)."""

from __future__ import annotations

from plumbing.db import Conn, Pool
from services.portal.domain.planning import Priority, YearPriorities


async def replace(conn: Conn, year: YearPriorities) -> None:
    """The year's priorities become exactly ``year.priorities``."""
    await conn.execute("DELETE FROM priorities WHERE year = $1", year.year)
    await conn.executemany(
        "INSERT INTO priorities (year, position, code, name) VALUES ($1, $2, $3, $4)",
        [(year.year, i, p.code, p.name) for i, p in enumerate(year.priorities)])


async def of_year(pool: Pool, year: int) -> list[Priority]:
    """The priorities of a year, in the work program's order."""
    rows = await pool.fetch("SELECT code, name FROM priorities WHERE year = $1"
                            " ORDER BY position", year)
    return [Priority(r[0], r[1]) for r in rows]


async def names(pool: Pool) -> dict[str, str]:
    """Every priority code with its name (that of the latest year naming it)."""
    rows = await pool.fetch("SELECT DISTINCT ON (code) code, name FROM priorities"
                            " ORDER BY code, year DESC")
    return {r[0]: r[1] for r in rows}


async def name(pool: Pool, code: str | None, year: int | None) -> str | None:
    """The name of a priority code: as ``year``'s work program names it, else as the
    latest year naming it; the code itself when none does (None for no code)."""
    if code is None:
        return None
    found = await pool.fetchval(
        "SELECT name FROM priorities WHERE code = $1 ORDER BY year = $2 DESC, year DESC"
        " LIMIT 1", code, year)
    return str(found) if found is not None else code
