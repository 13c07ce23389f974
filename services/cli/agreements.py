"""CLI commands on agreements: propose, advance, show, list, tail."""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from plumbing.service_client import ServiceClient
from plumbing.tables import table
from services.cli.bodies import answer_line, body_of, command_headers

AGREEMENT_COLUMNS = ("id", "stage", "kind", "document_type", "lead_opd", "plan_year", "title")






async def propose(args: argparse.Namespace, agreements: ServiceClient) -> str:
    """POST /agreements."""
    body = body_of(args.fields, args.json) or {}
    response = await agreements.request("POST", "/agreements", json=body,
                                        headers=command_headers(args))
    return answer_line(response)


async def advance(args: argparse.Namespace, agreements: ServiceClient) -> str:
    """POST /agreements/{id}/{action}."""
    response = await agreements.request(
        "POST", f"/agreements/{args.id}/{args.action}",
        json=body_of(args.fields, args.json), headers=command_headers(args))
    return answer_line(response)


async def show(args: argparse.Namespace, agreements: ServiceClient) -> str:
    """An agreement's state and its history."""
    state = await agreements.get_json(f"/agreements/{args.id}")
    events = await agreements.get_json(f"/agreements/{args.id}/events")
    if args.output == "json":
        return json.dumps({"state": state, "events": events}, indent=2, ensure_ascii=False)
    partner = state.get("partner") or {}
    facts = [
        ("id", state.get("id")), ("title", state.get("title")), ("stage", state.get("stage")),
        ("version", state.get("version")), ("kind", state.get("kind")),
        ("document", state.get("document_type")),
        ("partner", f"{partner.get('name')} ({partner.get('country')})"),
        ("lead agency", state.get("lead_opd")), ("plan year", state.get("plan_year")),
        ("signed on", state.get("signed_on")),
        ("in force", f"{state.get('effective_from')} .. {state.get('effective_until')}"
         if state.get("effective_from") else None),
        ("sleeping", state.get("sleeping")),
    ]
    history = [(e.get("position"), int(e.get("sequence", 0)), e["type"].split(".")[-2],
                e.get("time", "")[:19]) for e in events]
    return (table(("field", "value"), facts) + "\n\n"
            + table(("position", "version", "event", "recorded"), history))


async def listing(args: argparse.Namespace, agreements: ServiceClient) -> str:
    """GET /agreements with filters."""
    items = await agreements.get_json("/agreements", stage=args.stage, kind=args.kind,
                                      lead_opd=args.lead_opd, plan_year=args.plan_year,
                                      limit=args.limit)
    if args.output == "json":
        return json.dumps(items, indent=2, ensure_ascii=False)
    return table(AGREEMENT_COLUMNS, ([i.get(c) for c in AGREEMENT_COLUMNS] for i in items))


async def tail(args: argparse.Namespace, agreements: ServiceClient) -> str:
    """Print the global feed from ``--after``; with ``--follow``, keep printing."""
    after = args.after
    while True:
        page = await agreements.get_json("/events", after=after, limit=1000)
        for event in page:
            print(json.dumps(event, ensure_ascii=False) if args.output == "json" else
                  f"{event['position']:>8}  {event['type']:<45} {event.get('subject', '')}"
                  f"  v{int(event.get('sequence', 0))}", flush=True)
            after = int(event["position"])
        if not args.follow:
            return ""
        if not page:
            await asyncio.sleep(args.interval)


def add_parsers(sub: Any) -> None:
    """Register the agreement commands on the CLI's subparsers."""
    def writes(p: argparse.ArgumentParser) -> None:
        p.add_argument("fields", nargs="*", metavar="key=value",
                       help="body fields; dots nest (signatory.role=GOVERNOR), key+=v appends")
        p.add_argument("--json", metavar="FILE", help="body from a JSON file ('-' for stdin)")
        p.add_argument("--idempotency-key", help="repeat-safe key (default: a fresh one)")

    p = sub.add_parser("propose", help="propose an agreement (POST /agreements)")
    writes(p)
    p.set_defaults(run=propose, service="agreements")
    p = sub.add_parser("advance", help="act on an agreement: review, sign, follow-ups, ...")
    p.add_argument("id", help="agreement id")
    p.add_argument("action", help="review, request-revision, resubmit, reject, withdraw, "
                   "draft, discuss, approve, sign, plan, follow-ups, "
                   "milestones/<id>/complete, evaluate, terminate, expire")
    writes(p)
    p.add_argument("--if-match", type=int, help="refuse unless the agreement is at this version")
    p.set_defaults(run=advance, service="agreements")
    p = sub.add_parser("show", help="one agreement with its history")
    p.add_argument("id")
    p.set_defaults(run=show, service="agreements")
    p = sub.add_parser("list", help="agreements, filtered")
    p.add_argument("--stage")
    p.add_argument("--kind")
    p.add_argument("--lead-opd")
    p.add_argument("--plan-year", type=int)
    p.add_argument("--limit", type=int, default=100)
    p.set_defaults(run=listing, service="agreements")
    p = sub.add_parser("tail", help="the event stream (global feed)")
    p.add_argument("--after", type=int, default=0, help="start after this position")
    p.add_argument("--follow", "-f", action="store_true", help="keep printing new events")
    p.add_argument("--interval", type=float, default=1.0, help="seconds between polls")
    p.set_defaults(run=tail, service="agreements")
