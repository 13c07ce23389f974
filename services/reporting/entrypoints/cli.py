"""Operator actions of the reporting service: rebuild the projection from the agreements
feed (``python -m services.reporting.entrypoints.cli``, or ``kerjasama reporting rebuild``).

Runs beside the service (which keeps consuming and answering) against the same database,
replays the feed from position 0 into a new generation and switches to it atomically.
Prints what it did; exit status 0 on success, 1 if another rebuild runs, 2 on a bad
configuration.
"""

from __future__ import annotations

import asyncio
import logging
import sys

from plumbing.agreements_client import AgreementsClient, agreements_token_from
from plumbing.errors import ConfigError, OperatorError
from plumbing.settings import load_settings
from services.reporting.adapters.database import open_database
from services.reporting.application.projection import Projection, Rules
from services.reporting.application.rebuild import Rebuilder, RebuildReport, RebuildRunning
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


SETTINGS = ReportingSettings
"""The service's settings (their variables name what a deployment must give it)."""


async def rebuild() -> str:
    """Rebuild the configured database's projection; what it did. OperatorError on a bad
    configuration or when another rebuild runs."""
    try:
        report = await run(load_settings(ReportingSettings))
    except (ConfigError, RebuildRunning) as exc:
        raise OperatorError(str(exc)) from None
    return (f"rebuilt: generation {report.generation} is current, {report.replayed} events "
            f"replayed, {report.changed_figures} figures changed, {report.seconds:.1f} s "
            f"({report.events_per_second:.0f} events/s)")


def main() -> int:
    """Rebuild once and report."""
    try:
        settings = load_settings(ReportingSettings)
    except ConfigError as exc:
        print(f"reporting rebuild: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level,
                        format="%(asctime)s reporting-rebuild %(levelname)s %(name)s: "
                        "%(message)s")
    try:
        report = asyncio.run(run(settings))
    except RebuildRunning as exc:
        print(f"reporting rebuild: {exc}", file=sys.stderr)
        return 1
    print(f"generation {report.generation} ({report.schema}) is current: {report.replayed} "
          f"events replayed, {report.caught_up_streams} streams caught up from the live "
          f"generation, {report.changed_figures} figures changed, {report.seconds:.1f} s "
          f"({report.events_per_second:.0f} events/s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
