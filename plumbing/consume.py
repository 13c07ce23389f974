"""The consumer's FastStream middlewares: each stream in order, and one outcome per message.

Every subscriber of :class:`~plumbing.consumer.QueueConsumer` has two, outermost first:

- :class:`InStreamOrder` takes the delivery's place in its stream's lane
  (:mod:`plumbing.lanes`), in the broker's delivery order, and holds it until the message
  has its outcome (or the handler says its order is kept, ``Delivery.in_order``);
- :class:`Outcomes` gives every message exactly one end, explicitly (the subscriber's
  ``AckPolicy.MANUAL``), and counts it:

  - handled: acked, counted under the handler's outcome label;
  - a body that breaks the contract (:class:`~contracts.codec.ContractError` from the
    decoder), a handler raising :class:`~plumbing.delivery.Poison`, or any other error:
    the message *parks its stream* when its stream is readable and the consumer has
    parking (docs/domain.md#boundaries), else it is published, persistent and confirmed,
    to ``kerjasama.dlx`` with routing key ``<queue>.dlq`` and an ``x-error`` header naming
    the reason; then acked, so the messages behind it flow on. If that publish (or the
    parking) fails, the message is requeued, never dropped;
  - a transient error that outlasted the handler's retries, or a cancelled handler
    (shutdown): requeued.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, cast
from uuid import UUID

from faststream import BaseMiddleware, ContextRepo
from faststream.message import StreamMessage
from faststream.rabbit import RabbitBroker, RabbitExchange
from faststream.rabbit.annotations import RabbitMessage
from prometheus_client import Counter, Gauge, Histogram

from contracts.codec import ContractError
from contracts.envelope import CloudEvent
from contracts.events import UnknownEvent
from contracts.topology import DEAD_LETTER_EXCHANGE
from plumbing.delivery import DUPLICATE, GAP_FILLED, Delivery, Poison, dead_letter_key
from plumbing.lanes import DeliveryOrder, Lanes
from plumbing.parking import ParkedMessage, StreamParking, readable_stream, stream_of_body
from plumbing.retry import is_transient
from plumbing.tracing import TRACEPARENT, TRACESTATE, SpanKind, context_of, span

log = logging.getLogger(__name__)

MESSAGES = Counter("kerjasama_messages_total", "Messages taken from a queue, by outcome "
                   "(e.g. applied, duplicate, dead_lettered, requeued).",
                   ["queue", "type", "outcome"])
DEAD_LETTERED = Counter("kerjasama_messages_dead_lettered_total",
                        "Messages a consumer sent to its dead-letter queue, by reason.",
                        ["queue", "reason"])
HANDLER_SECONDS = Histogram("kerjasama_message_handler_seconds",
                            "Time to handle one message, retries included.", ["queue", "type"],
                            buckets=(.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10))
UNKNOWN_EVENTS = Counter("kerjasama_unknown_events_total", "Events of a type this consumer "
                         "does not know (in a known stream family), stepped over.",
                         ["queue", "type"])
LAG_SECONDS = Gauge("kerjasama_consumer_lag_seconds", "Seconds between the last handled "
                    "event's time and the moment it was handled.", ["queue"])

ERROR_HEADER = "x-error"
"""Header of a dead-lettered message: ``<reason>: <detail>``."""
UNKNOWN_TYPE = "(unknown)"
CallNext = Callable[[StreamMessage[Any]], Awaitable[Any]]


DeadLetterHook = Callable[[RabbitMessage, str, str], Awaitable[None]]
"""Called with the message, reason and detail once a message was dead-lettered."""


async def delivery_of(message: StreamMessage[Any]) -> Delivery:
    """The message as the subscriber's decoder made it (decoded once, then cached)."""
    delivery = await message.decode()
    if not isinstance(delivery, Delivery):
        raise TypeError(f"the subscriber's decoder gave {type(delivery).__name__}")
    return delivery


class InStreamOrder:
    """Middleware factory: a delivery's place in its stream's lane, taken in delivery order."""

    def __init__(self) -> None:
        self.lanes = Lanes()
        self.order = DeliveryOrder()

    def __call__(self, msg: Any, /, *, context: ContextRepo) -> BaseMiddleware:
        return _InStreamOrder(msg, context=context, lanes=self.lanes, order=self.order)


class _InStreamOrder(BaseMiddleware):
    def __init__(self, msg: Any, /, *, context: ContextRepo, lanes: Lanes,
                 order: DeliveryOrder) -> None:
        super().__init__(msg, context=context)
        self._lanes, self._order = lanes, order

    async def consume_scope(self, call_next: CallNext, msg: StreamMessage[Any]) -> Any:
        tag = msg.raw_message.delivery_tag
        if tag is not None:
            await self._order.turn(tag)
        try:
            delivery = await delivery_of(msg)
        except Exception:  # no stream to keep in order: the outcome policy takes it
            if tag is not None:
                self._order.passed(tag)
            return await call_next(msg)
        place = self._lanes.place(delivery.stream)
        if tag is not None:
            self._order.passed(tag)
        delivery.in_order = place.release
        async with place:
            return await call_next(msg)


class Outcomes:
    """Middleware factory: the ack / park / dead-letter / requeue policy and its metrics
    for the subscriber of ``queue`` (see the module's docstring)."""

    def __init__(self, broker: RabbitBroker, queue: str, *,
                 parking: StreamParking | None = None,
                 on_dead_letter: DeadLetterHook | None = None) -> None:
        self.broker = broker
        self.queue = queue
        self.parking = parking
        self.on_dead_letter = on_dead_letter

    def __call__(self, msg: Any, /, *, context: ContextRepo) -> BaseMiddleware:
        return _Outcomes(msg, context=context, policy=self)

    async def settle(self, message: RabbitMessage, call_next: CallNext) -> str | None:
        """Run ``call_next`` and give the message its one end; the outcome label if
        handled. All of it runs in a consumer span continuing the message's trace (its
        ``traceparent`` header, else the CloudEvent's)."""
        raw = message.raw_message
        headers = raw.headers or {}
        parent = headers if context_of(headers) else await _envelope_trace(message)
        with span(f"process {self.queue}", parent=parent, kind=SpanKind.CONSUMER,
                  attributes={"messaging.system": "rabbitmq",
                              "messaging.operation.type": "process",
                              "messaging.destination.name": self.queue,
                              "messaging.rabbitmq.destination.routing_key":
                                  raw.routing_key or "",
                              "messaging.message.id": raw.message_id or ""}) as current:
            outcome = await self._settle(message, call_next)
            if current.is_recording():
                current.set_attribute("kerjasama.outcome", outcome or "not handled")
            return outcome

    async def _settle(self, message: RabbitMessage, call_next: CallNext) -> str | None:
        started = time.perf_counter()
        try:
            delivery = await delivery_of(message)
        except ContractError as exc:
            await self.park_or_dead_letter(message, None, exc.reason, str(exc),
                                           exc.message_type or UNKNOWN_TYPE)
            return None
        except Exception as exc:  # a decoder bug must not leave a message without an end
            log.exception("%s: a message could not be decoded", self.queue)
            await self.park_or_dead_letter(message, None, "undecodable",
                                           f"{type(exc).__name__}: {exc}", UNKNOWN_TYPE)
            return None
        envelope, message_type = delivery.decoded.envelope, delivery.decoded.type
        try:
            outcome: str = await call_next(message)
        except Poison as exc:
            await self.park_or_dead_letter(message, envelope, exc.reason, exc.detail,
                                           message_type)
            return None
        except asyncio.CancelledError:
            await self.requeue(message, message_type)
            raise
        except Exception as exc:
            if is_transient(exc):
                log.error("%s: giving up for now on %s after transient errors, requeued: "
                          "%r", self.queue, message_type, exc)
                await self.requeue(message, message_type)
                return None
            log.exception("%s: handler failed on %s %s", self.queue, message_type,
                          envelope.id)
            await self.park_or_dead_letter(message, envelope, "handler-error",
                                           f"{type(exc).__name__}: {exc}", message_type)
            return None
        await message.ack()
        self._count(delivery, outcome, message.raw_message.delivery_tag, started)
        return outcome

    def _count(self, delivery: Delivery, outcome: str, tag: int | None,
               started: float) -> None:
        envelope, message_type = delivery.decoded.envelope, delivery.decoded.type
        MESSAGES.labels(self.queue, message_type, outcome).inc()
        if outcome in (GAP_FILLED, DUPLICATE):  # zero when nothing was lost: say where
            log.warning("%s: %s %s of stream %s version %s (delivery %s%s)", self.queue,
                        outcome, message_type, envelope.subject, envelope.sequence, tag,
                        ", redelivered" if delivery.redelivered else "")
        if isinstance(delivery.decoded.data, UnknownEvent):
            UNKNOWN_EVENTS.labels(self.queue, message_type).inc()
        HANDLER_SECONDS.labels(self.queue, message_type).observe(time.perf_counter() - started)
        if envelope.time is not None:
            LAG_SECONDS.labels(self.queue).set(max(0.0, time.time() - envelope.time.timestamp()))

    async def park_or_dead_letter(self, message: RabbitMessage, envelope: CloudEvent | None,
                                  reason: str, detail: str, message_type: str) -> None:
        """Park the message's stream when it is readable and there is parking, else
        dead-letter the message; requeue it if neither could be done."""
        parked = None
        if self.parking is not None:
            parked = parked_message(message.body, envelope, message_type)
        if parked is None or self.parking is None:
            await self._dead_letter(message, reason, detail, message_type)
            return
        try:
            await self.parking.park(parked, f"{reason}: {detail}")
        except Exception as exc:
            log.error("%s: could not park stream %s (%r); requeued", self.queue,
                      parked.stream_id, exc)
            await self.requeue(message, message_type)
            return
        log.error("%s: parked stream %s on %s version %s: %s: %s", self.queue,
                  parked.stream_id, message_type, parked.version, reason, detail)
        await message.ack()
        MESSAGES.labels(self.queue, message_type, "parked").inc()

    async def requeue(self, message: RabbitMessage, message_type: str) -> None:
        """Give the message back to the queue."""
        MESSAGES.labels(self.queue, message_type, "requeued").inc()
        try:
            await message.nack(requeue=True)
        except Exception as exc:  # the channel is gone: the broker requeues it anyway
            log.warning("%s: could not nack (%r); the broker will redeliver", self.queue, exc)

    async def _dead_letter(self, message: RabbitMessage, reason: str, detail: str,
                           message_type: str) -> None:
        raw = message.raw_message
        headers = dict(raw.headers or {})
        headers.update({
            ERROR_HEADER: f"{reason}: {detail}"[:1000],
            "x-error-reason": reason,
            "x-original-exchange": raw.exchange or "",
            "x-original-routing-key": raw.routing_key or "",
            "x-original-queue": self.queue,
        })
        try:
            await self.broker.publish(
                message.body, exchange=RabbitExchange(DEAD_LETTER_EXCHANGE, declare=False),
                routing_key=dead_letter_key(self.queue), persist=True, mandatory=True,
                headers=headers, content_type=raw.content_type,
                message_id=raw.message_id, correlation_id=raw.correlation_id,
                reply_to=raw.reply_to)
        except Exception as exc:
            log.error("%s: could not dead-letter a %s message (%r); requeued", self.queue,
                      message_type, exc)
            await self.requeue(message, message_type)
            return
        log.warning("%s: dead-lettered a %s message: %s: %s", self.queue, message_type,
                    reason, detail)
        await message.ack()
        DEAD_LETTERED.labels(self.queue, reason).inc()
        MESSAGES.labels(self.queue, message_type, "dead_lettered").inc()
        if self.on_dead_letter is not None:
            try:
                await self.on_dead_letter(message, reason, detail)
            except Exception:
                log.exception("%s: the dead-letter hook failed", self.queue)


async def _envelope_trace(message: RabbitMessage) -> dict[str, str] | None:
    """The trace context a message's CloudEvent carries, if it decodes and has one."""
    try:
        envelope = (await delivery_of(message)).decoded.envelope
    except Exception:  # the outcome policy deals with it
        return None
    return None if envelope.traceparent is None else {
        TRACEPARENT: envelope.traceparent, TRACESTATE: envelope.tracestate or ""}


class _Outcomes(BaseMiddleware):
    def __init__(self, msg: Any, /, *, context: ContextRepo, policy: Outcomes) -> None:
        super().__init__(msg, context=context)
        self._policy = policy

    async def consume_scope(self, call_next: CallNext, msg: StreamMessage[Any]) -> Any:
        return await self._policy.settle(cast(RabbitMessage, msg), call_next)


def parked_message(body: bytes, envelope: CloudEvent | None,
                   message_type: str) -> ParkedMessage | None:
    """What to keep of a failing message, if its stream is readable."""
    if envelope is not None:
        stream = readable_stream(envelope.subject)
        if stream is None:
            return None
        version = int(envelope.sequence) if envelope.sequence is not None else None
        return ParkedMessage(envelope.id, stream, version, envelope.position, body,
                             message_type)
    stream, raw = stream_of_body(body)
    if stream is None:
        return None
    try:
        event_id: UUID | None = UUID(str(raw.get("id")))
    except ValueError:
        event_id = None
    sequence = raw.get("sequence")
    position = raw.get("position")
    return ParkedMessage(
        event_id, stream,
        int(sequence) if isinstance(sequence, str) and sequence.isdigit() else None,
        position if isinstance(position, int) and not isinstance(position, bool) else None,
        body, message_type)
