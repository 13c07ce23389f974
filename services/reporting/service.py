"""The live use cases: apply a delivered event, refresh the time-dependent figures."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from plumbing import clock
from plumbing.db import Conn, Pool
from plumbing.inbox import FetchMissing, InboxEvent, Outcome, handle_in_transaction

from .adapters import generations
from .domain import Figure
from .projection import Projection


class ReportingService:
    """Applies events and refreshes figures in the current generation, publishing changes."""

    def __init__(self, pool: Pool, projection: Projection, fetch_missing: FetchMissing,
                 today: Callable[[], date] = clock.today) -> None:
        self._pool = pool
        self.projection = projection
        self._fetch_missing = fetch_missing
        self._today = today

    async def _apply(self, conn: Conn, event: InboxEvent) -> None:
        await self.projection.apply(conn, event, publish=True)

    async def handle(self, event: InboxEvent) -> Outcome:
        """Apply ``event`` once, in stream order, in one transaction (gaps filled first)."""
        async with generations.enter(self._pool, "write") as conn:
            return await handle_in_transaction(conn, event, self._apply, self._fetch_missing)

    async def refresh(self) -> list[Figure]:
        """Recompute the time-dependent figures as of the shared clock's today."""
        async with generations.enter(self._pool, "write") as conn:
            return await self.projection.refresh(conn, self._today(), publish=True)
