"""CLI commands on the reporting service: the KPI table of a year."""

from __future__ import annotations

import argparse
import json
from typing import Any

from plumbing.service_client import ServiceClient, run_service_action
from plumbing.tables import kpi_table


async def kpi(args: argparse.Namespace, reporting: ServiceClient) -> str:
    """The figures of a year (province by default; ``--scope`` prefix or ``--all``)."""
    items = await reporting.get_json("/kpis", year=args.year)
    if args.output == "json":
        return json.dumps(items, indent=2, ensure_ascii=False)
    scope = None if args.all else args.scope
    return f"KPI {args.year} ({scope or 'all scopes'}):\n" + kpi_table(items, scope)


async def rebuild(args: argparse.Namespace) -> str:
    """Rebuild the reporting projections from the agreements feed (beside the service)."""
    return await run_service_action("reporting", "rebuild")


def add_parsers(sub: Any) -> None:
    """Register ``kpi`` and ``rebuild``."""
    p = sub.add_parser("kpi", help="the KPI table of a year")
    p.add_argument("--year", type=int, required=True)
    p.add_argument("--scope", default="province",
                   help="scope or scope prefix: province, opd:DISKUK, kind:, stage:, ...")
    p.add_argument("--all", action="store_true", help="every scope")
    p.set_defaults(run=kpi, service="reporting")
    p = sub.add_parser("rebuild", help="rebuild the reporting projections from the "
                       "agreements feed while the service keeps running (uses "
                       "KERJASAMA_REPORTING_DATABASE_URL and KERJASAMA_AGREEMENTS_URL)")
    p.set_defaults(run_direct=rebuild)
