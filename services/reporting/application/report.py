"""The yearly report (DESIGN §11), gathered from one read: one snapshot of the current
generation, one feed position. Every section is computed from that record at once
(:func:`..domain.report.build`), never section by section, so the report's figures, lists
and evidence agree with each other and with ``GET /kpis?as_of_position=`` there."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from contracts.kpi import Indicator
from contracts.roles import PROVINCE
from plumbing import clock
from plumbing.db import Pool
from services.reporting.adapters import (
    generations,
    outbox,
    parked_rows,
    record_history,
    report_details,
)
from services.reporting.application.record import HistoryIncomplete, RecordQueries
from services.reporting.domain.figures import FigureKey
from services.reporting.domain.report import Report, build


class ReportQueries:
    """Gathers the yearly report from the current generation."""

    def __init__(self, pool: Pool, record: RecordQueries, *,
                 now: Callable[[], datetime] = clock.now) -> None:
        self._pool = pool
        self._record = record
        self._now = now

    async def report(self, year: int, *, position: int | None = None) -> Report:
        """The report of ``year`` as of ``position`` (the last applied one when None).
        NotApplied, FeedUnavailable, HistoryIncomplete (also when the generation predates
        the report's details: a rebuild makes it whole)."""
        async with generations.enter_snapshot(self._pool) as conn:
            point = await self._record.point(conn, position)
            kept_after = await report_details.kept_after(conn)
            if kept_after > 0:
                raise HistoryIncomplete(kept_after)
            record = await record_history.record_at(conn, point.position, refs=True)
            signed = [f.id for f in record.agreements.values()
                      if f.signed_on is not None and f.signed_on.year == year]
            partners = await report_details.partners(conn, signed, point.position)
            evaluations = await report_details.evaluations(conn, year, point.position)
            checkpoint = await outbox.checkpoint_at(conn, point.position)
            gaps = await parked_rows.gaps(conn)
        complete = all(gaps.complete(FigureKey(i, year, PROVINCE))
                       for i in (Indicator.REALIZATION, Indicator.EFFECTIVENESS))
        return build(record, year, position=point.position, today=point.day,
                     generated_at=clock.to_wib(self._now()), checkpoint=checkpoint,
                     partners=partners, evaluations=evaluations, rules=self._record.rules,
                     complete=complete)
