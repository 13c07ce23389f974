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
from uuid import UUID

import httpx

from contracts.codec import Decoded
from contracts.kpi import Indicator, KpiUpdated
from plumbing import clock
from plumbing.db import Conn, Pool
from services.reporting.adapters import generations, store
from services.reporting.adapters.outbox import kpi_updated
from services.reporting.domain.completeness import incomplete
from services.reporting.domain.contributions import (
    FOLLOWING_UP_TYPES,
    Term,
    contributions,
    scopes,
)
from services.reporting.domain.evaluation import Evidence, KpiRules, Record, evidence, figures
from services.reporting.domain.facts import AgreementFacts
from services.reporting.domain.figures import (
    RATIO_INDICATORS,
    Figure,
    FigureKey,
    Revision,
    restates,
    target_of,
)
from services.reporting.domain.signing import (
    SIGNING_DAYS_INDICATORS,
    signing_days,
    signing_figures,
)
from services.reporting.domain.timely import as_of, expiring, sleeping

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
        stored, history_after = await store.coverage(conn)
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
            applied = await store.applied_among(conn, [i for p, i in positions if p <= wanted])
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
        last, first_after = await store.position_before(conn, time)
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
        return await store.record_at(conn, point.position, refs=refs)

    async def figures(self, years: int | Sequence[int] | None, *,
                      position: int | None = None, time: datetime | None = None) -> AsOf:
        """Every figure of the years (one year, or every year that has figures when None)
        as of a position or a time (the current ones when neither is given), in the shape
        of ``GET /kpis``; the record is read once. NotApplied, HistoryIncomplete."""
        async with generations.enter(self._pool, "read") as conn:
            point = await self._point(conn, position, time)
            record = await self._record(conn, point)
            wanted = ([years] if isinstance(years, int) else list(years) if years is not None
                      else await store.figure_years(conn))
            revisions = {y: await store.revisions_at(conn, y, point.position) for y in wanted}
            gaps = incomplete(await store.parked(conn))
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
            _, history_after = await store.coverage(conn)
            if history_after > 0:
                raise HistoryIncomplete(history_after)
            rows = await store.history_rows(conn)
            revisions = await store.revisions_of(conn, key)
        tracker = _Tracker(key, self._today(), self.rules)
        facts_of: dict[UUID, AgreementFacts] = {}
        children: dict[UUID, dict[UUID, date]] = {}
        targets: tuple[float, float] | None = None
        entries: list[HistoryEntry] = []
        last = tracker.figure(None)
        moved: list[tuple[UUID, int]] = []
        for row in rows:
            touched: list[UUID] = []
            if row.facts is not None:
                facts = row.facts
                facts_of[facts.id] = facts
                touched.append(facts.id)
                if (facts.parent_id is not None and facts.signed_on is not None
                        and facts.document_type in FOLLOWING_UP_TYPES
                        and facts.id not in children.setdefault(facts.parent_id, {})):
                    children[facts.parent_id][facts.id] = facts.signed_on
                    if facts.parent_id in facts_of:
                        touched.append(facts.parent_id)
            elif row.year == key.year:
                targets = row.targets
            changed = False
            for agreement in touched:
                part = tracker.part(facts_of[agreement],
                                    list(children.get(agreement, {}).values()))
                changed = tracker.update(agreement, part) or changed
            if changed:
                moved.append((row.event_id, row.position))
            figure = tracker.figure(targets)
            if figure.same_as(last):
                continue
            entries.append(HistoryEntry(
                figure, row.position, row.time, moved or [(row.event_id, row.position)],
                _revision_at(revisions, row.position, figure),
                restates(key, clock.to_wib(row.time).date(), bool(entries)),
                entries[-1].figure.value if entries else None))
            last, moved = figure, []
        return entries

    async def what_if(self, year: int, rules: KpiRules) -> tuple[Point, dict[FigureKey, Figure],
                                                                   Record]:
        """The figures of a year over the whole applied record under draft rules."""
        async with generations.enter(self._pool, "read") as conn:
            point = await self._point(conn, None, None)
            record = await self._record(conn, point, refs=True)
        return point, figures(record, year, point.day, rules), record


@dataclass(frozen=True)
class HistoryEntry:
    """A figure at a feed position where its (numerator, denominator, target) changed."""

    figure: Figure
    position: int
    time: datetime
    events: list[tuple[UUID, int]]
    revision: int | None
    restated: bool
    previous_value: float | None


class _Tracker:
    """One figure followed through the history of the record: each agreement's part in
    it, summed (or, for the signing days, collected)."""

    def __init__(self, key: FigureKey, day: date, rules: KpiRules) -> None:
        self.key = key
        self.day = as_of(key.year, day)
        self.rules = rules
        self.parts: dict[UUID, tuple[int, int] | int | None] = {}
        self.numerator = 0
        self.denominator = 0
        self.days: dict[UUID, int] = {}
        self.empty: tuple[int, int] | None = (
            None if key.indicator in SIGNING_DAYS_INDICATORS else (0, 0))

    def part(self, facts: AgreementFacts, child_dates: list[date]
             ) -> tuple[int, int] | int | None:
        key = self.key
        if key.indicator in SIGNING_DAYS_INDICATORS:
            if (facts.signed_on is not None and facts.signed_on.year == key.year
                    and key.scope in scopes(facts)):
                return signing_days(facts) or 0
            return None
        if key.indicator in (Indicator.SLEEPING, Indicator.EXPIRING_90_DAYS):
            if (facts.signed_on is None or key.scope not in scopes(facts)
                    or date(key.year, 1, 1) > self.day):
                return (0, 0)
            if key.indicator == Indicator.SLEEPING:
                member = sleeping(facts, child_dates, self.day,
                                  self.rules.sleeping_after_days) is not None
            else:
                member = expiring(facts, self.day, self.rules.expiring_within_days)
            return (int(member), 0)
        if not _may_count(facts, key):
            return (0, 0)
        terms = contributions(facts, child_dates,
                              effectiveness_types=self.rules.effectiveness_document_types)
        return (terms[Term(key, "numerator")], terms[Term(key, "denominator")])

    def update(self, agreement: UUID, part: tuple[int, int] | int | None) -> bool:
        """Take an agreement's new part; whether it differs from its last."""
        before = self.parts.get(agreement, self.empty)
        if before == part:
            return False
        self.parts[agreement] = part
        if isinstance(before, tuple):
            self.numerator -= before[0]
            self.denominator -= before[1]
        if isinstance(part, tuple):
            self.numerator += part[0]
            self.denominator += part[1]
        self.days.pop(agreement, None)
        if isinstance(part, int):
            self.days[agreement] = part
        return True

    def figure(self, targets: tuple[float, float] | None) -> Figure:
        key = self.key
        if key.indicator in SIGNING_DAYS_INDICATORS:
            value = signing_figures(key.year, key.scope, list(self.days.values())).get(key)
            return Figure(key, 0 if value is None else value, None, None)
        ratio = key.indicator in RATIO_INDICATORS
        return Figure(key, self.numerator, self.denominator if ratio else None,
                      target_of(key.indicator, targets))


def _revision_at(revisions: list[Revision], position: int, figure: Figure) -> int | None:
    """The revision that carried the figure as it stood at ``position``: the first one
    published from a prefix that includes the position with these values (None when none
    did: a later change applied in the same group was published instead)."""
    return next((r.figure.revision for r in revisions if r.as_of_position >= position
                 and r.figure.same_as(replace(figure, complete=r.figure.complete))), None)


def _may_count(facts: AgreementFacts, key: FigureKey) -> bool:
    """Whether an agreement can count in a sum figure of that year at all (a quick
    rejection before its contributions are computed)."""
    if key.indicator == Indicator.REALIZATION:
        return facts.plan_year == key.year
    if key.indicator == Indicator.EFFECTIVENESS:
        return facts.signed_on is not None and key.year in facts.in_force_years()
    return facts.proposed_on.year == key.year
