"""Rebuild the projection from position 0 of the agreements feed, then switch atomically.

1. A new generation (schema ``reporting_g<N+1>``) is created and filled by replaying the
   feed page by page (one transaction per page), with the live projection's own code;
   the live consumer keeps writing the current generation and the HTTP queries keep
   reading it.
2. The switch is one transaction under the exclusive switch lock (live writers wait, a
   few milliseconds to seconds; readers do not): the feed is read to its end once more;
   every stream the live generation applied further than the new one (events delivered
   by the broker that the feed did not show yet) is read from the agreements service's
   stream endpoint; the time-dependent figures are computed; each figure keeps its live
   revision when it is equal, and gets the next revision and a ``kpi.updated`` when it
   differs (a rebuild after a fix publishes the corrections); then the new generation
   becomes current.
3. The previous generation is kept (for a look back) and older ones are dropped.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import date

from plumbing import clock
from plumbing.agreements_client import AgreementsClient, inbox_event
from plumbing.db import Conn, Pool, quote_ident
from plumbing.inbox import InboxEvent, handle_many_in_transaction
from services.reporting.adapters import generations, record_history, store
from services.reporting.application.projection import Projection, publish_revisions
from services.reporting.domain import Figure, FigureKey, zero
from services.reporting.domain.figures import target_of

log = logging.getLogger(__name__)
REBUILD_LOCK = "kerjasama.reporting.rebuild"


class RebuildRunning(Exception):
    """Raised when another rebuild of the same database is running."""


@dataclass(frozen=True)
class RebuildReport:
    """What a rebuild did."""

    generation: int
    schema: str
    replayed: int
    caught_up_streams: int
    changed_figures: int
    seconds: float

    @property
    def events_per_second(self) -> float:
        """Replayed events per second, switch included."""
        return self.replayed / self.seconds if self.seconds else 0.0


class Rebuilder:
    """Replays the agreements feed into a new generation and makes it current."""

    def __init__(self, pool: Pool, agreements: AgreementsClient, projection: Projection, *,
                 page: int = 1000, apply_events: int = 10_000,
                 today: Callable[[], date] = clock.today,
                 before_switch: Callable[[], Awaitable[None]] | None = None) -> None:
        self._pool = pool
        self._agreements = agreements
        self._projection = projection
        self._page = page
        self._apply_events = max(page, apply_events)
        self._today = today
        self._before_switch = before_switch

    async def _apply_page(self, conn: Conn, events: list[InboxEvent]) -> None:
        async def apply(c: Conn, batch: list[InboxEvent]) -> None:
            await self._projection.apply(c, batch, publish=False, per_event=False)

        await handle_many_in_transaction(conn, events, apply, self._agreements.missing)

    async def _feed_page(self, after: int) -> list[InboxEvent]:
        return [inbox_event(d) for d in await self._agreements.feed(after, self._page)]

    async def _replay(self, schema: str, after: int) -> tuple[int, int]:
        """Apply feed pages until a page is short; (position reached, events).

        Pages are read one ahead while the events read so far are applied, and applied
        ``apply_events`` at a time (one transaction, one fold): an agreement seen in many
        pages of one chunk costs one contribution before and one after the chunk, not per
        page."""
        count = 0
        thresholds = gc.get_threshold()  # a replay allocates millions of objects that
        gc.set_threshold(100_000, 50, 100)  # reference counting frees: collect seldom
        reading = asyncio.create_task(self._feed_page(after))
        chunk: list[InboxEvent] = []
        try:
            while True:
                events = await reading
                if events:
                    after = max(after, *(e.position or 0 for e in events))
                last = len(events) < self._page
                if not last:
                    reading = asyncio.create_task(self._feed_page(after))
                chunk.extend(events)
                if chunk and (last or len(chunk) >= self._apply_events):
                    async with generations.enter_schema(self._pool, schema) as conn:
                        await self._apply_page(conn, chunk)
                    count += len(chunk)
                    chunk = []
                if last:
                    break
        finally:
            reading.cancel()
            gc.set_threshold(*thresholds)
        return after, count

    async def run(self) -> RebuildReport:
        """Rebuild and switch; raises RebuildRunning if another rebuild holds the lock."""
        started = time.perf_counter()
        async with self._pool.acquire() as lock_conn:
            if not await lock_conn.fetchval(
                    "SELECT pg_try_advisory_lock(hashtextextended($1, 0))", REBUILD_LOCK):
                raise RebuildRunning("another rebuild of this database is running")
            try:
                report = await self._run(started)
            finally:
                await lock_conn.execute("SELECT pg_advisory_unlock(hashtextextended($1, 0))",
                                        REBUILD_LOCK)
        log.info("rebuilt generation %d (%s): %d events, %d streams caught up from the live "
                 "generation, %d figures changed, %.1fs", report.generation, report.schema,
                 report.replayed, report.caught_up_streams, report.changed_figures,
                 report.seconds)
        return report

    async def _run(self, started: float) -> RebuildReport:
        generation, live = await generations.current(self._pool)
        new_generation = generation + 1
        schema = generations.schema_of(new_generation)
        await self._pool.execute(f"DROP SCHEMA IF EXISTS {quote_ident(schema)} CASCADE")
        async with self._pool.acquire() as conn:
            try:
                await generations.install_generation(conn, schema)
            finally:
                await conn.execute("RESET search_path")
        position, replayed = await self._replay(schema, 0)
        if self._before_switch is not None:
            await self._before_switch()
        async with generations.enter(self._pool, "switch") as conn:
            now_live: str = await conn.fetchval("SELECT current_schema()")
            if now_live != live:
                raise RebuildRunning(f"the current generation changed to {now_live} meanwhile")
            await conn.execute("SELECT set_config('search_path', $1, true)",
                               f"{quote_ident(schema)}, public")
            while events := await self._feed_page(position):
                await self._apply_page(conn, events)
                position = max(position, *(e.position or 0 for e in events))
                replayed += len(events)
            caught_up, applied = await self._catch_up_streams(conn, live)
            replayed += applied
            await self._projection.refresh(conn, self._today(), publish=False)
            changed = await self._carry_revisions(conn, live)
            await record_history.set_covered(conn, position)
            await conn.execute("UPDATE projection_generation SET generation = $1, "
                               "schema_name = $2, switched_at = now() WHERE id = 1",
                               new_generation, schema)
        await self._drop_old(new_generation)
        return RebuildReport(new_generation, schema, replayed, caught_up, changed,
                             time.perf_counter() - started)

    async def _catch_up_streams(self, conn: Conn, live: str) -> tuple[int, int]:
        """Apply the versions the live generation has and the new one lacks."""
        rows = await conn.fetch(
            f"SELECT o.stream_id, o.last_version, coalesce(n.last_version, 0) AS have"
            f" FROM {quote_ident(live)}.inbox_streams o LEFT JOIN inbox_streams n"
            " USING (stream_id) WHERE o.last_version > coalesce(n.last_version, 0)"
            " ORDER BY o.stream_id")
        events: list[InboxEvent] = []
        for row in rows:
            missing = await self._agreements.missing(row["stream_id"], row["have"] + 1,
                                                     row["last_version"])
            events.extend(sorted(missing, key=lambda e: e.version))
        await self._apply_page(conn, events)
        return len(rows), len(events)

    async def _carry_revisions(self, conn: Conn, live: str) -> int:
        """Give every figure its live revision, or the next one and a kpi.updated if it
        differs from the live figure; returns how many differ."""
        rows = await conn.fetch(
            "SELECT indicator, year, scope, numerator, denominator, target, revision, complete"
            f" FROM {quote_ident(live)}.figures")
        old = {f.key: f for f in map(store.figure_of, rows)}
        new = {f.key: f for f in await store.figures_where(conn)}
        targets: dict[int, tuple[float, float] | None] = {}
        final: list[Figure] = []
        changed: list[Figure] = []
        previous: list[float | None] = []
        for key in sorted(old.keys() | new.keys()):
            figure = new.get(key) or await self._zero(conn, key, targets)
            before = old.get(key)
            if before is not None and figure.same_as(before):
                final.append(_with_revision(figure, before.revision))
            else:
                moved = _with_revision(figure, (before.revision if before else 0) + 1)
                final.append(moved)
                changed.append(moved)
                previous.append(None if before is None else before.value)
        await store.write_figures(conn, final)
        await conn.execute("INSERT INTO figure_revisions SELECT * FROM"
                           f" {quote_ident(live)}.figure_revisions ON CONFLICT DO NOTHING")
        await publish_revisions(conn, changed, previous)
        return len(changed)

    async def _zero(self, conn: Conn, key: FigureKey,
                    targets: dict[int, tuple[float, float] | None]) -> Figure:
        if key.year not in targets:
            targets[key.year] = await store.work_program(conn, key.year)
        return zero(key, target_of(key.indicator, targets[key.year]))

    async def _drop_old(self, current: int) -> None:
        """Drop the generations before the previous one."""
        rows = await self._pool.fetch(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE $1",
            generations.SCHEMA_PREFIX + "%")
        for row in rows:
            suffix = row["nspname"].removeprefix(generations.SCHEMA_PREFIX)
            if suffix.isdigit() and int(suffix) < current - 1:
                await generations.drop(self._pool, row["nspname"])


def _with_revision(figure: Figure, revision: int) -> Figure:
    return replace(figure, revision=revision)

