"""``kerjasama verify``: check the hash chain of every stream of the event store."""

from __future__ import annotations

import argparse
from typing import Any

from services.cli.client import CliError


async def verify(args: argparse.Namespace) -> str:
    """Verify every stream; CliError naming the first broken link of each broken stream."""
    from plumbing.db import create_pool
    from plumbing.errors import ConfigError
    from plumbing.settings import load_settings
    from services.agreements.adapters.verify import verify_chains
    from services.agreements.settings import AgreementsSettings

    try:
        settings = load_settings(AgreementsSettings)
    except ConfigError as exc:
        raise CliError(str(exc)) from None
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
        raise CliError("\n".join([*refused, f"hash chain broken in stream {first.stream_id} at "
                                  f"version {first.version} (position {first.position}): "
                                  f"{first.reason}{more}"]))
    return "\n".join([*refused, f"verified {result.events} events in {result.streams} "
                      f"streams: every chain holds"
                      + (f"; {len(refused)} stored events would be refused today"
                         if refused else "")])


def add_parsers(sub: Any) -> None:
    """Register ``verify``."""
    p = sub.add_parser("verify", help="check the hash chain of every stream (reads the "
                       "event store named by KERJASAMA_AGREEMENTS_DATABASE_URL)")
    p.set_defaults(run_direct=verify)
