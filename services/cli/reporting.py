"""CLI commands on the reporting service: the KPI table of a year."""

from __future__ import annotations

import argparse
import json
from typing import Any

from services.cli.client import CliError, ServiceClient
from services.cli.tables import kpi_table


async def kpi(args: argparse.Namespace, reporting: ServiceClient) -> str:
    """The figures of a year (province by default; ``--scope`` prefix or ``--all``)."""
    items = await reporting.get_json("/kpis", year=args.year)
    if args.output == "json":
        return json.dumps(items, indent=2, ensure_ascii=False)
    scope = None if args.all else args.scope
    return f"KPI {args.year} ({scope or 'all scopes'}):\n" + kpi_table(items, scope)


async def rebuild(args: argparse.Namespace) -> str:
    """Rebuild the reporting projections from the agreements feed (beside the service)."""
    from plumbing.errors import ConfigError
    from plumbing.settings import load_settings
    from services.reporting.rebuild import run
    from services.reporting.rebuilder import RebuildRunning
    from services.reporting.settings import ReportingSettings

    try:
        report = await run(load_settings(ReportingSettings))
    except (ConfigError, RebuildRunning) as exc:
        raise CliError(str(exc)) from None
    return (f"rebuilt: generation {report.generation} is current, {report.replayed} events "
            f"replayed, {report.changed_figures} figures changed, {report.seconds:.1f} s "
            f"({report.events_per_second:.0f} events/s)")


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
