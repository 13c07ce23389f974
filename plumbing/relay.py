"""The transactional outbox relay, one for every service that publishes.

A service writes its outgoing messages to an outbox table in the transaction that makes
them true. The relay, active on one replica at a time (:mod:`plumbing.leader`), takes the
rows in order, publishes each as a persistent message with publisher confirms, and
deletes them once the broker confirmed them: a crash in between publishes them again (at
least once; consumers drop repeats by message id), and nothing is lost. It wakes on the
outbox's ``NOTIFY`` channel and polls as a fallback; an outage of the database or the
broker delays publishing while the rows wait.

What differs between services is behind :class:`Outbox`: which rows are ready, how a
row becomes a message, and how rows are deleted.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import aio_pika
import aio_pika.abc
from prometheus_client import Counter, Gauge, Histogram

from plumbing.amqp import connect
from plumbing.background import Stop
from plumbing.db import Connection
from plumbing.leader import Election, cause_of, lead
from plumbing.tracing import SpanKind, current_trace, span

log = logging.getLogger(__name__)

PIPELINE = 100
"""Publishes in flight at once on the relay's channel; their confirms are awaited together."""
BACKLOG_SECONDS = 1.0
"""How often an idle relay counts its outbox for the backlog gauges."""

BACKLOG = Gauge("kerjasama_outbox_backlog", "Messages written but not yet published.",
                ["outbox"])
OLDEST_SECONDS = Gauge("kerjasama_outbox_oldest_seconds",
                       "Age of the oldest message waiting in the outbox (0 when empty).",
                       ["outbox"])
ACTIVE = Gauge("kerjasama_relay_active", "1 while this process relays the outbox.",
               ["outbox"])
PUBLISHED = Counter("kerjasama_relay_published_total", "Messages published by the relay.",
                    ["outbox"])
PUBLISH_SECONDS = Histogram(
    "kerjasama_relay_publish_seconds",
    "Seconds from a message's write to the broker's confirm of its publication.",
    ["outbox"], buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300))


@dataclass(frozen=True)
class Outgoing:
    """One outbox row as the message to publish."""

    key: int
    """The row's key, for deleting it once confirmed."""
    routing_key: str
    body: bytes
    content_type: str
    message_id: str
    written_at: float
    """When the row was written (epoch seconds), for the latency histogram."""
    correlation_id: str | None = None
    trace: Mapping[str, str] = field(default_factory=dict)
    """The trace context (``traceparent``, ``tracestate``) of the work that wrote the row:
    the message is published in a span of that trace, whose context goes in its headers."""


class Outbox(Protocol):
    """A service's outbox table."""

    name: str
    """Label of the relay's metrics (``events``, ``kpi``)."""
    exchange: str
    channel: str
    """The ``NOTIFY`` channel its writers signal on commit."""

    async def ready(self, conn: Connection, limit: int) -> Sequence[Any]:
        """Up to ``limit`` rows that may be published now, in publishing order."""
        ...

    def message(self, row: Any) -> Outgoing:
        """A row as its message (built just before it is published, so the first publish
        of a batch does not wait for the whole batch to be encoded)."""
        ...

    async def delete(self, conn: Connection, keys: Sequence[int]) -> None:
        """Delete published rows."""
        ...

    async def backlog(self, conn: Connection) -> tuple[int, float | None]:
        """Rows waiting, and when the oldest was written (epoch seconds)."""
        ...


AfterRound = Callable[[Connection, aio_pika.abc.AbstractExchange], Awaitable[None]]
"""Work of the active relay after each round, on its connection and channel (the
checkpoint publisher): it holds the role with the relay."""


@dataclass(frozen=True)
class RelaySettings:
    """How the relay batches and how often it looks without being woken."""

    batch_size: int = 500
    poll_seconds: float = 1.0
    retry_seconds: float = 1.0


class OutboxRelay:
    """Publishes an outbox while this process holds its relay role."""

    def __init__(self, outbox: Outbox, database_url: str, amqp_url: str, role: str,
                 settings: RelaySettings | None = None,
                 after_round: AfterRound | None = None) -> None:
        self.outbox = outbox
        self._after_round = after_round
        self._database_url = database_url
        self._amqp_url = amqp_url
        self.settings = settings or RelaySettings()
        self.election = Election(role, standby_seconds=self.settings.poll_seconds,
                                 retry_seconds=self.settings.retry_seconds)
        self._wake = asyncio.Event()
        self.published = 0
        self._backlog_at = 0.0
        self.failures = 0
        """Sessions that failed (the database or the broker unavailable)."""
        self.active = False
        """Whether this process relays now."""

    async def run(self, stop: Stop) -> None:
        """Relay until the stop is set (a background loop)."""
        await lead(self._database_url, self.election, self._work, stop,
                   on_failure=self._failed)

    def _failed(self, _: BaseException) -> None:
        self.failures += 1

    def _on_notify(self, *_: object) -> None:
        self._wake.set()

    async def _work(self, conn: Connection, stop: Stop) -> None:
        await conn.add_listener(self.outbox.channel, self._on_notify)
        connection = await connect(self._amqp_url, attempts=1)
        self._set_active(True)
        try:
            channel = await connection.channel(publisher_confirms=True)
            exchange = await channel.get_exchange(self.outbox.exchange, ensure=False)
            while not stop.is_set():
                self._wake.clear()
                moved = await self.relay_once(conn, exchange)
                if self._after_round is not None:
                    await self._run_after_round(conn, exchange)
                if moved < self.settings.batch_size:
                    await stop.sleep(self.settings.poll_seconds, self._wake)
        finally:
            self._set_active(False)
            await connection.close()

    async def _run_after_round(self, conn: Connection,
                               exchange: aio_pika.abc.AbstractExchange) -> None:
        # An outage ends the session as for the relay's own work; any other failure is
        # logged, and messages go on being published.
        assert self._after_round is not None
        try:
            await self._after_round(conn, exchange)
        except Exception as exc:
            if cause_of(exc) != "error":
                raise
            log.exception("%s: the work after a round failed; publishing goes on",
                          self.election.role)

    def _set_active(self, active: bool) -> None:
        self.active = active
        ACTIVE.labels(self.outbox.name).set(1 if active else 0)

    async def relay_once(self, conn: Connection,
                         exchange: aio_pika.abc.AbstractExchange) -> int:
        """Publish one batch of ready rows; how many."""
        rows = await self.outbox.ready(conn, self.settings.batch_size)
        # Pipelined on one channel: the publishes are issued in outbox order (the channel's
        # frame lock is FIFO), so the broker routes them in that order; a chunk's rows go
        # once all its confirms are in.
        for start in range(0, len(rows), PIPELINE):
            chunk = rows[start:start + PIPELINE]
            keys = await asyncio.gather(*(self._publish(exchange, row) for row in chunk))
            await self.outbox.delete(conn, keys)
            self.published += len(chunk)
            PUBLISHED.labels(self.outbox.name).inc(len(chunk))
        if rows or time.monotonic() - self._backlog_at >= BACKLOG_SECONDS:
            await self._report_backlog(conn)
        return len(rows)

    async def _report_backlog(self, conn: Connection) -> None:
        count, oldest = await self.outbox.backlog(conn)
        BACKLOG.labels(self.outbox.name).set(count)
        OLDEST_SECONDS.labels(self.outbox.name).set(
            0 if oldest is None else max(0.0, time.time() - oldest))
        self._backlog_at = time.monotonic()

    async def _publish(self, exchange: aio_pika.abc.AbstractExchange, row: Any) -> int:
        message = self.outbox.message(row)
        with span(f"publish {self.outbox.exchange}", parent=message.trace,
                  kind=SpanKind.PRODUCER,
                  attributes={"messaging.system": "rabbitmq",
                              "messaging.operation.type": "publish",
                              "messaging.destination.name": self.outbox.exchange,
                              "messaging.rabbitmq.destination.routing_key":
                                  message.routing_key,
                              "messaging.message.id": message.message_id}):
            await exchange.publish(
                aio_pika.Message(message.body, content_type=message.content_type,
                                 delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                                 message_id=message.message_id,
                                 correlation_id=message.correlation_id,
                                 headers=dict(current_trace()) or None),
                message.routing_key, mandatory=False)  # nobody bound: dropped, not returned
        PUBLISH_SECONDS.labels(self.outbox.name).observe(
            max(0.0, time.time() - message.written_at))
        return message.key
