"""Consume a queue of CloudEvents: decode, handle with retries, dead-letter poison (DESIGN §3).

Every service's subscriber goes through :class:`QueueConsumer`, so the ack policy is the
same everywhere and explicit (FastStream's ``AckPolicy.MANUAL``):

- the body is decoded with :mod:`contracts.codec`; a message that breaks the contract
  (not JSON, unknown type or version, invalid envelope or data) is *poison*;
- the handler runs; transient errors (database or another service briefly down) are
  retried in-process with backoff for up to ``transient_timeout`` seconds, after which
  the message is requeued (the queue's delivery limit is the backstop);
- a handler raising :class:`Poison`, or any other error, is poison too;
- poison is published, persistent and confirmed, to ``kerjasama.dlx`` with routing key
  ``<queue>.dlq`` and an ``x-error`` header naming the reason, then acked: the messages
  behind it flow on. If that publish fails the message is requeued, never dropped.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from faststream import AckPolicy
from faststream.rabbit import RabbitBroker, RabbitExchange, RabbitQueue, RabbitRouter
from faststream.rabbit.annotations import RabbitMessage
from prometheus_client import Counter, Gauge, Histogram

from contracts.codec import ContractError, Decoded, decode
from contracts.topology import DEAD_LETTER_EXCHANGE
from plumbing.retry import is_transient

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


Handler = Callable[[Delivery], Awaitable[str]]
"""Handles one delivery inside its own transaction(s); returns the outcome label."""
DeadLetterHook = Callable[[RabbitMessage, str, str], Awaitable[None]]
"""Called with the message, reason and detail once a message was dead-lettered."""


def dead_letter_key(queue: str) -> str:
    """Routing key on ``kerjasama.dlx`` of a queue's dead-letter queue."""
    return f"{queue}.dlq"


class QueueConsumer:
    """Takes messages from one queue and hands them to ``handler``, acking explicitly."""

    def __init__(self, broker: RabbitBroker, queue: str, handler: Handler, *,
                 transient_timeout: float = 300.0, max_delay: float = 5.0,
                 on_dead_letter: DeadLetterHook | None = None) -> None:
        self._broker = broker
        self._on_dead_letter = on_dead_letter
        self.queue = queue
        self._handler = handler
        self._transient_timeout = transient_timeout
        self._max_delay = max_delay

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
        try:
            decoded = decode(raw.body)
        except ContractError as exc:
            message_type = exc.message_type or UNKNOWN_TYPE
            await self._dead_letter(message, exc.reason, str(exc), message_type)
            return
        message_type = decoded.type
        delivery = Delivery(
            decoded=decoded, routing_key=raw.routing_key, message_id=raw.message_id,
            correlation_id=raw.correlation_id, reply_to=raw.reply_to, user_id=raw.user_id,
            redelivered=bool(raw.redelivered),
            headers=dict(raw.headers or {}))
        try:
            outcome = await self._handle_with_retries(delivery)
        except Poison as exc:
            await self._dead_letter(message, exc.reason, str(exc).split(": ", 1)[-1],
                                    message_type)
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
            await self._dead_letter(message, "handler-error", f"{type(exc).__name__}: {exc}",
                                    message_type)
            return
        await message.ack()
        MESSAGES.labels(self.queue, message_type, outcome).inc()
        HANDLER_SECONDS.labels(self.queue, message_type).observe(time.perf_counter() - started)
        if decoded.envelope.time is not None:
            LAG_SECONDS.labels(self.queue).set(
                max(0.0, time.time() - decoded.envelope.time.timestamp()))

    async def _handle_with_retries(self, delivery: Delivery) -> str:
        deadline = time.monotonic() + self._transient_timeout
        delay = 0.05
        while True:
            try:
                return await self._handler(delivery)
            except Exception as exc:
                if not is_transient(exc) or time.monotonic() + delay > deadline:
                    raise
                log.warning("%s: transient error on %s, retrying in %.2fs: %r", self.queue,
                            delivery.decoded.type, delay, exc)
                await asyncio.sleep(delay)
                delay = min(self._max_delay, delay * 2)

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


def create_broker(url: str, *, prefetch: int = 32) -> RabbitBroker:
    """A FastStream broker whose channel confirms publishes and raises on returns."""
    from faststream.rabbit.schemas import Channel

    return RabbitBroker(url, default_channel=Channel(prefetch_count=prefetch,
                                                     on_return_raises=True),
                        logger=log, log_level=logging.DEBUG, graceful_timeout=10.0)
