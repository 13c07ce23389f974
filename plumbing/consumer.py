"""Consume a queue of CloudEvents: decode, handle with retries, dead-letter poison
(docs/domain.md#event-log).

Every service's subscriber goes through :class:`QueueConsumer`, so the ack policy is the
same everywhere and explicit (FastStream's ``AckPolicy.MANUAL``):

- the body is decoded with :mod:`contracts.codec`; a message that breaks the contract
  (not JSON, unknown type or version, invalid envelope or data) is *poison*;
- the handler runs; transient errors (database or another service briefly down) are
  retried in-process with backoff for up to ``transient_timeout`` seconds, after which
  the message is requeued (the queue's delivery limit is the backstop);
- a handler raising :class:`Poison`, or any other error, is poison too;
- a failing message whose stream is readable (its ``subject``) *parks its stream* when the
  consumer has :class:`~plumbing.parking.Parking` (docs/domain.md#boundaries): kept with the reason
  in the consumer's database, then acked; later events of the stream wait with it;
- other poison is published, persistent and confirmed, to ``kerjasama.dlx`` with routing
  key ``<queue>.dlq`` and an ``x-error`` header naming the reason, then acked: the messages
  behind it flow on. If that publish (or the parking) fails the message is requeued, never
  dropped.

An event consumer (``events=True``) steps over an event type it does not know in a stream
family it knows: the handler gets :class:`~contracts.events.UnknownEvent` data, the inbox
advances the stream's version, and ``kerjasama_unknown_events_total`` counts it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from faststream import AckPolicy
from faststream.rabbit import RabbitBroker, RabbitExchange, RabbitQueue, RabbitRouter
from faststream.rabbit.annotations import RabbitMessage
from prometheus_client import Counter, Gauge, Histogram
from tenacity import RetryCallState

from contracts.codec import ContractError, Decoded, decode
from contracts.envelope import CloudEvent
from contracts.events import UnknownEvent
from contracts.topology import DEAD_LETTER_EXCHANGE
from plumbing.agreements_client import inbox_event
from plumbing.inbox import InboxEvent
from plumbing.parking import ParkedMessage, Parking, readable_stream, stream_of_body
from plumbing.retry import error_of, is_transient, transient_retrying

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


class Poison(Exception):
    """Raised by a handler when a message can never be handled; it goes to the ``.dlq``."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


@dataclass(frozen=True)
class Delivery:
    """A decoded message with the AMQP properties a handler may need."""

    decoded: Decoded
    routing_key: str | None = None
    message_id: str | None = None
    correlation_id: str | None = None
    reply_to: str | None = None
    user_id: str | None = None
    redelivered: bool = False
    headers: Mapping[str, Any] = field(default_factory=dict)
    body: bytes | None = None
    """The message as received (kept if its stream is parked)."""
    replay: bool = False
    """Handed in again from a parked stream by an operator's retry."""
    in_order: Callable[[], None] = field(default=lambda: None, compare=False)
    """Called by a handler once this event's order is kept by what it was handed to (a
    group commit queue): the stream's next event may then start. Otherwise the next one
    starts when this one is handled."""

    def inbox_event(self) -> InboxEvent:
        """The inbox's view of this delivery's stream event: id, stream, version, position,
        and the body to keep if the stream is parked."""
        try:
            return inbox_event(self.decoded, body=self.body, replay=self.replay)
        except ValueError as exc:
            raise Poison("not-a-stream-event", str(exc)) from None


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


Handler = Callable[[Delivery], Awaitable[str]]
"""Handles one delivery inside its own transaction(s); returns the outcome label."""
DeadLetterHook = Callable[[RabbitMessage, str, str], Awaitable[None]]
"""Called with the message, reason and detail once a message was dead-lettered."""


def dead_letter_key(queue: str) -> str:
    """Routing key on ``kerjasama.dlx`` of a queue's dead-letter queue."""
    return f"{queue}.dlq"


GAP_FILLED = "applied_with_gap_filled"
DUPLICATE = "duplicate"


class Lanes:
    """One lane per key: work under the same key runs one at a time, in the order its
    places were taken (:meth:`place`, synchronous); different keys run concurrently.

    A place is left when its work ends, or earlier when the work says its order is kept
    by what it handed the work to (``release()``: a group commit that applies its events
    in the order they were queued)."""

    def __init__(self) -> None:
        self._last: dict[str, asyncio.Future[None]] = {}

    def place(self, key: str) -> Place:
        """Take a place in the lane of ``key`` now; entering it waits for the places
        taken before it under the same key to be left."""
        before = self._last.get(key)
        mine: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._last[key] = mine
        return Place(self, key, before, mine)

    def _left(self, key: str, mine: asyncio.Future[None]) -> None:
        if not mine.done():
            mine.set_result(None)
        if self._last.get(key) is mine:
            del self._last[key]

    def __len__(self) -> int:
        return len(self._last)


class Place:
    """A place in a lane (see :class:`Lanes`)."""

    def __init__(self, lanes: Lanes, key: str, before: asyncio.Future[None] | None,
                 mine: asyncio.Future[None]) -> None:
        self._lanes, self._key, self._before, self._mine = lanes, key, before, mine

    def release(self) -> None:
        """Let the next place of the lane go ahead (idempotent)."""
        self._lanes._left(self._key, self._mine)

    async def __aenter__(self) -> Place:
        try:
            if self._before is not None:
                await asyncio.shield(self._before)
        except BaseException:
            self.release()
            raise
        return self

    async def __aexit__(self, *_: object) -> None:
        self.release()


class DeliveryOrder:
    """Lets the deliveries of one channel take their places in delivery-tag order.

    The broker numbers a channel's deliveries 1, 2, 3, ... in the order it sends them; the
    client library may hand them to the handler in another order under load. A delivery
    waits (at most ``wait_seconds``) until the one before it has taken its place, so a
    stream's events keep the broker's order. Tags that restart at 1 (a new channel, after a
    reconnection) start over.
    """

    def __init__(self, wait_seconds: float = 1.0) -> None:
        self._next: int | None = None
        self._waiting: dict[int, asyncio.Event] = {}
        self._wait_seconds = wait_seconds

    async def turn(self, tag: int) -> None:
        """Until the deliveries before ``tag`` have passed (or the wait ran out)."""
        if self._next is None or tag < self._next:
            if self._next is None or tag == 1 or self._next - tag > RESTARTED:
                self._next = tag  # the first delivery, or a new channel's
            return
        if tag == self._next:
            return
        event = self._waiting.setdefault(tag, asyncio.Event())
        try:
            await asyncio.wait_for(event.wait(), self._wait_seconds)
        except TimeoutError:
            log.debug("delivery %s went ahead of %s after %.1fs", tag, self._next,
                      self._wait_seconds)
        finally:
            self._waiting.pop(tag, None)

    def passed(self, tag: int) -> None:
        """``tag`` has taken its place: the next delivery may."""
        if self._next is None or tag >= self._next:
            self._next = tag + 1
        following = self._waiting.get(self._next)
        if following is not None:
            following.set()


RESTARTED = 10_000
"""A tag this far below the expected one belongs to a new channel."""


class QueueConsumer:
    """Takes messages from one queue and hands them to ``handler``, acking explicitly.

    The broker delivers up to the prefetch count at once and they are handled
    concurrently, except that the events of one stream (the CloudEvent's ``subject``) go
    one after another, in the order delivered: a consumer never undoes the order of a
    stream, and the inbox fills a gap only when an event was really lost.
    """

    def __init__(self, broker: RabbitBroker, queue: str, handler: Handler, *,
                 transient_timeout: float = 300.0, max_delay: float = 5.0,
                 on_dead_letter: DeadLetterHook | None = None, parking: Parking | None = None,
                 events: bool = False) -> None:
        self._broker = broker
        self.parking = parking
        self._events = events
        self._on_dead_letter = on_dead_letter
        self.queue = queue
        self._handler = handler
        self._transient_timeout = transient_timeout
        self._max_delay = max_delay
        self.lanes = Lanes()
        self.order = DeliveryOrder()

    def subscribe(self, registrar: RabbitBroker | RabbitRouter) -> None:
        """Register the subscriber on a broker or router (the queue is declared elsewhere)."""

        @registrar.subscriber(RabbitQueue(self.queue, declare=False),
                              ack_policy=AckPolicy.MANUAL, no_reply=True)
        async def on_message(message: RabbitMessage) -> None:
            await self.on_message(message)

    async def on_message(self, message: RabbitMessage) -> None:
        """Handle one message to its end: acked, dead-lettered then acked, or requeued."""
        raw = message.raw_message
        started = time.perf_counter()
        message_type = UNKNOWN_TYPE
        tag = raw.delivery_tag  # places in the lanes are taken in delivery order
        if tag is not None:
            await self.order.turn(tag)
        try:
            decoded = decode(raw.body, unknown_events=self._events)
        except ContractError as exc:
            if tag is not None:
                self.order.passed(tag)
            message_type = exc.message_type or UNKNOWN_TYPE
            await self._park_or_dead_letter(message, None, exc.reason, str(exc), message_type)
            return
        place = self.lanes.place(decoded.envelope.subject or str(decoded.envelope.id))
        if tag is not None:
            self.order.passed(tag)
        message_type = decoded.type
        delivery = Delivery(
            decoded=decoded, routing_key=raw.routing_key, message_id=raw.message_id,
            correlation_id=raw.correlation_id, reply_to=raw.reply_to, user_id=raw.user_id,
            redelivered=bool(raw.redelivered),
            headers=dict(raw.headers or {}), body=raw.body, in_order=place.release)
        async with place:
            await self._handle(message, decoded, delivery, message_type, started)

    async def _handle(self, message: RabbitMessage, decoded: Decoded, delivery: Delivery,
                      message_type: str, started: float) -> None:
        try:
            outcome = await self._handle_with_retries(delivery)
        except Poison as exc:
            await self._park_or_dead_letter(message, decoded.envelope, exc.reason,
                                            str(exc).split(": ", 1)[-1], message_type)
            return
        except asyncio.CancelledError:
            await self._requeue(message, message_type)
            raise
        except Exception as exc:
            if is_transient(exc):
                log.error("%s: giving up for now on %s after %.0fs of transient errors, "
                          "requeued: %r", self.queue, message_type, self._transient_timeout, exc)
                await self._requeue(message, message_type)
                return
            log.exception("%s: handler failed on %s %s", self.queue, message_type,
                          decoded.envelope.id)
            await self._park_or_dead_letter(message, decoded.envelope, "handler-error",
                                            f"{type(exc).__name__}: {exc}", message_type)
            return
        await message.ack()
        MESSAGES.labels(self.queue, message_type, outcome).inc()
        if outcome in (GAP_FILLED, DUPLICATE):  # zero when nothing was lost: say where
            envelope = decoded.envelope
            log.warning("%s: %s %s of stream %s version %s (delivery %s%s)", self.queue,
                        outcome, message_type, envelope.subject, envelope.sequence,
                        message.raw_message.delivery_tag,
                        ", redelivered" if delivery.redelivered else "")
        if isinstance(decoded.data, UnknownEvent):
            UNKNOWN_EVENTS.labels(self.queue, message_type).inc()
        HANDLER_SECONDS.labels(self.queue, message_type).observe(time.perf_counter() - started)
        if decoded.envelope.time is not None:
            LAG_SECONDS.labels(self.queue).set(
                max(0.0, time.time() - decoded.envelope.time.timestamp()))

    async def _handle_with_retries(self, delivery: Delivery,
                                   give_up_after: float | None = None) -> str:
        def warn(state: RetryCallState) -> None:
            log.warning("%s: transient error on %s, retrying in %.2fs: %r", self.queue,
                        delivery.decoded.type, state.upcoming_sleep, error_of(state))

        retrying = transient_retrying(
            self._transient_timeout if give_up_after is None else give_up_after,
            max_delay=self._max_delay, before_sleep=warn)
        outcome: str = await retrying(self._handler, delivery)
        return outcome

    async def _park_or_dead_letter(self, message: RabbitMessage, envelope: CloudEvent | None,
                                   reason: str, detail: str, message_type: str) -> None:
        body: bytes = message.raw_message.body
        parked = None
        if self.parking is not None:
            parked = _parked_message(body, envelope, message_type)
        if parked is None or self.parking is None:
            await self._dead_letter(message, reason, detail, message_type)
            return
        try:
            await self.parking.park(parked, f"{reason}: {detail}")
        except Exception as exc:
            log.error("%s: could not park stream %s (%r); requeued", self.queue,
                      parked.stream_id, exc)
            await self._requeue(message, message_type)
            return
        log.error("%s: parked stream %s on %s version %s: %s: %s", self.queue,
                  parked.stream_id, message_type, parked.version, reason, detail)
        await message.ack()
        MESSAGES.labels(self.queue, message_type, "parked").inc()

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
                continue
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

    async def _requeue(self, message: RabbitMessage, message_type: str) -> None:
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
            await self._broker.publish(
                raw.body, exchange=RabbitExchange(DEAD_LETTER_EXCHANGE, declare=False),
                routing_key=dead_letter_key(self.queue), persist=True, mandatory=True,
                headers=headers, content_type=raw.content_type,
                message_id=raw.message_id, correlation_id=raw.correlation_id,
                reply_to=raw.reply_to)
        except Exception as exc:
            log.error("%s: could not dead-letter a %s message (%r); requeued", self.queue,
                      message_type, exc)
            await self._requeue(message, message_type)
            return
        log.warning("%s: dead-lettered a %s message: %s: %s", self.queue, message_type,
                    reason, detail)
        await message.ack()
        DEAD_LETTERED.labels(self.queue, reason).inc()
        MESSAGES.labels(self.queue, message_type, "dead_lettered").inc()
        if self._on_dead_letter is not None:
            try:
                await self._on_dead_letter(message, reason, detail)
            except Exception:
                log.exception("%s: the dead-letter hook failed", self.queue)


def _parked_message(body: bytes, envelope: CloudEvent | None,
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


def create_broker(url: str, *, prefetch: int = 32) -> RabbitBroker:
    """A FastStream broker whose channel confirms publishes and raises on returns."""
    from faststream.rabbit.schemas import Channel

    return RabbitBroker(url, default_channel=Channel(prefetch_count=prefetch,
                                                     on_return_raises=True),
                        logger=log, log_level=logging.DEBUG, graceful_timeout=10.0)
