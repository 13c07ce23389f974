"""``kerjasama verify``: check history from the public feed against signed checkpoints.

By default it reads only what the agreements service serves to anyone (``GET /events``, ``GET
/checkpoints``, ``GET /checkpoints/public-key``), plus ``--checkpoints FILE`` of checkpoints saved
earlier and ``--public-key FILE``, the way an outside witness holds them
(docs/domain.md#boundaries). ``--database`` checks the stream chains in the event store directly
(KERJASAMA_AGREEMENTS_DATABASE_URL) and lists stored events today's contract refuses.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from plumbing.service_client import CliError, ServiceClient, run_service_action, service_url

PAGE = 1000


async def _all(client: ServiceClient, path: str, position_of: str = "position",
               ) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    after = 0
    while True:
        page: list[dict[str, Any]] = await client.get_json(path, after=after, limit=PAGE)
        items.extend(page)
        if len(page) < PAGE:
            return items
        after = int(page[-1][position_of])


def _read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise CliError(f"cannot read the {what} file {path}: {exc}") from None


async def verify_feed_command(args: argparse.Namespace) -> str:
    """Verify the feed; CliError naming every finding."""
    from plumbing.feed_verify import verify_feed
    from plumbing.ledger import Checkpoint, public_key_of

    async with ServiceClient("agreements", service_url("agreements"), args.user) as client:
        jwk = (_read_json(args.public_key, "public key") if args.public_key
               else await client.get_json("/checkpoints/public-key"))
        saved = _read_json(args.checkpoints, "checkpoints") if args.checkpoints else []
        served = await _all(client, "/checkpoints")
        events = await _all(client, "/events")
    checkpoints = {(c.position, c.hash, c.signature): c
                   for c in (Checkpoint.from_json(item) for item in [*saved, *served])}
    result = verify_feed(events, checkpoints.values(), public_key_of(jwk))
    if result.problems:
        raise CliError("\n".join(result.problems))
    return result.summary(len(checkpoints))


async def verify_database(args: argparse.Namespace) -> str:
    """The agreements service's own check of its database, as its operator action."""
    return await run_service_action("agreements", "verify-database")


async def verify(args: argparse.Namespace) -> str:
    """The feed check, or with ``--database`` the direct one."""
    return await (verify_database(args) if args.database else verify_feed_command(args))


def add_parsers(sub: Any) -> None:
    """Register ``verify``."""
    p = sub.add_parser("verify", help="check history from the public feed of the agreements "
                       "service against its signed checkpoints (KERJASAMA_AGREEMENTS_URL)")
    p.add_argument("--checkpoints", type=Path, default=None,
                   help="a JSON list of checkpoints saved earlier (from GET /checkpoints or "
                   "the ledger.checkpointed events), checked besides the served ones")
    p.add_argument("--public-key", type=Path, default=None,
                   help="the checkpoint public key (JWK) saved earlier; default: the one "
                   "the service serves")
    p.add_argument("--database", action="store_true",
                   help="instead, check the stream chains in the event store named by "
                   "KERJASAMA_AGREEMENTS_DATABASE_URL")
    p.set_defaults(run_direct=verify)
