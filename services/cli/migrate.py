"""``kerjasama migrate``: create and migrate the agreements database as its owner.

Runs as the owner of the event tables, in a step of its own before the service starts
(``./scripts/run``, the compose ``agreements-migrate`` service, the Kubernetes
initContainer); the service itself runs as a runtime role that owns nothing.
"""

from __future__ import annotations

import argparse
from typing import Any

from plumbing.errors import OperatorError
from plumbing.service_client import CliError
from services.agreements.entrypoints.cli import OWNER_URL, RUNTIME_ROLE


async def run_migrate(args: argparse.Namespace) -> str:
    """Migrate as the owner; grant the runtime role; say what was applied."""
    from services.agreements.entrypoints.cli import migrate

    try:
        return await migrate(args.database_url, args.runtime_role)
    except OperatorError as exc:
        raise CliError(str(exc)) from None


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
