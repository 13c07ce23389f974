"""PostgreSQL: create and drop databases, open pools, and (re-exported) migrations.

:func:`migrate` lives in :mod:`plumbing.migrations` and is re-exported here, so a
service needs one import for its database set-up::

    await ensure_database(url)
    pool = await create_pool(url)
    await migrate(pool, Path(__file__).parent / "migrations")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias
from urllib.parse import unquote, urlsplit

import asyncpg
import asyncpg.pool

from plumbing.migrations import Migration, load_migrations, migrate
from plumbing.urls import redact

if TYPE_CHECKING:
    Pool: TypeAlias = asyncpg.Pool[asyncpg.Record]
    Connection: TypeAlias = asyncpg.Connection[asyncpg.Record]
    Conn: TypeAlias = Connection | asyncpg.pool.PoolConnectionProxy[asyncpg.Record]
else:
    Pool = asyncpg.Pool
    Connection = asyncpg.Connection
    Conn = asyncpg.Connection | asyncpg.pool.PoolConnectionProxy
# Conn is a plain connection or one acquired from a pool: what callbacks receive.


def quote_ident(name: str) -> str:
    """Quote an SQL identifier (a database or table name)."""
    return '"' + name.replace('"', '""') + '"'


def database_name(url: str) -> str:
    """The database named by a ``postgresql://`` URL."""
    name = unquote(urlsplit(url).path.lstrip("/"))
    if not name:
        raise ValueError(f"no database name in {redact(url)}")
    return name


async def _connect_maintenance(url: str) -> Connection:
    try:
        return await asyncpg.connect(url, database="postgres")
    except (OSError, asyncpg.PostgresError) as exc:
        raise ConnectionError(f"cannot connect to PostgreSQL at {redact(url)}: {exc}") from exc


async def ensure_database(url: str) -> None:
    """Create the database of ``url`` unless it exists; safe when processes race.

    Connects to the ``postgres`` database of the same server to do so.
    """
    name = database_name(url)
    conn = await _connect_maintenance(url)
    try:
        if await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            return
        try:
            await conn.execute(f"CREATE DATABASE {quote_ident(name)}")
        except (asyncpg.DuplicateDatabaseError, asyncpg.UniqueViolationError):
            pass  # another process created it between our check and our CREATE
    finally:
        await conn.close()


async def drop_database(url: str) -> None:
    """Drop the database of ``url`` if it exists, disconnecting its sessions (for tests)."""
    conn = await _connect_maintenance(url)
    try:
        name = quote_ident(database_name(url))
        await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await conn.close()


async def create_pool(url: str, **kwargs: Any) -> Pool:
    """Open an asyncpg pool; ``kwargs`` go to :func:`asyncpg.create_pool`.

    Raises ConnectionError naming the URL (without its password) when the server
    cannot be reached or refuses the connection.
    """
    try:
        pool = await asyncpg.create_pool(url, **kwargs)
    except (OSError, asyncpg.PostgresError) as exc:
        raise ConnectionError(f"cannot connect to PostgreSQL at {redact(url)}: {exc}") from exc
    assert pool is not None  # only None when awaited twice
    return pool

async def rollback_only_reset(conn: Connection) -> None:
    """A pool ``reset`` that only ends a transaction left open.

    asyncpg's default reset costs a round trip per release (RESET ALL, UNLISTEN, unlock);
    pools whose users never change session state, LISTEN or keep session advisory locks
    can use this one instead.
    """
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


__all__ = [
    "Conn",
    "Connection",
    "Migration",
    "Pool",
    "create_pool",
    "database_name",
    "drop_database",
    "ensure_database",
    "load_migrations",
    "migrate",
    "quote_ident",
    "rollback_only_reset",
]
