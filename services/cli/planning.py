"""CLI commands on the planning side: the year's work program (targets, priorities, mapping
due date) and the yearly cooperation mapping (docs/domain.md#planning)."""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from plumbing.service_client import CliError, ServiceClient
from plumbing.tables import table
from services.cli.bodies import answer_line, body_of

ITEM_COLUMNS = ("id", "opd", "stage", "priority", "affair", "rpjmd_target")
ITEM_FIELDS = ("affair", "description", "prospective_partners", "rpjmd_target", "priority")


def priority(value: str) -> dict[str, str]:
    """``CODE=Name`` → ``{"code", "name"}`` (argparse type)."""
    code, sep, name = value.partition("=")
    if not sep or not code or not name:
        raise argparse.ArgumentTypeError(f"a priority is CODE=Name, not {value!r}")
    return {"code": code, "name": name}


async def _current(agreements: ServiceClient, year: int) -> dict[str, Any]:
    response = await agreements.request("GET", f"/work-programs/{year}", ok=(200, 404))
    return dict(response.json()) if response.status_code == 200 else {}


async def work_program(args: argparse.Namespace, agreements: ServiceClient) -> str:
    """POST /work-programs/{year}: the priorities and the due date the program has now are
    kept unless given (or cleared with --no-priorities, --no-mapping-due)."""
    now = await _current(agreements, args.year)
    priorities = ([] if args.no_priorities else args.priority
                  or now.get("priorities", []))
    due = None if args.no_mapping_due else (
        args.mapping_due.isoformat() if args.mapping_due else now.get("mapping_due_on"))
    headers = {"Idempotency-Key": args.idempotency_key} if args.idempotency_key else {}
    response = await agreements.request(
        "POST", f"/work-programs/{args.year}", headers=headers,
        json={"realization_target": args.realization, "effectiveness_target": args.effectiveness,
              "priorities": priorities, "mapping_due_on": due})
    verb = "adopted" if response.status_code == 201 else "replaced"
    codes = ", ".join(p["code"] for p in priorities) or "none"
    return (f"work program {args.year} {verb}: version {response.json()['version']}; "
            f"priorities {codes}; mapping due {due or 'not set'}")




async def mapping(args: argparse.Namespace, agreements: ServiceClient) -> str:
    """The mapping's commands and its listing."""
    headers = {"Idempotency-Key": args.idempotency_key} if getattr(
        args, "idempotency_key", None) else {}
    if getattr(args, "if_match", None) is not None:
        headers["If-Match"] = str(args.if_match)
    if args.action == "list":
        path = f"/mappings/{args.year}" + (f"/{args.opd}" if args.opd else "")
        items = await agreements.get_json(path, stage=args.stage)
        if not items:
            return f"no mapping items for {args.year}"
        return table(ITEM_COLUMNS, [[i.get(c) for c in ITEM_COLUMNS] for i in items])
    if args.action == "add":
        body = body_of(args.fields, args.json) or {}
        response = await agreements.request("POST", f"/mappings/{args.year}/{args.opd}/items",
                                            json=body, headers=headers)
    elif args.action == "revise":  # the fields given, over the item as it stands
        now = await agreements.get_json(f"/mapping-items/{args.id}")
        body = body_of(args.fields, args.json, {k: now.get(k) for k in ITEM_FIELDS}) or {}
        headers.setdefault("If-Match", str(now["version"]))  # no change lost in between
        response = await agreements.request("PUT", f"/mapping-items/{args.id}", json=body,
                                            headers=headers)
    elif args.action == "withdraw":
        response = await agreements.request(
            "POST", f"/mapping-items/{args.id}/withdraw", headers=headers,
            json={"reason": args.reason} if args.reason else None)
    else:  # pragma: no cover - argparse allows only the actions above
        raise CliError(f"unknown mapping action {args.action}")
    return answer_line(response)


def add_parsers(sub: Any) -> None:
    """Register the planning commands on the CLI's subparsers."""
    p = sub.add_parser("work-program", help="adopt or replace a year's work program")
    p.add_argument("year", type=int)
    p.add_argument("--realization", type=float, required=True, help="realization target, %%")
    p.add_argument("--effectiveness", type=float, required=True, help="effectiveness target, %%")
    p.add_argument("--priority", type=priority, action="append", default=[],
                   metavar="CODE=Name", help="a policy priority (repeat for each); "
                   "default: the program's current priorities")
    p.add_argument("--no-priorities", action="store_true", help="adopt without priorities")
    p.add_argument("--mapping-due", type=date.fromisoformat, metavar="YYYY-MM-DD",
                   help="agencies map by this date; default: the current one")
    p.add_argument("--no-mapping-due", action="store_true", help="adopt without a due date")
    p.add_argument("--idempotency-key")
    p.set_defaults(run=work_program, service="agreements")

    p = sub.add_parser("mapping", help="the yearly cooperation mapping (pemetaan)")
    actions = p.add_subparsers(dest="action", required=True)
    a = actions.add_parser("list", help="a year's mapping, of every or one agency")
    a.add_argument("year", type=int)
    a.add_argument("opd", nargs="?")
    a.add_argument("--stage", choices=("ACTIVE", "WITHDRAWN"))
    for name, what in (("add", "add an item to an agency's mapping of a year"),
                       ("revise", "change what an item says (the fields given)")):
        a = actions.add_parser(name, help=what)
        if name == "add":
            a.add_argument("year", type=int)
            a.add_argument("opd")
        else:
            a.add_argument("id", help="mapping item id")
            a.add_argument("--if-match", type=int, help="refuse unless at this version")
        a.add_argument("fields", nargs="*", metavar="key=value",
                       help="affair=, description=, rpjmd_target=, priority=, "
                       "prospective_partners+=Name")
        a.add_argument("--json", metavar="FILE", help="body from a JSON file ('-' for stdin)")
        a.add_argument("--idempotency-key")
    a = actions.add_parser("withdraw", help="withdraw an item")
    a.add_argument("id", help="mapping item id")
    a.add_argument("--reason")
    a.add_argument("--if-match", type=int)
    a.add_argument("--idempotency-key")
    p.set_defaults(run=mapping, service="agreements")
