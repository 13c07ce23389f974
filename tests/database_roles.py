"""The agreements database as deployed: an owner role migrates, the service runs as a
runtime role that owns nothing (docs/domain.md#boundaries). Test roles are cluster-wide and kept."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import asyncpg

from plumbing.db import database_name, quote_ident
from services.agreements.adapters.schema import migrate_database

OWNER_ROLE = "kerjasama_test_agreements_owner"
RUNTIME_ROLE = "kerjasama_test_agreements_runtime"


def as_role(url: str, role: str) -> str:
    """``url`` logging in as ``role`` (trust authentication in the test cluster)."""
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{role}@{host}"))


async def _ensure_role(conn: asyncpg.Connection[asyncpg.Record], role: str) -> None:
    if await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role):
        return
    try:
        await conn.execute(f"CREATE ROLE {quote_ident(role)} LOGIN NOSUPERUSER")
    except (asyncpg.DuplicateObjectError, asyncpg.UniqueViolationError):
        pass  # another test run made it meanwhile


async def migrated_as_runtime(superuser_url: str) -> str:
    """Hand the (fresh) database of ``superuser_url`` to the owner role, run ``kerjasama
    migrate``'s step as that owner, and return the URL the service runs with (runtime)."""
    conn = await asyncpg.connect(superuser_url)
    try:
        await _ensure_role(conn, OWNER_ROLE)
        await _ensure_role(conn, RUNTIME_ROLE)
        await conn.execute(f"ALTER DATABASE {quote_ident(database_name(superuser_url))} "
                           f"OWNER TO {quote_ident(OWNER_ROLE)}")
    finally:
        await conn.close()
    await migrate_database(as_role(superuser_url, OWNER_ROLE), RUNTIME_ROLE)
    return as_role(superuser_url, RUNTIME_ROLE)
