"""The late entries' digest, run by the scheduler once a day at a set hour (business
clock, WIB).

At the first run at or after ``hour`` on a business date, the agreements that may be
listed (signed, or proposals still open) are read and, when some of them were entered
late and need attention (:func:`~services.notifications.domain.digest.late_entries_digest`
judges both), one notice is recorded for the secretariat with its deliveries, on every
channel of its contact, in the scheduler's transaction. The notice's occasion is the
date, so it fires once a day whatever the runs, restarts or replicas; a day with nothing
to list records nothing, and the next run of the day looks again (an agreement entered
late in the afternoon is in that day's digest).
"""

from __future__ import annotations

from datetime import datetime

from plumbing.db import Pool
from services.notifications.adapters import deliveries, projection
from services.notifications.application.notices import NoticeRecorder
from services.notifications.domain import Policy, Rule, digest_occasion, late_entries_digest
from services.notifications.domain.digest import CANDIDATE_STAGES


class LateEntriesDigest:
    """Tells the secretariat, once a day, which late-entered agreements need attention."""

    def __init__(self, pool: Pool, recorder: NoticeRecorder, policy: Policy, *,
                 hour: int) -> None:
        self._pool = pool
        self._recorder = recorder
        self._policy = policy
        self._hour = hour

    async def run_once(self, now: datetime) -> int:
        """Record the digest of ``now``'s business date if it is due and not yet
        recorded; return the deliveries recorded."""
        if now.hour < self._hour:
            return 0
        today = now.date()
        rule = Rule.LATE_ENTRIES_DIGEST.value
        async with self._pool.acquire() as conn, conn.transaction():
            if await deliveries.fired(conn, rule, digest_occasion(today)):
                return 0
            views = await projection.in_stages(conn, CANDIDATE_STAGES)
            notice = late_entries_digest(views, today, self._policy)
            if notice is None:
                return 0
            return await self._recorder.record(conn, None, notice, today, "schedule")
