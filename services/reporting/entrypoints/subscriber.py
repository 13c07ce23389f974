"""The subscriber of ``reporting.events``: a thin handler over the reporting service."""

from __future__ import annotations

from collections.abc import Callable

from plumbing.agreements_client import inbox_event
from plumbing.consumer import Delivery, Handler, Poison

from ..service import ReportingService


def build_handler(service: ReportingService,
                  on_applied: Callable[[], None] = lambda: None) -> Handler:
    """The queue handler: the event into the projection, once; its outcome as the label."""

    async def handle(delivery: Delivery) -> str:
        try:
            event = inbox_event(delivery.decoded)
        except ValueError as exc:
            raise Poison("not-a-stream-event", str(exc)) from exc
        outcome = await service.handle(event)
        if outcome.value != "duplicate":
            on_applied()
        return outcome.value

    return handle
