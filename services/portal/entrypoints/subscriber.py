"""The subscriber of ``portal.events``: agreement, work-program and partner events through
the inbox (in groups, one transaction each, gaps filled from the agreements service), and
``kpi.updated``, kept unless a later revision is kept already."""

from __future__ import annotations

from faststream.rabbit import RabbitBroker

from contracts.kpi import KpiUpdated
from contracts.topology import PORTAL_EVENTS
from plumbing import inbox
from plumbing.agreements_client import AgreementsClient
from plumbing.consumer import QueueConsumer
from plumbing.db import Pool
from plumbing.delivery import Delivery, Poison
from plumbing.group_commit import inbox_groups
from plumbing.parking import Parking
from services.portal.application.service import apply_event, apply_figure
from services.portal.domain.partners import EventBeforeRegistration
from services.portal.domain.register import EventBeforeProposal


def subscribe(broker: RabbitBroker, pool: Pool, agreements: AgreementsClient, *,
              parking: Parking, transient_timeout: float,
              max_group: int = 64) -> QueueConsumer:
    """Register the consumer on ``broker``."""

    groups = inbox_groups(pool, apply_event, agreements.missing, max_group=max_group,
                          name="portal-group-commit", retry_seconds=transient_timeout)

    async def handle(delivery: Delivery) -> str:
        data = delivery.decoded.data
        if isinstance(data, KpiUpdated):
            return "applied" if await apply_figure(pool, data) else "stale"
        try:
            outcome = await groups.handle(delivery.inbox_event(), delivery.in_order)
        except (EventBeforeProposal, EventBeforeRegistration, inbox.GapNotFilled) as exc:
            raise Poison("inconsistent-stream", str(exc)) from None
        return outcome.value

    consumer = QueueConsumer(broker, PORTAL_EVENTS, handle,
                             transient_timeout=transient_timeout, events=True,
                             parking=parking)
    consumer.subscribe(broker)
    return consumer
