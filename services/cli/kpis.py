"""``kerjasama kpi``: the KPI table of a year (now or as of a day or a position), a
figure's history, its evidence, what-if figures under draft rules, and ``kpi verify``,
the independent check that recomputes every figure from the public feed (DESIGN §9)."""

from __future__ import annotations

import argparse
import json
from datetime import date, datetime, time
from typing import Any

from contracts.common import DocumentType
from contracts.kpi import Indicator
from contracts.roles import PROVINCE
from plumbing import clock
from plumbing.service_client import CliError, ServiceClient, run_service_action
from plumbing.tables import KpiPoint, kpi_table, table

ACTIONS = ("table", "history", "evidence", "what-if", "verify")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date such as 2021-12-31 (got {text!r})"
                                         ) from None


def _types(text: str) -> list[str]:
    names = [t.strip().upper() for t in text.split(",") if t.strip()]
    known = {t.value for t in DocumentType}
    wrong = [n for n in names if n not in known]
    if not names or wrong:
        raise argparse.ArgumentTypeError(
            f"expected document types from {', '.join(sorted(known))} separated by commas "
            f"(got {text!r})")
    return names


def end_of_day(day: date) -> str:
    """The last instant of a day in WIB, as RFC 3339."""
    return datetime.combine(day, time(23, 59, 59, 999999), clock.WIB).isoformat()


async def kpi(args: argparse.Namespace, reporting: ServiceClient) -> str:
    """Dispatch ``kpi [ACTION]``."""
    if args.as_of is not None and args.as_of_position is not None:
        raise CliError("give --as-of or --as-of-position, not both")
    action = {"table": _table, "history": _history, "evidence": _evidence,
              "what-if": _what_if, "verify": _verify}[args.action]
    return await action(args, reporting)


async def _table(args: argparse.Namespace, reporting: ServiceClient) -> str:
    items = await reporting.get_json(
        "/kpis", year=args.year, as_of_position=args.as_of_position,
        as_of=None if args.as_of is None else end_of_day(args.as_of))
    if args.output == "json":
        return json.dumps(items, indent=2, ensure_ascii=False)
    scope = None if args.all else args.scope
    point, today = "", clock.today()
    at = KpiPoint(today)
    if args.as_of is not None or args.as_of_position is not None:
        position = items[0]["as_of_position"] if items else args.as_of_position or 0
        point = (f" as recorded by the end of {args.as_of} (position {position})"
                 if args.as_of is not None else f" as of position {position}")
        day = today if args.as_of is None else min(args.as_of, today)
        at = KpiPoint(day, today=day == today, position=position)
    return (f"KPI {args.year}{point} ({scope or 'all scopes'}):\n\n"
            + kpi_table(items, scope, at))


async def _history(args: argparse.Namespace, reporting: ServiceClient) -> str:
    entries = await reporting.get_json(f"/kpis/{args.indicator}/history", year=args.year,
                                       scope=args.scope)
    if args.output == "json":
        return json.dumps(entries, indent=2, ensure_ascii=False)
    if not entries:
        return f"{args.indicator} {args.year} {args.scope}: no history (nothing counted)"
    columns = ("as_of_position", "time", "numerator", "denominator", "value", "target",
               "revision", "restated", "previous_value")
    return (f"{args.indicator} {args.year} ({args.scope}), one line per change:\n"
            + table(columns, ([e[c] for c in columns] for e in entries)))


async def _evidence(args: argparse.Namespace, reporting: ServiceClient) -> str:
    params = {"year": args.year, "scope": args.scope, "as_of_position": args.as_of_position}
    path = f"/kpis/{args.indicator}/evidence"
    if args.csv:
        return (await reporting.request("GET", path, params={**params, "format": "csv"})
                ).text.rstrip("\r\n")
    proof = await reporting.get_json(path, **params)
    if args.output == "json":
        return json.dumps(proof, indent=2, ensure_ascii=False)
    rows = [(status, i["reason"], i["lead_opd"], i["title"],
             i["event"]["type"].removeprefix("kerjasama.") if i["event"] else None,
             i["event"]["date"] if i["event"] else None)
            for status in ("counted", "excluded") for i in proof[status]]
    head = (f"{args.indicator} {args.year} ({args.scope}) as of position "
            f"{proof['as_of_position']}: numerator {proof['numerator']}, denominator "
            f"{proof['denominator']}")
    return head + "\n" + table(("status", "reason", "lead_opd", "title", "event", "date"),
                               rows)


async def _what_if(args: argparse.Namespace, reporting: ServiceClient) -> str:
    rules: dict[str, Any] = {}
    if args.sleeping_after_days is not None:
        rules["sleeping_after_days"] = args.sleeping_after_days
    if args.effectiveness_types is not None:
        rules["effectiveness_document_types"] = args.effectiveness_types
    if args.validity_cap_years is not None:
        rules["validity_cap_years"] = args.validity_cap_years
    answer = (await reporting.request("POST", "/kpis/what-if",
                                      json={"year": args.year, "rules": rules})).json()
    if args.output == "json":
        return json.dumps(answer, indent=2, ensure_ascii=False)
    said = ", ".join(f"{k} {v}" for k, v in answer["rules"].items())
    scope = None if args.all else args.scope
    return (f"KPI {args.year} under draft rules ({said}); nothing published or stored:\n\n"
            + kpi_table(answer["figures"], scope, KpiPoint(clock.today())))


async def _verify(args: argparse.Namespace, reporting: ServiceClient) -> str:
    position = [] if args.as_of_position is None else [
        "--as-of-position", str(args.as_of_position)]
    return await run_service_action("reporting", "verify-figures", "--year", str(args.year),
                                    "--user", args.user, *position)


def add_parsers(sub: Any) -> None:
    """Register ``kpi``."""
    p = sub.add_parser(
        "kpi", help="the KPI table of a year (now, --as-of DATE or --as-of-position N); "
        "'kpi history', 'kpi evidence [--csv]', 'kpi what-if' and 'kpi verify'")
    p.add_argument("action", nargs="?", choices=ACTIONS, default="table",
                   help="table (default), history or evidence of --indicator, what-if "
                   "under draft rules, or verify: recompute from the public feed")
    p.add_argument("--year", type=int, required=True)
    p.add_argument("--scope", default=PROVINCE,
                   help="scope (table: or scope prefix): province, opd:DISKUK, kind:, ...")
    p.add_argument("--all", action="store_true", help="every scope (table, what-if)")
    p.add_argument("--indicator", default=Indicator.REALIZATION.value,
                   choices=[i.value for i in Indicator], help="history and evidence")
    p.add_argument("--as-of", type=_day, default=None, metavar="DATE",
                   help="the figures as recorded by the end of DATE (WIB)")
    p.add_argument("--as-of-position", type=int, default=None, metavar="N",
                   help="the figures from the feed up to position N")
    p.add_argument("--csv", action="store_true", help="evidence as CSV")
    p.add_argument("--sleeping-after-days", type=int, default=None, help="what-if")
    p.add_argument("--effectiveness-types", type=_types, default=None, metavar="TYPES",
                   help="what-if: document types effectiveness counts, e.g. MOU,PKS")
    p.add_argument("--validity-cap-years", type=int, default=None, help="what-if")
    p.set_defaults(run=kpi, service="reporting")
