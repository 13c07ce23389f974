"""Read side: the current figures and the sleeping documents, from the current generation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from contracts.kpi import KpiUpdated
from plumbing import clock
from plumbing.db import Conn, Pool
from services.reporting.adapters import generations, outbox, record_history, store
from services.reporting.adapters.outbox import kpi_updated
from services.reporting.domain import Figure, FigureKey, SleepingDocument, as_of, sleeping


@dataclass(frozen=True)
class SleepingList:
    """The sleeping documents of a year, as of a date."""

    year: int
    as_of: date
    documents: list[SleepingDocument]


class ReportingQueries:
    """Answers the HTTP queries; every answer comes from one snapshot of one generation."""

    def __init__(self, pool: Pool, *, sleeping_after_days: int = 90,
                 today: Callable[[], date] = clock.today) -> None:
        self._pool = pool
        self._after_days = sleeping_after_days
        self._today = today

    async def figures(self, year: int | None = None) -> list[KpiUpdated]:
        """Every figure (of one year), with the highest position applied and what its
        last revision said of restating."""
        async with generations.enter(self._pool, "read") as conn:
            figures = await store.figures_where(conn, year=year)
            return await _items(conn, figures)

    async def figure(self, key: FigureKey) -> KpiUpdated | None:
        """One figure, or None if it was never computed."""
        async with generations.enter(self._pool, "read") as conn:
            found = await store.figure(conn, key)
            return None if found is None else (await _items(conn, [found]))[0]

    async def all_figures(self) -> list[Figure]:
        """Every stored figure (for the gauges)."""
        async with generations.enter(self._pool, "read") as conn:
            return await store.figures_where(conn)

    async def sleeping(self, year: int | None = None) -> SleepingList:
        """The documents sleeping at the end of ``year`` (today for the current year)."""
        today = self._today()
        year = today.year if year is None else year
        day = as_of(year, today)
        async with generations.enter(self._pool, "read") as conn:
            signed = await store.signed_agreements(conn)
            children = await store.all_child_signings(conn)
        found = [s for f in signed
                 if (s := sleeping(f, children.get(f.id, ()), day, self._after_days))]
        found.sort(key=lambda s: (-s.days_without_activity, str(s.facts.id)))
        return SleepingList(year, day, found if date(year, 1, 1) <= today else [])



async def _items(conn: Conn, figures: list[Figure]) -> list[KpiUpdated]:
    position = await store.as_of_position(conn)
    checkpoint = await outbox.checkpoint_at(conn, position)
    said = await record_history.restatements(conn, figures)
    return [kpi_updated(f, position, restated=said.get(f.key, (False, None))[0],
                        previous_value=said.get(f.key, (False, None))[1],
                        checkpoint=checkpoint) for f in figures]
