"""Applying an event: an agreement's view, then the event-driven rules; or what the
mapping reminder keeps of a work-program or mapping-item event. One transaction.

:meth:`EventApplier.apply` is the ``apply`` of :func:`plumbing.inbox.handle`: it runs in
the inbox's transaction, so the view, the inbox record, the notices and their pending
deliveries are committed together or not at all.
"""

from __future__ import annotations

from contracts.codec import Decoded
from contracts.events import (
    AgreementEventData,
    AgreementSigned,
    MappingEventData,
    WorkProgramAdopted,
)
from plumbing import clock
from plumbing.db import Conn
from plumbing.inbox import InboxEvent
from services.notifications.adapters import projection
from services.notifications.application.mapping import apply_planning
from services.notifications.application.notices import NoticeRecorder
from services.notifications.domain import Policy, event_notices, evolve


class EventApplier:
    """Keeps the agreement views and the mapping, and records the notices events give
    rise to."""

    def __init__(self, recorder: NoticeRecorder, policy: Policy) -> None:
        self._recorder = recorder
        self._policy = policy

    async def apply(self, conn: Conn, event: InboxEvent) -> None:
        """Apply one agreement, work-program or mapping event (others are ignored) on
        ``conn``."""
        decoded = event.payload
        assert isinstance(decoded, Decoded)
        data = decoded.data
        time = decoded.envelope.time
        recorded_on = clock.to_wib(time).date() if time is not None else clock.today()
        if isinstance(data, WorkProgramAdopted | MappingEventData):
            await apply_planning(conn, data, recorded_on)
            return
        if not isinstance(data, AgreementEventData):
            return
        before = await projection.load(conn, data.agreement_id)
        view = evolve(before, data, recorded_on)
        await projection.save(conn, view)
        if isinstance(data, AgreementSigned) and data.parent_id is not None:
            await projection.record_child_signing(conn, data.agreement_id, data.parent_id,
                                                  data.signed_on)
        for notice in event_notices(view, data, event.event_id, self._policy,
                                    recorded_on):
            await self._recorder.record(conn, view, notice, clock.today(), "event")
