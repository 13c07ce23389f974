"""``kerjasama parked``: the streams each consumer parked, and retrying them
(docs/domain.md#boundaries).

Both consuming services (notifications, reporting) are asked; ``retry`` without a stream
retries every parked stream of both. Exit status 1 while any stream stays parked.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from plumbing.service_client import CliError, ServiceClient, service_url

CONSUMERS = ("notifications", "reporting")
ROLES = ("operator",)


def _each(args: argparse.Namespace) -> list[ServiceClient]:
    return [ServiceClient(name, service_url(name), args.user, ROLES) for name in CONSUMERS]


def _line(service: str, item: dict[str, Any]) -> str:
    return (f"{service}: {item['stream_id']} parked since {item['parked_at']} at version "
            f"{item['version']} ({item['type']}), {item['waiting']} waiting: {item['reason']}")


async def parked(args: argparse.Namespace) -> str:
    """List, or retry, the parked streams of every consumer."""
    lines: list[str] = []
    still: list[str] = []
    for client in _each(args):
        async with client:
            items: Sequence[dict[str, Any]] = await client.get_json("/parked")
            if args.action == "list":
                lines.extend(_line(client.name, item) for item in items)
                continue
            streams = [args.stream] if args.stream else [i["stream_id"] for i in items]
            known = {i["stream_id"] for i in items}
            for stream in streams:
                if stream not in known:
                    lines.append(f"{client.name}: {stream} is not parked")
                    continue
                result = (await client.request("POST", f"/parked/{stream}/retry")).json()
                if result["released"]:
                    lines.append(f"{client.name}: {stream} released, {result['handled']} "
                                 "event(s) applied")
                else:
                    still.append(f"{client.name}: {stream} still parked after "
                                 f"{result['handled']} event(s): {result['reason']}")
    if args.action == "list" and not lines:
        return "no parked streams"
    if still:
        raise CliError("\n".join([*lines, *still]))
    return "\n".join(lines) or "nothing to retry"


def add_parsers(sub: Any) -> None:
    """Register ``parked list`` and ``parked retry [STREAM]``."""
    p = sub.add_parser("parked", help="streams the consumers parked (an event they could not "
                       "apply, and the events waiting behind it); retry them after a fix")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("list", help="every parked stream of notifications and reporting")
    retry = actions.add_parser("retry", help="hand a parked stream's events to its consumer "
                               "again (every parked stream without STREAM)")
    retry.add_argument("stream", nargs="?", default=None,
                       help="agreement id or work-program-<year>")
    p.set_defaults(run_direct=parked)
