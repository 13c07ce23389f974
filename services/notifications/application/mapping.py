"""The yearly cooperation mapping: its events kept, and its reminder run by the scheduler.

:func:`apply_planning` runs in the inbox's transaction like an agreement event
(:mod:`services.notifications.application.service`). :class:`MappingReminders` looks at
each year whose mapping due date has come, once per business date (and again after an
adoption), in batches locked with ``FOR UPDATE SKIP LOCKED`` so replicas share the work.
"""

from __future__ import annotations

from datetime import date

from contracts.events import MappingEventData, WorkProgramAdopted
from plumbing.db import Conn, Pool
from services.notifications.adapters import mapping as store
from services.notifications.application.notices import NoticeRecorder
from services.notifications.domain import adopted, mapping_reminders
from services.notifications.domain.mapping import item_after

PlanningEvent = WorkProgramAdopted | MappingEventData


async def apply_planning(conn: Conn, data: PlanningEvent, recorded_on: date) -> None:
    """Keep what the mapping reminder needs of a work-program or mapping-item event,
    recorded on the business date ``recorded_on``."""
    if isinstance(data, WorkProgramAdopted):
        before = await store.load_due(conn, data.year)
        await store.save_due(conn, data.year,
                             adopted(before, data.year, data.mapping_due_on, recorded_on))
        return
    await store.record_item(conn, item_after(data))


class MappingReminders:
    """Asks agencies that have not mapped by the due date, and tells the secretariat."""

    def __init__(self, pool: Pool, recorder: NoticeRecorder, *, batch: int = 20) -> None:
        self._pool = pool
        self._recorder = recorder
        self._batch = batch

    async def run_once(self, today: date) -> int:
        """Evaluate the years due on ``today``; return the deliveries recorded."""
        offices = self._recorder.directory.offices
        recorded = 0
        while True:
            async with self._pool.acquire() as conn, conn.transaction():
                years = await store.claim_due(conn, today, self._batch)
                for due in years:
                    known = await store.agencies(conn, due.year, offices)
                    done = await store.mapped(conn, due.year)
                    for notice in mapping_reminders(due, today, known, done):
                        recorded += await self._recorder.record(conn, None, notice, today,
                                                                "schedule")
                await store.mark_evaluated(conn, [d.year for d in years], today)
            if len(years) < self._batch:
                return recorded
