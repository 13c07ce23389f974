"""Publish the ``kpi_outbox`` rows to ``kerjasama.kpi`` in order, with publisher confirms.

One relay is active at a time (a session advisory lock on a connection of its own), so
replicas are safe. It is woken by ``LISTEN reporting_kpi_outbox`` (the outbox trigger
notifies on commit) and polls as a fallback. A row is deleted only after the broker
confirmed it, so a crash in between publishes it again (at least once; subscribers
drop a repeated or stale ``revision``).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from typing import Any

import aio_pika.abc
import asyncpg

from contracts.envelope import CONTENT_TYPE
from contracts.topology import KPI_EXCHANGE
from plumbing.amqp import connect, publish_persistent
from plumbing.db import Connection
from plumbing.retry import is_transient

from ..metrics import OUTBOX_BACKLOG, RELAY_PUBLISH_SECONDS
from .outbox import NOTIFY_CHANNEL

log = logging.getLogger(__name__)
RELAY_LOCK = "kerjasama.reporting.kpi-relay"

PIPELINE = 100
"""kpi.updated publishes in flight at once."""


class OutboxRelay:
    """Moves outbox rows to the broker until stopped."""

    def __init__(self, database_url: str, amqp_url: str, *, batch: int = 200,
                 poll_seconds: float = 1.0) -> None:
        self._database_url = database_url
        self._amqp_url = amqp_url
        self._batch = batch
        self._poll = poll_seconds
        self._wake = asyncio.Event()
        self.published = 0

    def _on_notify(self, *_: Any) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Relay until cancelled; transient failures (broker, database) are retried."""
        delay = 0.1
        while True:
            try:
                await self._run_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not is_transient(exc):
                    log.exception("kpi outbox relay failed; restarting in %.1fs", delay)
                else:
                    log.warning("kpi outbox relay: %r; retrying in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(5.0, delay * 2)

    async def _run_once(self) -> None:
        conn: Connection = await asyncpg.connect(self._database_url)
        try:
            try:
                await self._take_the_lock(conn)
                await conn.add_listener(NOTIFY_CHANNEL, self._on_notify)
                connection = await connect(self._amqp_url)
                try:
                    channel = await connection.channel(publisher_confirms=True)
                    exchange = await channel.get_exchange(KPI_EXCHANGE, ensure=False)
                    while True:
                        self._wake.clear()
                        moved = await self._publish_batch(conn, exchange)
                        if moved < self._batch:
                            with contextlib.suppress(TimeoutError):
                                await asyncio.wait_for(self._wake.wait(), self._poll)
                finally:
                    await connection.close()
            finally:
                with contextlib.suppress(Exception):
                    await conn.remove_listener(NOTIFY_CHANNEL, self._on_notify)
        finally:
            await conn.close()  # ends the session: its advisory lock goes with it

    async def _take_the_lock(self, conn: Connection) -> None:
        """Wait until this relay is the active one (another replica may hold the lock)."""
        for attempt in itertools.count():
            if await conn.fetchval("SELECT pg_try_advisory_lock(hashtextextended($1, 0))",
                                   RELAY_LOCK):
                return
            if attempt == 0:
                log.info("another kpi outbox relay is active; standing by")
            await asyncio.sleep(self._poll * 5)

    async def _publish_batch(self, conn: Connection,
                             exchange: aio_pika.abc.AbstractExchange) -> int:
        rows = await conn.fetch("SELECT id, message_id, routing_key, body FROM kpi_outbox "
                                "ORDER BY id LIMIT $1", self._batch)
        OUTBOX_BACKLOG.set(await conn.fetchval("SELECT count(*) FROM kpi_outbox")
                           if len(rows) == self._batch else len(rows))
        async def publish(row: Any) -> None:
            started = time.perf_counter()
            await publish_persistent(exchange, KPI_EXCHANGE, row["routing_key"],
                                     bytes(row["body"]), content_type=CONTENT_TYPE,
                                     message_id=str(row["message_id"]))
            RELAY_PUBLISH_SECONDS.observe(time.perf_counter() - started)

        # pipelined in outbox order on one channel (its frame lock is FIFO); the rows go
        # once every confirm of the chunk is in
        for start in range(0, len(rows), PIPELINE):
            chunk = rows[start:start + PIPELINE]
            await asyncio.gather(*(publish(row) for row in chunk))
            await conn.execute("DELETE FROM kpi_outbox WHERE id = ANY($1::bigint[])",
                               [row["id"] for row in chunk])
            self.published += len(chunk)
        if rows:
            OUTBOX_BACKLOG.set(await conn.fetchval("SELECT count(*) FROM kpi_outbox"))
        return len(rows)
