"""The scheduler: time-driven rules on the shared business clock.

Each run looks at every signed agreement not yet looked at on today's business date
(or changed since), in batches locked with ``FOR UPDATE SKIP LOCKED``: replicas share
the work, and an event being applied to an agreement waits for (or is waited for by)
its evaluation. Notices fire once per (agreement, rule, occasion) whatever the number
of runs, restarts or replicas, because the notices table is keyed so. Then the years
whose mapping due date has come are looked at the same way
(:class:`~services.notifications.application.mapping.MappingReminders`), and, from the
digest hour on, the late entries' digest of the day
(:class:`~services.notifications.application.digest.LateEntriesDigest`).
"""

from __future__ import annotations

import logging

from plumbing import clock
from plumbing.db import Pool
from services.notifications.adapters import projection
from services.notifications.application.digest import LateEntriesDigest
from services.notifications.application.mapping import MappingReminders
from services.notifications.application.notices import NoticeRecorder
from services.notifications.domain import Policy, due_reminders

log = logging.getLogger(__name__)


class Scheduler:
    """Evaluates the time-driven rules."""

    def __init__(self, pool: Pool, recorder: NoticeRecorder, policy: Policy, *,
                 batch: int = 200, digest_hour: int = 7) -> None:
        self._pool = pool
        self._recorder = recorder
        self._policy = policy
        self._batch = batch
        self._mapping = MappingReminders(pool, recorder)
        self._digest = LateEntriesDigest(pool, recorder, policy, hour=digest_hour)

    async def run_once(self) -> int:
        """Evaluate what is due today; return the deliveries recorded."""
        now = clock.now()
        today = now.date()
        recorded = 0
        while True:
            async with self._pool.acquire() as conn, conn.transaction():
                views = await projection.claim_for_evaluation(conn, today, self._batch)
                for view in views:
                    for notice in due_reminders(view, today, self._policy):
                        recorded += await self._recorder.record(conn, view, notice, today,
                                                                "schedule")
                await projection.mark_evaluated(conn, [v.id for v in views], today)
            if len(views) < self._batch:
                recorded += await self._mapping.run_once(today)
                return recorded + await self._digest.run_once(now)
