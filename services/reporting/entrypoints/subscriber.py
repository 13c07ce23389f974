"""The subscriber of ``reporting.events``: a thin handler over the reporting service."""

from __future__ import annotations

from collections.abc import Callable

from plumbing.delivery import Delivery, Handler
from services.reporting.application.service import ReportingService


def build_handler(service: ReportingService,
                  on_applied: Callable[[], None] = lambda: None) -> Handler:
    """The queue handler: the event into the projection, once; its outcome as the label."""

    async def handle(delivery: Delivery) -> str:
        outcome = await service.handle(delivery.inbox_event(), delivery.in_order)
        if outcome.value not in ("duplicate", "parked"):
            on_applied()
        return outcome.value

    return handle
