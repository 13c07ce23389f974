"""Operator actions of the agreements service: ``python -m services.agreements <action>``,
the public way for ``kerjasama`` and for deployments to run them.

``migrate`` creates and migrates the database as the owner of the event tables, in a step
of its own before the service starts (``./scripts/run``, the compose
``agreements-migrate`` service, the Kubernetes initContainer); the service itself runs as
a runtime role that owns nothing. ``verify_database`` checks every stream's hash chain
in the database itself (the public-feed check needs no access: ``kerjasama verify``).
"""

from __future__ import annotations

import argparse
import os

import asyncpg

from plumbing.db import create_pool
from plumbing.errors import ConfigError, MigrationError, OperatorError
from plumbing.settings import load_settings, secrets_dir
from plumbing.urls import redact
from services.agreements.adapters.schema import RUNTIME_BASE, migrate_database
from services.agreements.adapters.verify import verify_chains
from services.agreements.settings import AgreementsSettings

OWNER_URL = "KERJASAMA_AGREEMENTS_OWNER_DATABASE_URL"
RUNTIME_ROLE = "KERJASAMA_AGREEMENTS_RUNTIME_ROLE"


def owner_url(given: str | None) -> str:
    """The owner's URL: ``--database-url``, else $KERJASAMA_AGREEMENTS_OWNER_DATABASE_URL
    or its file in $KERJASAMA_SECRETS_DIR, else the service's own URL (development: a
    superuser is both)."""
    if given:
        return given
    if os.environ.get(OWNER_URL):
        return os.environ[OWNER_URL]
    try:
        directory = secrets_dir()
        if directory is not None and (directory / OWNER_URL).is_file():
            return (directory / OWNER_URL).read_text(encoding="utf-8").strip()
        return str(load_settings(AgreementsSettings).agreements_database_url)
    except ConfigError as exc:
        raise OperatorError(str(exc)) from None


async def migrate(database_url: str | None, runtime_role: str | None) -> str:
    """Migrate; grant the runtime role; say what was applied."""
    url = owner_url(database_url)
    role = runtime_role or os.environ.get(RUNTIME_ROLE) or None
    try:
        applied = await migrate_database(url, role)
    except (MigrationError, ConnectionError, OSError) as exc:
        raise OperatorError(f"kerjasama migrate: {exc}") from None
    except asyncpg.InsufficientPrivilegeError as exc:
        raise OperatorError(
            f"kerjasama migrate: {exc}. A database the service's own role made (before its "
            "event tables had an owner role) is handed over once by a superuser: ALTER "
            "DATABASE kerjasama_agreements OWNER TO <owner>; then in that database "
            "REASSIGN OWNED BY <service role> TO <owner> (docs/operations.md)") from None
    done = (f"applied migrations {', '.join(f'{v:03d}' for v in applied)}" if applied
            else "already up to date")
    granted = (f"; runtime role {role}: {RUNTIME_BASE} on the event tables, owns nothing"
               if role else "; no runtime role given (the service runs as the owner)")
    return f"agreements database at {redact(url)}: {done}{granted}"


async def verify_database() -> str:
    """Verify every stream in the database (read directly, as the service's own role);
    OperatorError naming the first broken link of each broken stream."""
    try:
        settings = load_settings(AgreementsSettings)
    except ConfigError as exc:
        raise OperatorError(str(exc)) from None
    pool = await create_pool(settings.agreements_database_url, min_size=1, max_size=1)
    try:
        result = await verify_chains(pool)
    finally:
        await pool.close()
    refused = [f"stored event the current contract would refuse: stream {r.stream_id} "
               f"version {r.version} (position {r.position}): {r.reason}"
               for r in result.refused]
    if result.broken:
        first = result.broken[0]
        more = f" (and {len(result.broken) - 1} more broken streams)" \
            if len(result.broken) > 1 else ""
        raise OperatorError("\n".join([
            *refused, f"hash chain broken in stream {first.stream_id} at version "
            f"{first.version} (position {first.position}): {first.reason}{more}"]))
    return "\n".join([*refused, f"verified {result.events} events in {result.streams} "
                      f"streams: every chain holds"
                      + (f"; {len(refused)} stored events would be refused today"
                         if refused else "")])


async def migrate_action(args: list[str]) -> str:
    """``migrate [--database-url URL] [--runtime-role ROLE]``."""
    parser = argparse.ArgumentParser(prog="python -m services.agreements migrate")
    parser.add_argument("--database-url", default=None,
                        help=f"the owner's postgresql:// URL (default ${OWNER_URL}, else "
                        "$KERJASAMA_AGREEMENTS_DATABASE_URL)")
    parser.add_argument("--runtime-role", default=None,
                        help=f"the role the service runs as (default ${RUNTIME_ROLE}); it "
                        "gets SELECT and INSERT on the event tables and owns nothing")
    given = parser.parse_args(args)
    return await migrate(given.database_url, given.runtime_role)


async def verify_action(args: list[str]) -> str:
    """``verify-database``."""
    argparse.ArgumentParser(prog="python -m services.agreements verify-database").parse_args(
        args)
    return await verify_database()


ACTIONS = {"migrate": migrate_action, "verify-database": verify_action}
