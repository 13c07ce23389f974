"""Operator actions of the reporting service: ``python -m services.reporting rebuild``
(or ``kerjasama rebuild``) rebuilds the projection from the agreements feed;
``verify-figures`` (``kerjasama kpi verify``) recomputes a year's figures from the public
feed and compares them with the running service's.

Runs beside the service (which keeps consuming and answering) against the same database,
replays the feed from position 0 into a new generation and switches to it atomically.
Prints what it did; exit status 0 on success, 1 if another rebuild runs, 2 on a bad
configuration.
"""

from __future__ import annotations

import argparse

from plumbing.agreements_client import AgreementsClient, agreements_token_from
from plumbing.errors import OperatorError
from plumbing.settings import load_settings
from services.reporting.adapters.database import open_database
from services.reporting.application.projection import Projection, Rules
from services.reporting.application.rebuild import Rebuilder, RebuildReport, RebuildRunning
from services.reporting.entrypoints.verify import verify_figures_action
from services.reporting.settings import ReportingSettings


async def run(settings: ReportingSettings) -> RebuildReport:
    """Rebuild the projection of the configured database."""
    pool = await open_database(settings)
    agreements = AgreementsClient(settings.agreements_url,
                                  token=agreements_token_from(settings, "reporting"))
    try:
        projection = Projection(Rules(settings.sleeping_after_days,
                                      settings.expiring_within_days))
        return await Rebuilder(pool, agreements, projection).run()
    finally:
        await agreements.aclose()
        await pool.close()


async def rebuild(args: list[str]) -> str:
    """``rebuild``: rebuild the configured database's projection; what it did.
    OperatorError when another rebuild runs."""
    argparse.ArgumentParser(prog="python -m services.reporting rebuild").parse_args(args)
    try:
        report = await run(load_settings(ReportingSettings))
    except RebuildRunning as exc:
        raise OperatorError(str(exc)) from None
    return (f"rebuilt: generation {report.generation} ({report.schema}) is current, "
            f"{report.replayed} events replayed, {report.caught_up_streams} streams caught "
            f"up from the live generation, {report.changed_figures} figures changed, "
            f"{report.seconds:.1f} s ({report.events_per_second:.0f} events/s)")


ACTIONS = {"rebuild": rebuild, "verify-figures": verify_figures_action}
