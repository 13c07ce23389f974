"""The subscriber of ``notifications.events``: the shared idempotent consumer."""

from __future__ import annotations

from collections.abc import Callable

from faststream.rabbit import RabbitBroker

from contracts.topology import NOTIFICATIONS_EVENTS
from plumbing import inbox
from plumbing.agreements_client import AgreementsClient
from plumbing.consumer import QueueConsumer
from plumbing.db import Pool
from plumbing.delivery import Delivery, Poison
from plumbing.parking import Parking
from services.notifications.application.service import EventApplier
from services.notifications.domain import UnknownAgreement


def subscribe(broker: RabbitBroker, pool: Pool, applier: EventApplier,
              agreements: AgreementsClient, on_applied: Callable[[], None], *,
              parking: Parking, transient_timeout: float) -> QueueConsumer:
    """Register the consumer on ``broker``; ``on_applied()`` after each applied event."""

    async def handle(delivery: Delivery) -> str:
        event = delivery.inbox_event()
        try:
            outcome = await inbox.handle(pool, event, applier.apply, agreements.missing)
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
