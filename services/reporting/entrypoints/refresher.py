"""The periodic refresh: time-dependent figures on the shared clock, then the KPI gauges."""

from __future__ import annotations

import asyncio
import logging
import time

from plumbing.background import Stop
from services.reporting.application.metrics import KPI_GAUGES, REFRESH_SECONDS
from services.reporting.application.queries import ReportingQueries
from services.reporting.application.service import ReportingService

log = logging.getLogger(__name__)


class Refresher:
    """Refreshes every ``period`` seconds, and ``after_events`` seconds after a poke."""

    def __init__(self, service: ReportingService, queries: ReportingQueries, *,
                 period: float, after_events: float) -> None:
        self._service = service
        self._queries = queries
        self._period = period
        self._after_events = after_events
        self._poked = asyncio.Event()
        self.runs = 0

    def poke(self) -> None:
        """Ask for a refresh soon (events were applied)."""
        self._poked.set()

    async def refresh_once(self) -> None:
        """Refresh the time-dependent figures and load every figure into the gauges."""
        started = time.perf_counter()
        await self._service.refresh()
        KPI_GAUGES.replace(await self._queries.all_figures())
        REFRESH_SECONDS.observe(time.perf_counter() - started)
        self.runs += 1

    async def run(self, stop: Stop) -> None:
        """Until the stop is set; a failed refresh is logged and tried again next time."""
        while not stop.is_set():
            try:
                await self.refresh_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("refresh of the time-dependent figures failed")
            if not await stop.sleep(self._period, self._poked):
                return
            if self._poked.is_set():
                await stop.sleep(self._after_events)  # let a burst of events settle
                self._poked.clear()
