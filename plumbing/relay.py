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
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import aio_pika
import aio_pika.abc
from prometheus_client import Counter, Gauge, Histogram

from plumbing.amqp import connect
from plumbing.background import Stop
from plumbing.db import Connection
from plumbing.leader import Election, lead

PIPELINE = 100
"""Publishes in flight at once on the relay's channel; their confirms are awaited together."""

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


class Outbox(Protocol):
    """A service's outbox table."""

    name: str
    """Label of the relay's metrics (``events``, ``kpi``)."""
    exchange: str
    channel: str
    """The ``NOTIFY`` channel its writers signal on commit."""

    async def ready(self, conn: Connection, limit: int) -> Sequence[Outgoing]:
        """Up to ``limit`` rows that may be published now, in publishing order."""
        ...

    async def delete(self, conn: Connection, keys: Sequence[int]) -> None:
        """Delete published rows."""
        ...

    async def backlog(self, conn: Connection) -> tuple[int, float | None]:
        """Rows waiting, and when the oldest was written (epoch seconds)."""
        ...


@dataclass(frozen=True)
class RelaySettings:
    """How the relay batches and how often it looks without being woken."""

    batch_size: int = 500
    poll_seconds: float = 1.0
    retry_seconds: float = 1.0


class OutboxRelay:
    """Publishes an outbox while this process holds its relay role."""

    def __init__(self, outbox: Outbox, database_url: str, amqp_url: str, role: str,
                 settings: RelaySettings | None = None) -> None:
        self.outbox = outbox
        self._database_url = database_url
        self._amqp_url = amqp_url
        self.settings = settings or RelaySettings()
        self.election = Election(role, standby_seconds=self.settings.poll_seconds,
                                 retry_seconds=self.settings.retry_seconds)
        self._wake = asyncio.Event()
        self.published = 0
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
                if moved < self.settings.batch_size:
                    await stop.sleep(self.settings.poll_seconds, self._wake)
        finally:
            self._set_active(False)
            await connection.close()

    def _set_active(self, active: bool) -> None:
        self.active = active
        ACTIVE.labels(self.outbox.name).set(1 if active else 0)

    async def relay_once(self, conn: Connection,
                         exchange: aio_pika.abc.AbstractExchange) -> int:
        """Publish one batch of ready rows; how many."""
        outgoing = await self.outbox.ready(conn, self.settings.batch_size)
        # Pipelined on one channel: the publishes are issued in outbox order (the channel's
        # frame lock is FIFO), so the broker routes them in that order; a chunk's rows go
        # once all its confirms are in.
        for start in range(0, len(outgoing), PIPELINE):
            chunk = outgoing[start:start + PIPELINE]
            await asyncio.gather(*(self._publish(exchange, message) for message in chunk))
            await self.outbox.delete(conn, [message.key for message in chunk])
            self.published += len(chunk)
            PUBLISHED.labels(self.outbox.name).inc(len(chunk))
        count, oldest = await self.outbox.backlog(conn)
        BACKLOG.labels(self.outbox.name).set(count)
        OLDEST_SECONDS.labels(self.outbox.name).set(
            0 if oldest is None else max(0.0, time.time() - oldest))
        return len(outgoing)

    async def _publish(self, exchange: aio_pika.abc.AbstractExchange,
                       message: Outgoing) -> None:
        await exchange.publish(
            aio_pika.Message(message.body, content_type=message.content_type,
                             delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                             message_id=message.message_id,
                             correlation_id=message.correlation_id),
            message.routing_key)
        PUBLISH_SECONDS.labels(self.outbox.name).observe(
            max(0.0, time.time() - message.written_at))
