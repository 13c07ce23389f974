"""The outbox relay: publishes appended events to ``kerjasama.events`` (DESIGN §3).

Outbox rows are written in the transaction that appends their events. The relay takes
them in position order, only below the feed's safe point (no transaction still running
may hold an earlier position), publishes each as a persistent CloudEvent with publisher
confirms, and deletes the rows once the broker confirmed them. A crash between confirm
and delete republishes (at least once; consumers dedupe by event id); nothing is lost.

One relay is active at a time: it holds a session advisory lock on its own connection,
so several replicas are safe and a standby takes over when the active one's connection
dies. It wakes on ``LISTEN kerjasama_outbox`` (notified at commit) and polls as a
fallback. A broker or database outage delays publishing; the rows wait in the outbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aio_pika
import aio_pika.abc
import aio_pika.exceptions
import asyncpg
from prometheus_client import Counter, Gauge, Histogram

from contracts.codec import encode
from contracts.envelope import routing_key_of
from contracts.topology import EVENTS_EXCHANGE
from plumbing.amqp import CLOUDEVENTS_JSON, connect
from services.agreements.adapters.cloudevents import to_cloudevent
from services.agreements.adapters.event_store import COLUMNS, StoredEvent, stored_event

log = logging.getLogger(__name__)

RELAY_LOCK = 7401200002
"""Advisory lock key held by the active relay."""
CHANNEL = "kerjasama_outbox"
PIPELINE = 100
"""Publishes in flight at once, awaiting their confirms together."""

BACKLOG = Gauge("kerjasama_outbox_backlog", "Events appended but not yet published.")
OLDEST_SECONDS = Gauge("kerjasama_outbox_oldest_seconds",
                       "Age of the oldest event waiting in the outbox (0 when empty).")
ACTIVE = Gauge("kerjasama_relay_active", "1 while this process holds the relay lock.")
PUBLISHED = Counter("kerjasama_relay_published_total", "Events published by the relay.")
PUBLISH_SECONDS = Histogram(
    "kerjasama_relay_publish_seconds",
    "Seconds from an event's append to the broker's confirm of its publication.",
    buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300))
FAILURES = Counter("kerjasama_relay_failures_total",
                   "Relay rounds that failed (broker or database unavailable).", ["cause"])

_PENDING = (f"SELECT {', '.join('e.' + c.strip() for c in COLUMNS.split(','))} "
            "FROM outbox o JOIN events e ON e.position = o.position "
            "WHERE e.tx_id < pg_snapshot_xmin(pg_current_snapshot()) "
            "ORDER BY o.position LIMIT $1")


@dataclass(frozen=True)
class RelaySettings:
    """How the relay batches and how often it looks without being woken."""

    batch_size: int = 500
    poll_interval: float = 1.0
    retry_delay: float = 1.0


LeaderTask = Callable[["asyncpg.Connection[Any]", aio_pika.abc.AbstractExchange],
                      Awaitable[None]]
"""Work done after each relay round by the one active relay (the checkpointer)."""


class OutboxRelay:
    """Publishes outbox rows in position order while it holds the relay lock."""

    def __init__(self, database_url: str, amqp_url: str,
                 settings: RelaySettings | None = None,
                 after_round: LeaderTask | None = None) -> None:
        self._database_url = database_url
        self._after_round = after_round
        self._amqp_url = amqp_url
        self._settings = settings or RelaySettings()
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self.active = False
        self.published = 0
        self.failures = 0

    def stop(self) -> None:
        """Ask :meth:`run` to return after the current batch."""
        self._stopping.set()
        self._wake.set()

    async def run(self) -> None:
        """Relay until stopped; outages of the database or the broker are waited out."""
        while not self._stopping.is_set():
            try:
                await self._session()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                cause = "database" if isinstance(
                    exc, (asyncpg.PostgresError, asyncpg.InterfaceError, OSError)) else "broker"
                FAILURES.labels(cause).inc()
                self.failures += 1
                log.warning("outbox relay: %s unavailable, retrying in %.1fs: %r", cause,
                            self._settings.retry_delay, exc)
            finally:
                self._set_active(False)
            await self._sleep(self._settings.retry_delay)

    def _set_active(self, active: bool) -> None:
        self.active = active
        ACTIVE.set(1 if active else 0)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)
        self._wake.clear()

    async def _session(self) -> None:
        conn: asyncpg.Connection[Any] = await asyncpg.connect(self._database_url)
        try:
            while not self._stopping.is_set():
                if await conn.fetchval("SELECT pg_try_advisory_lock($1)", RELAY_LOCK):
                    break
                await self._sleep(self._settings.poll_interval)
            else:
                return
            self._set_active(True)
            log.info("outbox relay: active")
            await conn.add_listener(CHANNEL, self._on_notify)
            connection = await connect(self._amqp_url, attempts=1)
            try:
                channel = await connection.channel(publisher_confirms=True)
                exchange = await channel.get_exchange(EVENTS_EXCHANGE, ensure=False)
                await self._relay(conn, exchange)
            finally:
                await connection.close()
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), 5)

    def _on_notify(self, *_: object) -> None:
        self._wake.set()

    async def _relay(self, conn: asyncpg.Connection[Any],
                     exchange: aio_pika.abc.AbstractExchange) -> None:
        while not self._stopping.is_set():
            rows = await conn.fetch(_PENDING, self._settings.batch_size)
            if rows:
                await self._publish([stored_event(r) for r in rows], conn, exchange)
            await self._report_backlog(conn)
            if self._after_round is not None:
                await self._leader_task(conn, exchange, self._after_round)
            if len(rows) < self._settings.batch_size:
                await self._sleep(self._settings.poll_interval)

    async def _leader_task(self, conn: asyncpg.Connection[Any],
                           exchange: aio_pika.abc.AbstractExchange, task: LeaderTask) -> None:
        # An outage ends the session as for the relay's own work; any other failure of the
        # task (the checkpointer) is logged and counted, and events go on being published.
        try:
            await task(conn, exchange)
        except (asyncpg.PostgresConnectionError, asyncpg.InterfaceError, OSError,
                aio_pika.exceptions.AMQPError):
            raise
        except Exception:
            FAILURES.labels("leader-task").inc()
            log.exception("outbox relay: the checkpointer failed; publishing goes on")

    async def _publish(self, events: list[StoredEvent], conn: asyncpg.Connection[Any],
                       exchange: aio_pika.abc.AbstractExchange) -> None:
        # Pipelined on one channel: the publishes are issued in position order (the
        # channel's frame lock is FIFO), so the broker routes them in that order, and the
        # confirms are awaited together before the rows are deleted.
        async def publish(event: StoredEvent) -> None:
            envelope = to_cloudevent(event)
            await exchange.publish(
                aio_pika.Message(encode(envelope), content_type=CLOUDEVENTS_JSON,
                                 delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                                 message_id=str(event.event_id),
                                 correlation_id=envelope.correlationid),
                routing_key_of(event.type))
            PUBLISH_SECONDS.observe(max(0.0, time.time() - event.occurred_at.timestamp()))

        for start in range(0, len(events), PIPELINE):
            await asyncio.gather(*(publish(e) for e in events[start:start + PIPELINE]))
        await conn.execute("DELETE FROM outbox WHERE position = ANY($1::bigint[])",
                           [e.position for e in events])
        self.published += len(events)
        PUBLISHED.inc(len(events))

    async def _report_backlog(self, conn: asyncpg.Connection[Any]) -> None:
        row = await conn.fetchrow(
            "SELECT count(*) AS n, min(e.occurred_at) AS oldest FROM outbox o "
            "JOIN events e ON e.position = o.position")
        assert row is not None
        BACKLOG.set(row["n"])
        oldest = row["oldest"]
        OLDEST_SECONDS.set(0 if oldest is None else max(0.0, time.time() - oldest.timestamp()))
