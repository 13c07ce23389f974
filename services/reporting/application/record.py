"""Figures as of a point in the record, their evidence, their history and what-if
(DESIGN §9), computed from the history of facts (:mod:`..adapters.store`, table
``record_history``): the facts every agreement had at a position, one row per agreement,
never a replay of the feed.

A point is a feed position. It may be asked for only when every feed event up to it has
been applied: the record's *coverage*, checked against the agreements feed the first
time a point beyond it is asked for (a rebuild sets it to the position it replayed to).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

import httpx

from contracts.codec import Decoded
from contracts.kpi import KpiUpdated
from plumbing import clock
from plumbing.db import Conn, Pool
from services.reporting.adapters import generations, parked_rows, record_history, store
from services.reporting.adapters.outbox import kpi_updated
from services.reporting.application.figure_history import HistoryEntry, history_entries
from services.reporting.domain.evaluation import Evidence, KpiRules, Record, evidence, figures
from services.reporting.domain.figures import Figure, FigureKey

__all__ = ["AsOf", "FeedUnavailable", "HistoryEntry", "HistoryIncomplete", "NotApplied",
           "Point", "RecordQueries"]

FeedReader = Callable[[int, int], Awaitable[list[Decoded]]]
FEED_PAGE = 1000


class NotApplied(Exception):
    """Raised when a point beyond what is applied is asked for."""

    def __init__(self, wanted: int, applied: int) -> None:
        super().__init__(f"position {wanted} is not applied yet: every feed event up to "
                         f"position {applied} is")
        self.wanted = wanted
        self.applied = applied


class FeedUnavailable(Exception):
    """Raised when the agreements feed, needed to check that a point is applied, cannot be
    read (transient: ask again)."""


class HistoryIncomplete(Exception):
    """Raised when the generation keeps no history of its earliest events."""

    def __init__(self, after: int) -> None:
        super().__init__(f"this projection keeps the history of the record only after "
                         f"position {after} (it predates the history): rebuild it "
                         "(kerjasama rebuild) to answer for any point")
        self.after = after


@dataclass(frozen=True)
class Point:
    """A resolved point of the record: a feed position, and the day the time-dependent
    figures are taken on."""

    position: int
    day: date


@dataclass(frozen=True)
class AsOf:
    """The figures of a year at a point."""

    point: Point
    figures: list[KpiUpdated]


class RecordQueries:
    """Answers for a point of the record, from the current generation."""

    def __init__(self, pool: Pool, feed: FeedReader, rules: KpiRules, *,
                 today: Callable[[], date] = clock.today) -> None:
        self._pool = pool
        self._feed = feed
        self.rules = rules
        self._today = today
        self._covered: dict[str, int] = {}

    async def _applied_through(self, conn: Conn, wanted: int) -> int:
        """How far every feed event is applied, checked against the feed up to ``wanted``
        at most (remembered per generation)."""
        schema: str = await conn.fetchval("SELECT current_schema()")
        stored, history_after = await record_history.coverage(conn)
        if history_after > 0:
            raise HistoryIncomplete(history_after)
        covered = max(stored, self._covered.get(schema, 0))
        while covered < wanted:
            try:
                page = await self._feed(covered, FEED_PAGE)
            except httpx.HTTPError as exc:
                self._covered[schema] = covered
                raise FeedUnavailable(
                    f"the agreements feed cannot be read to check that position {wanted} "
                    f"is applied ({type(exc).__name__}); every event up to {covered} is "
                    "known to be applied: ask again shortly") from None
            positions = [(d.envelope.position or 0, d.envelope.id) for d in page]
            applied = await record_history.applied_among(
                conn, [i for p, i in positions if p <= wanted])
            reached, stop = covered, len(page) < FEED_PAGE
            for position, event_id in positions:
                if position > wanted:  # the feed served a later event: none comes between
                    reached, stop = wanted, True
                    break
                if event_id not in applied:
                    reached, stop = position - 1, True
                    break
                reached = position
            covered = max(covered, reached)
            if stop:
                break
        self._covered[schema] = covered
        return covered

    async def _point(self, conn: Conn, position: int | None, time: datetime | None) -> Point:
        today = self._today()
        if time is None:
            wanted = await store.as_of_position(conn) if position is None else position
            applied = await self._applied_through(conn, wanted)
            if applied < wanted:
                raise NotApplied(wanted, applied)
            return Point(wanted, today)
        last, first_after = await record_history.position_before(conn, time)
        wanted = first_after - 1 if first_after is not None \
            else await store.as_of_position(conn)
        applied = await self._applied_through(conn, wanted)
        if applied < wanted:
            raise NotApplied(wanted, applied)
        return Point(last, min(today, clock.to_wib(time).date()))

    async def point(self, conn: Conn, position: int | None = None) -> Point:
        """The point at ``position`` (the last applied one when None), in the generation
        ``conn`` is in. NotApplied, HistoryIncomplete, FeedUnavailable."""
        return await self._point(conn, position, None)

    async def _record(self, conn: Conn, point: Point, *, refs: bool = False) -> Record:
        return await record_history.record_at(conn, point.position, refs=refs)

    async def figures(self, years: int | Sequence[int] | None, *,
                      position: int | None = None, time: datetime | None = None) -> AsOf:
        """Every figure of the years (one year, or every year that has figures when None)
        as of a position or a time (the current ones when neither is given), in the shape
        of ``GET /kpis``; the record is read once. NotApplied, HistoryIncomplete."""
        async with generations.enter(self._pool, "read") as conn:
            point = await self._point(conn, position, time)
            record = await self._record(conn, point)
            wanted = ([years] if isinstance(years, int) else list(years) if years is not None
                      else await record_history.figure_years(conn))
            revisions = {y: await record_history.revisions_at(conn, y, point.position)
                         for y in wanted}
            gaps = await parked_rows.gaps(conn)
        items = []
        for year in wanted:
            found = figures(record, year, point.day, self.rules)
            for key in sorted(found):
                figure = replace(found[key], revision=revisions[year].get(key, 1),
                                 complete=gaps.complete(key))
                items.append(kpi_updated(figure, point.position))
        return AsOf(point, items)

    async def evidence(self, key: FigureKey, *, position: int | None = None,
                       rules: KpiRules | None = None) -> tuple[Point, Evidence]:
        """The agreements behind one figure as of a position (the current one if None)."""
        async with generations.enter(self._pool, "read") as conn:
            point = await self._point(conn, position, None)
            record = await self._record(conn, point, refs=True)
        return point, evidence(record, key, point.day, rules or self.rules)

    async def history(self, key: FigureKey) -> list[HistoryEntry]:
        """One entry per feed position at which the figure's (numerator, denominator,
        target) changed, from the history of facts; the time-dependent figures taken on
        the day ``GET /kpis?as_of_position=`` takes them (31 December, or today)."""
        async with generations.enter(self._pool, "read") as conn:
            _, history_after = await record_history.coverage(conn)
            if history_after > 0:
                raise HistoryIncomplete(history_after)
            rows = await record_history.history_rows(conn)
            revisions = await record_history.revisions_of(conn, key)
        return history_entries(key, rows, revisions, self._today(), self.rules)

    async def what_if(self, year: int, rules: KpiRules) -> tuple[Point, dict[FigureKey, Figure],
                                                                   Record]:
        """The figures of a year over the whole applied record under draft rules."""
        async with generations.enter(self._pool, "read") as conn:
            point = await self._point(conn, None, None)
            record = await self._record(conn, point, refs=True)
        return point, figures(record, year, point.day, rules), record
