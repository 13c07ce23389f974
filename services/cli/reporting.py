"""CLI commands on the reporting service: rebuild (the KPI commands are in
:mod:`services.cli.kpis`)."""

from __future__ import annotations

import argparse
from typing import Any

from plumbing.service_client import run_service_action


async def rebuild(args: argparse.Namespace) -> str:
    """Rebuild the reporting projections from the agreements feed (beside the service)."""
    return await run_service_action("reporting", "rebuild")


def add_parsers(sub: Any) -> None:
    """Register ``rebuild``."""
    p = sub.add_parser("rebuild", help="rebuild the reporting projections from the "
                       "agreements feed while the service keeps running (uses "
                       "KERJASAMA_REPORTING_DATABASE_URL and KERJASAMA_AGREEMENTS_URL)")
    p.set_defaults(run_direct=rebuild)
