"""Generations of the projection: each a PostgreSQL schema; one of them is current.

The live consumer, the refresher and the HTTP queries enter the current generation per
transaction (:func:`enter`): writers under a shared advisory lock, the rebuild's switch
under the exclusive one, readers without a lock. A rebuild fills a new schema, then, in
one transaction holding the exclusive lock, catches it up and makes it current; readers
see the old generation until that transaction commits and the new one afterwards.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Literal

from plumbing import inbox
from plumbing.db import Conn, Pool, migrate, quote_ident

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
PUBLIC_MIGRATIONS = MIGRATIONS / "public"
PROJECTION_MIGRATIONS = MIGRATIONS / "projection"
PROJECTION_MIGRATIONS_TABLE = "projection_migrations"
SCHEMA_PREFIX = "reporting_g"

Mode = Literal["read", "write", "switch"]


def schema_of(generation: int) -> str:
    """The schema of a generation: ``reporting_g<N>``."""
    return f"{SCHEMA_PREFIX}{generation}"


async def _use_schema(conn: Conn, schema: str) -> None:
    await conn.execute(f"SET search_path = {quote_ident(schema)}, public")


async def install_generation(conn: Conn, schema: str) -> None:
    """Create (if missing) and migrate the tables of a generation, inbox included.

    Changes the session's ``search_path``: use a connection of its own.
    """
    await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(schema)}")
    await _use_schema(conn, schema)
    await inbox.install(conn)  # first: a migration reads what the inbox holds
    await migrate(conn, PROJECTION_MIGRATIONS, table=PROJECTION_MIGRATIONS_TABLE)


async def prepare(pool: Pool) -> str:
    """Migrate the shared tables and the current generation (the first one if none)."""
    async with pool.acquire() as conn:
        try:
            await migrate(conn, PUBLIC_MIGRATIONS)
            async with conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended("
                                   "'kerjasama.reporting.first-generation', 0))")
                await conn.execute(
                    "INSERT INTO projection_generation (id, generation, schema_name)"
                    " VALUES (1, 1, $1) ON CONFLICT (id) DO NOTHING", schema_of(1))
            schema: str = await conn.fetchval(
                "SELECT schema_name FROM projection_generation WHERE id = 1")
            await install_generation(conn, schema)
            return schema
        finally:
            await conn.execute("RESET search_path")


async def current(pool: Pool | Conn) -> tuple[int, str]:
    """The current generation and its schema."""
    row = await pool.fetchrow(
        "SELECT generation, schema_name FROM projection_generation WHERE id = 1")
    if row is None:
        raise RuntimeError("the projection has no generation yet: run prepare() first")
    return int(row["generation"]), str(row["schema_name"])


@asynccontextmanager
async def enter(pool: Pool, mode: Mode) -> AsyncIterator[Conn]:
    """A connection in a transaction whose ``search_path`` is the current generation."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT reporting_enter($1)", mode)
        yield conn


@asynccontextmanager
async def enter_snapshot(pool: Pool) -> AsyncIterator[Conn]:
    """A read-only transaction on the current generation whose statements all see one
    snapshot (repeatable read): for a reader that must not see a writer's commit between
    two of its statements."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read",
                                                        readonly=True):
        await conn.execute("SELECT reporting_enter('read')")
        yield conn


@asynccontextmanager
async def enter_schema(pool: Pool, schema: str) -> AsyncIterator[Conn]:
    """A connection in a transaction on a given generation's schema (the one a rebuild
    fills, which nobody else writes)."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT set_config('search_path', $1, true)",
                           f"{quote_ident(schema)}, public")
        yield conn


async def drop(pool: Pool, schema: str) -> None:
    """Drop a generation that is no longer current."""
    _, live = await current(pool)
    if schema == live:
        raise ValueError(f"{schema} is the current generation")
    await pool.execute(f"DROP SCHEMA IF EXISTS {quote_ident(schema)} CASCADE")
