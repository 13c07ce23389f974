"""SQL migrations: ``NNN_name.sql`` files applied in order, once, under a lock.

Each migration runs in its own transaction and is recorded in a table
(``schema_migrations`` by default: version, name, checksum, applied_at). Runs are
serialized by a PostgreSQL advisory lock, so replicas that start together are safe;
a run is idempotent; an applied migration whose file has changed is refused.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

import asyncpg

from plumbing.errors import MigrationError

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

    # plumbing.db's Pool and Conn, spelled out: db re-exports this module, not the reverse.
    _Pool: TypeAlias = asyncpg.Pool[asyncpg.Record]
    _Conn: TypeAlias = (asyncpg.Connection[asyncpg.Record]
                        | PoolConnectionProxy[asyncpg.Record])

_FILE = re.compile(r"^(\d{3,})_([A-Za-z0-9_\-]+)\.sql$")
_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")


@dataclass(frozen=True)
class Migration:
    """One migration: its version, name and SQL text."""

    version: int
    name: str
    sql: str

    @property
    def label(self) -> str:
        """``NNN_name``, as the file is named."""
        return f"{self.version:03d}_{self.name}"

    @property
    def checksum(self) -> str:
        """SHA-256 of the SQL text, to notice a file changed after it was applied."""
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()


def load_migrations(directory: Path) -> list[Migration]:
    """Read the ``NNN_name.sql`` files of ``directory``, in version order."""
    if not directory.is_dir():
        raise MigrationError(f"{directory}: no such migrations directory")
    found: dict[int, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _FILE.match(path.name)
        if match is None:
            raise MigrationError(f"{path}: migration files are named NNN_name.sql")
        version = int(match.group(1))
        if version in found:
            raise MigrationError(f"{path}: version {version} is used twice in {directory}")
        found[version] = Migration(version, match.group(2), path.read_text(encoding="utf-8"))
    return [found[v] for v in sorted(found)]


async def migrate(
    target: _Pool | _Conn,
    migrations: Path | Sequence[Migration],
    *,
    table: str = "schema_migrations",
) -> list[int]:
    """Apply the migrations not yet applied; return the versions applied by this call.

    ``migrations`` is a directory of ``NNN_name.sql`` files or a list of
    :class:`Migration`. ``table`` records them; a separate table lets a shared schema
    (such as the inbox of :mod:`plumbing.inbox`) be versioned apart from a service's own.
    Raises MigrationError when a migration fails or an applied one was changed.
    """
    if not _IDENT.match(table):
        raise ValueError(f"not a plain table name: {table!r}")
    todo = load_migrations(migrations) if isinstance(migrations, Path) else list(migrations)
    if isinstance(target, asyncpg.Pool):
        async with target.acquire() as conn:
            return await _migrate(conn, todo, table)
    return await _migrate(target, todo, table)


async def _migrate(conn: _Conn, todo: list[Migration], table: str) -> list[int]:
    lock = f"kerjasama.migrate.{table}"
    await conn.execute("SELECT pg_advisory_lock(hashtextextended($1, 0))", lock)
    try:
        await conn.execute(
            f"CREATE TABLE IF NOT EXISTS {table} (version int PRIMARY KEY, name text NOT NULL,"
            " checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        rows = await conn.fetch(f"SELECT version, name, checksum FROM {table}")
        applied = {r["version"]: r for r in rows}
        done: list[int] = []
        for m in todo:
            row = applied.get(m.version)
            if row is not None:
                if row["checksum"] != m.checksum:
                    raise MigrationError(
                        f"migration {m.label} was changed after it was applied (recorded "
                        f"checksum {row['checksum'][:12]}…, now {m.checksum[:12]}…); "
                        "add a new migration instead of editing an applied one"
                    )
                continue
            async with conn.transaction():
                try:
                    await conn.execute(m.sql)
                except asyncpg.PostgresError as exc:
                    raise MigrationError(f"migration {m.label} failed: {exc}") from exc
                await conn.execute(
                    f"INSERT INTO {table} (version, name, checksum) VALUES ($1, $2, $3)",
                    m.version, m.name, m.checksum,
                )
            done.append(m.version)
        return done
    finally:
        await conn.execute("SELECT pg_advisory_unlock(hashtextextended($1, 0))", lock)
