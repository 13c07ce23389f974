"""The agreements database's schema and who may do what in it (docs/domain.md#boundaries).

The tables, functions and sequences belong to an *owner* role that runs the migrations
(``kerjasama migrate``). The service runs as a *runtime* role that owns nothing: it may
read and append events but never update, delete or truncate one, nor disable the
append-only trigger (only a table's owner may). The runtime role gets SELECT and INSERT
on every table, now and on tables later migrations add (default privileges), and only
the extra privileges named in :data:`RUNTIME_EXTRA` on the tables that need them.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

import asyncpg

from plumbing.db import Conn, Connection, database_name, ensure_database, migrate, quote_ident
from plumbing.errors import MigrationError
from plumbing.migrations import load_migrations
from plumbing.urls import redact

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
MIGRATIONS_TABLE = "schema_migrations"
GRANT_LOCK = "kerjasama.agreements.migrate"
RUNTIME_BASE = "SELECT, INSERT"
"""What the runtime role may do on every table of the schema, including later ones."""
RUNTIME_EXTRA: dict[str, str] = {
    "outbox": "DELETE",        # the relay deletes what it published
    "agreements": "UPDATE",    # the read model is kept current in the command's transaction
    "mapping_items": "UPDATE",  # so is the mapping's
    "partners": "UPDATE",       # and the partner registry's
    "partner_adoption": "UPDATE",  # how far the adoption job has read
}
"""Privileges beyond :data:`RUNTIME_BASE`, by table; never on an event table."""
RUNTIME_READ_ONLY = (MIGRATIONS_TABLE,)
"""Tables the runtime role may only read: a row it wrote in the record of migrations
would make ``kerjasama migrate`` skip that migration."""


class SchemaNotMigrated(RuntimeError):
    """Raised when the service starts on a database whose migrations are not all applied."""


def url_user(url: str) -> str:
    """The role a ``postgresql://`` URL logs in as (``postgres`` when it names none)."""
    return unquote(urlsplit(url).username or "postgres")


async def migrate_database(owner_url: str, runtime_role: str | None) -> list[int]:
    """Create (if needed) and migrate the database as its owner; grant the runtime role.

    ``owner_url`` logs in as the owner of the event tables (it creates the database when
    missing, so it owns it and its public schema). ``runtime_role`` is the role the
    service runs as; None only migrates (a development set-up whose service runs as the
    owner or a superuser). Returns the migration versions applied by this call. Raises
    MigrationError when the runtime role is the owner or owns anything in the database.
    """
    await ensure_database(owner_url)
    conn: Connection = await asyncpg.connect(owner_url)
    try:
        owner = await conn.fetchval("SELECT current_user")
        if runtime_role is not None and runtime_role == owner:
            raise MigrationError(f"the runtime role {runtime_role} is the owner of the event "
                                 "tables; give the service a role of its own")
        # One run at a time (replicas' init steps start together): grants race otherwise.
        await conn.execute("SELECT pg_advisory_lock(hashtextextended($1, 0))", GRANT_LOCK)
        if runtime_role is not None:
            await _default_privileges(conn, runtime_role)
        applied = await migrate(conn, MIGRATIONS, table=MIGRATIONS_TABLE)
        if runtime_role is not None:
            await _grant(conn, runtime_role, database_name(owner_url))
            await _refuse_ownership(conn, runtime_role)
        return applied
    finally:
        await conn.close()  # ends the session, and its lock


async def _default_privileges(conn: Conn, role: str) -> None:
    r = quote_ident(role)
    await conn.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT {RUNTIME_BASE} ON TABLES TO {r};"
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {r}")


async def _grant(conn: Conn, role: str, database: str) -> None:
    r = quote_ident(role)
    statements = [
        f"GRANT CONNECT, TEMPORARY ON DATABASE {quote_ident(database)} TO {r}",
        f"GRANT USAGE ON SCHEMA public TO {r}",
        f"GRANT {RUNTIME_BASE} ON ALL TABLES IN SCHEMA public TO {r}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {r}",
    ]
    statements += [f"GRANT {privileges} ON TABLE {quote_ident(table)} TO {r}"
                   for table, privileges in RUNTIME_EXTRA.items()]
    statements += [f"REVOKE ALL ON TABLE {quote_ident(table)} FROM {r}; "
                   f"GRANT SELECT ON TABLE {quote_ident(table)} TO {r}"
                   for table in RUNTIME_READ_ONLY]
    async with conn.transaction():
        for statement in statements:
            await conn.execute(statement)


async def _refuse_ownership(conn: Conn, role: str) -> None:
    # PostgreSQL before 15 lets every role create in the public schema: take that away
    # where the owner owns the schema, and refuse where it does not.
    if await conn.fetchval("SELECT has_schema_privilege($1, 'public', 'CREATE')", role):
        if await conn.fetchval("SELECT pg_has_role(nspowner, 'USAGE') FROM pg_namespace"
                               " WHERE nspname = 'public'"):
            await conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        if await conn.fetchval("SELECT has_schema_privilege($1, 'public', 'CREATE')", role):
            raise MigrationError(
                f"the runtime role {role} may create objects in the schema public; as its "
                f"owner run REVOKE CREATE ON SCHEMA public FROM PUBLIC, {role}")
    owned = await conn.fetch(
        "SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE c.relowner = to_regrole($1) AND n.nspname NOT LIKE 'pg\\_%'"
        " AND n.nspname <> 'information_schema'"
        " UNION ALL SELECT p.proname FROM pg_proc p WHERE p.proowner = to_regrole($1)"
        " UNION ALL SELECT '(the database)' FROM pg_database"
        "  WHERE datname = current_database() AND datdba = to_regrole($1)"
        " UNION ALL SELECT '(schema ' || nspname || ')' FROM pg_namespace"
        "  WHERE nspowner = to_regrole($1)", role)
    if owned:
        names = ", ".join(sorted(r["name"] for r in owned))
        raise MigrationError(
            f"the runtime role {role} owns {names} in this database, so it could disable "
            f"the append-only rule; as a superuser run REASSIGN OWNED BY {role} TO "
            "<owner role> (and ALTER DATABASE ... OWNER TO <owner role>), then migrate again")


async def require_migrated(conn: Conn | asyncpg.Pool, url: str) -> None:
    """Raise SchemaNotMigrated unless every migration of the service is applied."""
    wanted = {m.version: m.label for m in load_migrations(MIGRATIONS)}
    try:
        rows = await conn.fetch(f"SELECT version FROM {MIGRATIONS_TABLE}")
    except asyncpg.UndefinedTableError:
        rows = []
    missing = sorted(set(wanted) - {r["version"] for r in rows})
    if missing:
        labels = ", ".join(wanted[v] for v in missing)
        raise SchemaNotMigrated(
            f"the agreements database at {redact(url)} is not migrated (missing {labels}): "
            "run `kerjasama migrate` as the owner of its event tables before starting the "
            "service")


async def prepare_database(url: str) -> None:
    """Make sure the service may start on ``url``: migrated, or migrate it in development.

    A service whose role is a superuser (the development default,
    ``postgres@127.0.0.1``) creates and migrates its database itself: such a role could
    disable any trigger anyway, so nothing is weakened. Any other role never migrates:
    SchemaNotMigrated names ``kerjasama migrate`` when the database is missing or behind.
    """
    try:
        conn: Connection = await asyncpg.connect(url)
    except asyncpg.InvalidCatalogNameError:
        if await _superuser(url, database="postgres"):
            await migrate_database(url, None)
            return
        raise SchemaNotMigrated(
            f"the agreements database at {redact(url)} does not exist: run "
            "`kerjasama migrate` as the owner of its event tables before starting the "
            "service") from None
    except (OSError, asyncpg.PostgresError) as exc:
        raise ConnectionError(f"cannot connect to PostgreSQL at {redact(url)}: {exc}") from exc
    try:
        superuser = await conn.fetchval(
            "SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if not superuser:
            await require_migrated(conn, url)
            return
    finally:
        await conn.close()
    await migrate_database(url, None)


async def _superuser(url: str, database: str) -> bool:
    try:
        conn: Connection = await asyncpg.connect(url, database=database)
    except (OSError, asyncpg.PostgresError) as exc:
        raise ConnectionError(f"cannot connect to PostgreSQL at {redact(url)}: {exc}") from exc
    try:
        return bool(await conn.fetchval(
            "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"))
    finally:
        await conn.close()
