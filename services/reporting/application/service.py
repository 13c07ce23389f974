"""The live use cases: apply delivered events, refresh the time-dependent figures."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from plumbing import clock
from plumbing.db import Conn, Pool
from plumbing.group_commit import GroupCommit
from plumbing.inbox import FetchMissing, InboxEvent, Outcome, handle_many_in_transaction
from services.reporting.adapters import generations
from services.reporting.application.projection import Projection
from services.reporting.domain import Figure


class ReportingService:
    """Applies events and refreshes figures in the current generation, publishing changes.

    Events handed in concurrently are applied in groups, one transaction per group
    (:mod:`plumbing.group_commit`).
    """

    def __init__(self, pool: Pool, projection: Projection, fetch_missing: FetchMissing,
                 today: Callable[[], date] = clock.today, *, max_group: int = 256,
                 retry_seconds: float = 30.0) -> None:
        self._pool = pool
        self.projection = projection
        self._fetch_missing = fetch_missing
        self._today = today
        self._groups = GroupCommit(self.handle_group, max_group=max_group,
                                   name="reporting-group-commit", retry_seconds=retry_seconds)

    async def _apply(self, conn: Conn, events: list[InboxEvent]) -> None:
        await self.projection.apply(conn, events, publish=True)

    async def handle(self, event: InboxEvent,
                     queued: Callable[[], None] = lambda: None) -> Outcome:
        """Apply ``event`` once, in stream order (gaps filled first); its outcome once the
        transaction it was applied in committed. ``queued()``: it has its place in the
        group commit's queue (the stream's next event may follow it in)."""
        return await self._groups.handle(event, queued)

    async def handle_group(self, events: list[InboxEvent]) -> list[Outcome]:
        """Apply events in one transaction; the outcome of each, as if handled in turn."""
        async with generations.enter(self._pool, "write") as conn:
            return await handle_many_in_transaction(conn, events, self._apply,
                                                    self._fetch_missing)

    async def refresh(self) -> list[Figure]:
        """Recompute the time-dependent figures as of the shared clock's today."""
        async with generations.enter(self._pool, "write") as conn:
            return await self.projection.refresh(conn, self._today(), publish=True)
