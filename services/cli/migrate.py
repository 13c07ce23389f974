"""``kerjasama migrate``: create and migrate the agreements database as its owner.

Runs as the owner of the event tables, in a step of its own before the service starts
(``./scripts/run``, the compose ``agreements-migrate`` service, the Kubernetes
initContainer); the service itself runs as a runtime role that owns nothing.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from services.cli.client import CliError

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
    from plumbing.errors import ConfigError
    from plumbing.settings import load_settings, secrets_dir
    from services.agreements.settings import AgreementsSettings

    try:
        directory = secrets_dir()
        if directory is not None and (directory / OWNER_URL).is_file():
            return (directory / OWNER_URL).read_text(encoding="utf-8").strip()
        return str(load_settings(AgreementsSettings).agreements_database_url)
    except ConfigError as exc:
        raise CliError(str(exc)) from None


async def run_migrate(args: argparse.Namespace) -> str:
    """Migrate; grant the runtime role; say what was applied."""
    import asyncpg

    from plumbing.errors import MigrationError
    from plumbing.urls import redact
    from services.agreements.schema import RUNTIME_BASE, migrate_database

    url = owner_url(args.database_url)
    role = args.runtime_role or os.environ.get(RUNTIME_ROLE) or None
    try:
        applied = await migrate_database(url, role)
    except (MigrationError, ConnectionError, OSError) as exc:
        raise CliError(f"kerjasama migrate: {exc}") from None
    except asyncpg.InsufficientPrivilegeError as exc:
        raise CliError(
            f"kerjasama migrate: {exc}. A database the service's own role made (before its "
            "event tables had an owner role) is handed over once by a superuser: ALTER "
            "DATABASE kerjasama_agreements OWNER TO <owner>; then in that database "
            "REASSIGN OWNED BY <service role> TO <owner> (docs/operations.md)") from None
    done = (f"applied migrations {', '.join(f'{v:03d}' for v in applied)}" if applied
            else "already up to date")
    granted = (f"; runtime role {role}: {RUNTIME_BASE} on the event tables, owns nothing"
               if role else "; no runtime role given (the service runs as the owner)")
    return f"agreements database at {redact(url)}: {done}{granted}"


def add_parsers(sub: Any) -> None:
    """Register ``migrate``."""
    p = sub.add_parser("migrate", help="create and migrate the agreements database as the "
                       "owner of its event tables and grant the service's runtime role")
    p.add_argument("--database-url", default=None,
                   help=f"the owner's postgresql:// URL (default ${OWNER_URL}, else "
                   "$KERJASAMA_AGREEMENTS_DATABASE_URL)")
    p.add_argument("--runtime-role", default=None,
                   help=f"the role the service runs as (default ${RUNTIME_ROLE}); it gets "
                   "SELECT and INSERT on the event tables and owns nothing")
    p.set_defaults(run_direct=run_migrate)
