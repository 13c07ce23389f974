"""``kerjasama migrate``: create and migrate the agreements database as its owner.

Runs as the owner of the event tables, in a step of its own before the service starts
(``./scripts/run``, the compose ``agreements-migrate`` service, the Kubernetes
initContainer); the service itself runs as a runtime role that owns nothing. The work is
the agreements service's own operator action, ``python -m services.agreements migrate``.
"""

from __future__ import annotations

import argparse
from typing import Any

from plumbing.service_client import run_service_action


async def run_migrate(args: argparse.Namespace) -> str:
    """Migrate as the owner; grant the runtime role; say what was applied."""
    options = [*(["--database-url", args.database_url] if args.database_url else []),
               *(["--runtime-role", args.runtime_role] if args.runtime_role else [])]
    return await run_service_action("agreements", "migrate", *options)


def add_parsers(sub: Any) -> None:
    """Register ``migrate``."""
    p = sub.add_parser("migrate", help="create and migrate the agreements database as the "
                       "owner of its event tables and grant the service's runtime role")
    p.add_argument("--database-url", default=None,
                   help="the owner's postgresql:// URL (default "
                   "$KERJASAMA_AGREEMENTS_OWNER_DATABASE_URL, else "
                   "$KERJASAMA_AGREEMENTS_DATABASE_URL)")
    p.add_argument("--runtime-role", default=None,
                   help="the role the service runs as (default "
                   "$KERJASAMA_AGREEMENTS_RUNTIME_ROLE); it gets SELECT and INSERT on the "
                   "event tables and owns nothing")
    p.set_defaults(run_direct=run_migrate)
