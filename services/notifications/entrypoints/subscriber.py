"""The subscriber of ``notifications.events``: the shared idempotent consumer, in groups.

Deliveries handled concurrently are applied together, one transaction per group
(:class:`plumbing.group_commit.GroupCommit`): the inbox skips duplicates and fills gaps
for the whole group, then each event is applied in turn. A group that fails is tried
again one event at a time, so an inconsistent stream fails alone (and is parked).
"""

from __future__ import annotations

from collections.abc import Callable

from faststream.rabbit import RabbitBroker

from contracts.kpi import KpiUpdated
from contracts.topology import NOTIFICATIONS_EVENTS, NOTIFICATIONS_KPI
from plumbing import clock, inbox
from plumbing.agreements_client import AgreementsClient
from plumbing.consumer import QueueConsumer
from plumbing.db import Pool
from plumbing.delivery import Delivery, Poison
from plumbing.group_commit import inbox_groups
from plumbing.parking import Parking
from services.notifications.application.notices import NoticeRecorder
from services.notifications.application.service import EventApplier
from services.notifications.domain import UnknownAgreement
from services.notifications.domain.rules import restatement_notice


def subscribe(broker: RabbitBroker, pool: Pool, applier: EventApplier,
              agreements: AgreementsClient, on_applied: Callable[[], None], *,
              parking: Parking, transient_timeout: float,
              max_group: int = 64) -> QueueConsumer:
    """Register the consumer on ``broker``; ``on_applied()`` after each applied event."""

    groups = inbox_groups(pool, applier.apply, agreements.missing, max_group=max_group,
                          name="notifications-group-commit", retry_seconds=transient_timeout)

    async def handle(delivery: Delivery) -> str:
        event = delivery.inbox_event()
        try:
            outcome = await groups.handle(event, delivery.in_order)
        except (UnknownAgreement, inbox.GapNotFilled) as exc:
            raise Poison("inconsistent-stream", str(exc)) from None
        if outcome != inbox.Outcome.DUPLICATE:
            on_applied()
        return outcome.value

    consumer = QueueConsumer(broker, NOTIFICATIONS_EVENTS, handle,
                             transient_timeout=transient_timeout, events=True,
                             parking=parking)
    consumer.subscribe(broker)
    return consumer


def subscribe_figures(broker: RabbitBroker, pool: Pool, recorder: NoticeRecorder,
                      on_recorded: Callable[[], None], *,
                      transient_timeout: float) -> QueueConsumer:
    """Register the consumer of ``notifications.kpi``: a restated headline figure becomes
    a notice to the secretariat (once per figure and business day); every other update is
    acknowledged and left."""

    async def handle(delivery: Delivery) -> str:
        data = delivery.decoded.data
        if not isinstance(data, KpiUpdated):
            raise Poison("not-applicable", f"{delivery.decoded.type} is not a kpi.updated")
        time = delivery.decoded.envelope.time
        recorded_on = clock.to_wib(time).date() if time is not None else clock.today()
        notice = restatement_notice(data, recorded_on)
        if notice is None:
            return "ignored"
        async with pool.acquire() as conn, conn.transaction():
            recorded = await recorder.record(conn, None, notice, clock.today(), "kpi")
        if not recorded:
            return "told_today"  # not a duplicate message: the figure's notice of the day
        on_recorded()
        return "recorded"

    consumer = QueueConsumer(broker, NOTIFICATIONS_KPI, handle,
                             transient_timeout=transient_timeout)
    consumer.subscribe(broker)
    return consumer
