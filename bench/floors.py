"""Raw floors of this machine: what PostgreSQL and RabbitMQ do with no service in between.

- insert-and-commit transactions/s with 16 connections (one event-sized row each);
- persistent, confirmed publishes to a quorum queue, consumed in batches whose rows are
  inserted and committed per batch before the batch is acked (messages/s);
- rows/s read from an events-shaped table in position order.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from uuid import uuid4

import aio_pika
import aio_pika.abc

from plumbing.amqp import connect
from plumbing.db import create_pool, drop_database, ensure_database
from plumbing.rabbitadmin import RabbitAdmin
from plumbing.urls import with_vhost

BASE = os.environ.get("KERJASAMA_TEST_POSTGRES_URL",
                      "postgresql://postgres@127.0.0.1:5432/postgres").rsplit("/", 1)[0]
AMQP = os.environ.get("KERJASAMA_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
MANAGEMENT = os.environ.get("KERJASAMA_TEST_RABBITMQ_MANAGEMENT_URL",
                            "http://guest:guest@127.0.0.1:15672")
PAYLOAD = json.dumps({"title": "Galeri UMKM Juara", "kind": "KSDPK", "document_type": "MOU",
                      "partner": {"name": "blibli.com", "category": "THIRD_PARTY",
                                  "country": "ID"}, "lead_opd": "DISKUK",
                      "objective": "Pemasaran produk UMKM", "sector": "Ekonomi",
                      "burdens_budget": False, "plan_year": 2021})
EVENTS_DDL = ("CREATE TABLE events (position bigint PRIMARY KEY, event_id uuid, "
              "stream_id text, version int, type text, data jsonb, metadata jsonb, "
              "occurred_at timestamptz, prev_hash text, hash text)")


async def scratch_database(name: str) -> str:
    """A fresh database for one measurement (drop it with :func:`drop_database`)."""
    url = f"{BASE}/kerjasama_bench_{uuid4().hex[:8]}_{name}"
    await ensure_database(url)
    return url


async def insert_floor(seconds: float, clients: int = 16) -> float:
    """asyncpg insert-and-commit transactions/s."""
    url = await scratch_database("insert")
    pool = await create_pool(url, min_size=clients, max_size=clients)
    try:
        await pool.execute("CREATE TABLE rows (id bigserial PRIMARY KEY, data jsonb)")
        deadline, counts = time.perf_counter() + seconds, [0] * clients

        async def worker(i: int) -> None:
            while time.perf_counter() < deadline:
                await pool.execute("INSERT INTO rows (data) VALUES ($1::jsonb)", PAYLOAD)
                counts[i] += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker(i) for i in range(clients)))
        return sum(counts) / (time.perf_counter() - started)
    finally:
        await pool.close()
        await drop_database(url)


async def broker_floor(messages: int = 20000, batch: int = 100) -> float:
    """Persistent confirmed publish + batched consume-and-commit, messages/s."""
    vhost = f"kerjasama-bench-{uuid4().hex[:8]}"
    url = await scratch_database("broker")
    async with RabbitAdmin(MANAGEMENT) as admin:
        await admin.create_vhost(vhost)
    pool = await create_pool(url, min_size=2, max_size=2)
    try:
        await pool.execute("CREATE TABLE rows (id bigserial PRIMARY KEY, data jsonb)")
        connection = await connect(with_vhost(AMQP, vhost))
        async with connection:
            publish_channel = await connection.channel(publisher_confirms=True)
            consume_channel = await connection.channel()
            await consume_channel.set_qos(prefetch_count=batch * 2)
            queue = await consume_channel.declare_queue(
                "floor", durable=True, arguments={"x-queue-type": "quorum"})
            done = asyncio.Event()
            pending: list[aio_pika.abc.AbstractIncomingMessage] = []
            consumed = [0]
            lock = asyncio.Lock()

            async def flush() -> None:
                async with lock:
                    taken, pending[:] = list(pending), []
                    if not taken:
                        return
                    await pool.executemany("INSERT INTO rows (data) VALUES ($1::jsonb)",
                                           [(m.body.decode(),) for m in taken])
                    await taken[-1].ack(multiple=True)
                    consumed[0] += len(taken)
                    if consumed[0] >= messages:
                        done.set()

            async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
                pending.append(message)
                if len(pending) >= batch or consumed[0] + len(pending) >= messages:
                    await flush()

            started = time.perf_counter()
            await queue.consume(on_message)
            body = PAYLOAD.encode()
            for start in range(0, messages, 500):  # confirms awaited 500 at a time
                await asyncio.gather(*(publish_channel.default_exchange.publish(
                    aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                    "floor") for _ in range(start, min(messages, start + 500))))
            await asyncio.wait_for(done.wait(), 300)
            return messages / (time.perf_counter() - started)
    finally:
        await pool.close()
        await drop_database(url)
        async with RabbitAdmin(MANAGEMENT) as admin:
            await admin.delete_vhost(vhost)


async def read_floor(rows: int = 100000, page: int = 5000) -> float:
    """Rows/s read from an events-shaped table in position order, keyset pages."""
    url = await scratch_database("read")
    pool = await create_pool(url, min_size=1, max_size=2)
    try:
        await pool.execute(EVENTS_DDL)
        await pool.execute(
            "INSERT INTO events SELECT g, gen_random_uuid(), 's' || (g / 5), g % 5 + 1, "
            "'kerjasama.agreement.proposed.v1', $1::jsonb, '{}'::jsonb, now(), NULL, "
            "md5(g::text) FROM generate_series(1, $2) g", PAYLOAD, rows)
        started, after, read = time.perf_counter(), 0, 0
        while batch := await pool.fetch(
                "SELECT * FROM events WHERE position > $1 ORDER BY position LIMIT $2",
                after, page):
            read += len(batch)
            after = batch[-1]["position"]
        return read / (time.perf_counter() - started)
    finally:
        await pool.close()
        await drop_database(url)
