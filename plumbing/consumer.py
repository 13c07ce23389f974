"""Consume a queue of CloudEvents the FastStream way (docs/domain.md#event-log).

Every service's subscriber is a :class:`QueueConsumer`: a ``RabbitRouter`` with one
subscriber on the queue, whose

- **decoder** (:func:`plumbing.delivery.delivery_decoder`) turns the body into a
  :class:`~plumbing.delivery.Delivery` with :mod:`contracts.codec`; a message that breaks
  the contract (not JSON, unknown type or version, invalid envelope or data) is *poison*;
- **middlewares** (:mod:`plumbing.consume`) keep each stream in order inside the consumer
  (streams in parallel) and give every message one explicit end: acked, parked,
  dead-lettered or requeued, counted (``AckPolicy.MANUAL``: nothing is acked behind their
  back);
- **handler** runs the service's thin handler, retrying transient errors (database or
  another service briefly down) in-process with backoff for up to ``transient_timeout``
  seconds; after that the message is requeued (the queue's delivery limit is the
  backstop).

An event consumer (``events=True``) steps over an event type it does not know in a stream
family it knows: the handler gets :class:`~contracts.events.UnknownEvent` data, the inbox
advances the stream's version, and ``kerjasama_unknown_events_total`` counts it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from faststream import AckPolicy
from faststream.rabbit import RabbitBroker, RabbitQueue, RabbitRouter
from tenacity import RetryCallState

from contracts.codec import ContractError, decode
from plumbing.consume import MESSAGES, DeadLetterHook, InStreamOrder, Outcomes
from plumbing.delivery import Delivery, Handler, Poison, delivery_decoder
from plumbing.parking import StreamParking
from plumbing.retry import error_of, retry_transient

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryResult:
    """What an operator's retry of a parked stream did."""

    stream_id: str
    handled: int
    released: bool
    reason: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The answer of ``POST /parked/{stream}/retry``."""
        return {"stream_id": self.stream_id, "handled": self.handled,
                "released": self.released, "reason": self.reason}


class QueueConsumer:
    """Takes messages from one queue and hands them to ``handler``.

    The broker delivers up to the prefetch count at once and they are handled
    concurrently, except that the events of one stream (the CloudEvent's ``subject``) go
    one after another, in the order delivered: a consumer never undoes the order of a
    stream, and the inbox fills a gap only when an event was really lost.
    """

    def __init__(self, broker: RabbitBroker, queue: str, handler: Handler, *,
                 transient_timeout: float = 300.0, max_delay: float = 5.0,
                 on_dead_letter: DeadLetterHook | None = None,
                 parking: StreamParking | None = None, events: bool = False) -> None:
        self.queue = queue
        self.parking = parking
        self._events = events
        self._handler = handler
        self._transient_timeout = transient_timeout
        self._max_delay = max_delay
        self.order = InStreamOrder()
        self.outcomes = Outcomes(broker, queue, parking=parking,
                                 on_dead_letter=on_dead_letter)

    def router(self) -> RabbitRouter:
        """A router with this consumer's subscriber (the queue is declared elsewhere)."""
        router = RabbitRouter(middlewares=(self.order, self.outcomes))

        @router.subscriber(RabbitQueue(self.queue, declare=False), ack_policy=AckPolicy.MANUAL,
                           no_reply=True, decoder=delivery_decoder(events=self._events),
                           title=f"{self.queue}:consume")
        async def handle(delivery: Delivery) -> str:
            return await self._handle_with_retries(delivery)

        return router

    def subscribe(self, registrar: RabbitBroker | RabbitRouter) -> None:
        """Include this consumer's router in a broker or router."""
        registrar.include_router(self.router())

    async def _handle_with_retries(self, delivery: Delivery,
                                   give_up_after: float | None = None) -> str:
        def warn(state: RetryCallState) -> None:
            log.warning("%s: transient error on %s, retrying in %.2fs: %r", self.queue,
                        delivery.decoded.type, state.upcoming_sleep, error_of(state))

        return await retry_transient(
            self._transient_timeout if give_up_after is None else give_up_after,
            self._handler, delivery, max_delay=self._max_delay, before_sleep=warn)

    async def retry_parked(self, stream_id: str, *, transient_timeout: float = 30.0
                           ) -> RetryResult:
        """Hand a parked stream's kept messages to the handler again, in version order, and
        release the stream once none is left; stops at the first that still fails."""
        if self.parking is None:
            raise RuntimeError(f"{self.queue} has no parked streams")
        handled = 0
        while True:
            waiting = await self.parking.waiting(stream_id)
            if not waiting:
                if await self.parking.release(stream_id):
                    return RetryResult(stream_id, handled, True)
                if not await self.parking.is_parked(stream_id):  # released by another retry
                    return RetryResult(stream_id, handled, True)
                continue  # a message was kept meanwhile: hand it in too
            for row_id, body in waiting:
                failure = await self._replay(body, transient_timeout)
                if failure is not None:
                    await self.parking.still_failing(stream_id, failure)
                    return RetryResult(stream_id, handled, False, failure)
                await self.parking.forget(row_id)
                handled += 1

    async def _replay(self, body: bytes, transient_timeout: float) -> str | None:
        try:
            decoded = decode(body, unknown_events=self._events)
        except ContractError as exc:
            return f"{exc.reason}: {exc}"
        delivery = Delivery(decoded=decoded, body=body, replay=True)
        try:
            outcome = await self._handle_with_retries(delivery, transient_timeout)
        except Poison as exc:
            return str(exc)
        except Exception as exc:
            return f"handler-error: {type(exc).__name__}: {exc}"
        MESSAGES.labels(self.queue, decoded.type, outcome).inc()
        return None


def create_broker(url: str, *, prefetch: int = 32) -> RabbitBroker:
    """A FastStream broker whose channel confirms publishes and raises on returns."""
    from faststream.rabbit.schemas import Channel

    return RabbitBroker(url, default_channel=Channel(prefetch_count=prefetch,
                                                     on_return_raises=True),
                        logger=log, log_level=logging.DEBUG, graceful_timeout=10.0)
