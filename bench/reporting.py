"""Benchmark: events/s from the broker into the KPI projections, and rebuild events/s, next
to raw floors measured in the same run.

Usage: ``.venv/bin/python -m bench.reporting [--agreements 900] [--events 100000]``.

- live: a generated history (``--agreements`` agreements, about 6 events each) is
  published to ``kerjasama.events``; the reporting service consumes ``reporting.events``
  into its projections; events/s from the first publish until the last is applied.
  Floor: the same messages through the same broker, consumed and acked by a bare
  aio-pika consumer, each followed by a one-row insert-and-commit on PostgreSQL.
- rebuild: ``--events`` events stored in the agreements service (a process of its own)
  replayed from its feed into a new generation and switched; floors: the feed's query with
  asyncpg, and ``GET /events`` read as a JSON list and newline-delimited, parsed and
  decoded (:mod:`bench.reporting_rebuild`).

Each run uses its own vhost and databases, removed afterwards. Prints a table; asserts
nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from uuid import uuid4

from contracts import topology
from plumbing import clock
from plumbing.amqp import connect
from plumbing.db import create_pool, drop_database, ensure_database
from plumbing.rabbitadmin import RabbitAdmin
from plumbing.settings import load_settings
from plumbing.topology import declare_all
from plumbing.urls import with_vhost
from services.reporting.app import Reporting
from services.reporting.settings import ReportingSettings
from tests.integration.reporting.histories import History, generate
from tests.integration.reporting.support import (
    TODAY,
    HistoryFeed,
    publish_all,
    wait_applied,
)

from . import reporting_rebuild

BASE = os.environ.get("KERJASAMA_TEST_POSTGRES_URL",
                      "postgresql://postgres@127.0.0.1:5432/postgres").rsplit("/", 1)[0]
AMQP = os.environ.get("KERJASAMA_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
MANAGEMENT = os.environ.get("KERJASAMA_TEST_RABBITMQ_MANAGEMENT_URL",
                            "http://guest:guest@127.0.0.1:15672")


async def _database(name: str) -> str:
    url = f"{BASE}/kerjasama_bench_{uuid4().hex[:8]}_{name}"
    await ensure_database(url)
    return url


async def live_floor(amqp_url: str, history: History) -> float:
    """Messages/s: publish, consume with a bare consumer, one insert+commit each."""
    url = await _database("floor")
    pool = await create_pool(url, min_size=1, max_size=2)
    try:
        await pool.execute("CREATE TABLE rows (id uuid PRIMARY KEY, body bytea)")
        started = time.perf_counter()
        await publish_all(amqp_url, history.events)
        connection = await connect(amqp_url)
        async with connection:
            channel = await connection.channel()
            await channel.set_qos(prefetch_count=64)
            queue = await channel.get_queue(topology.REPORTING_EVENTS, ensure=False)
            done = asyncio.Event()
            count = 0

            async def on_message(message: object) -> None:
                nonlocal count
                body = getattr(message, "body")  # noqa: B009
                await pool.execute("INSERT INTO rows VALUES ($1, $2)", uuid4(), body)
                await getattr(message, "ack")()  # noqa: B009
                count += 1
                if count == len(history.events):
                    done.set()

            await queue.consume(on_message)  # type: ignore[arg-type]
            await done.wait()
        return len(history.events) / (time.perf_counter() - started)
    finally:
        await pool.close()
        await drop_database(url)


async def live(amqp_url: str, history: History) -> tuple[float, Reporting, str]:
    """Events/s from the first publish until the reporting service applied them all."""
    url = await _database("reporting")
    feed = HistoryFeed(history, stored=len(history.events))
    settings = load_settings(ReportingSettings, reporting_database_url=url, amqp_url=amqp_url,
                             rabbitmq_management_url=MANAGEMENT, refresh_seconds=3600,
                             refresh_after_events_seconds=3600, prefetch=64)
    reporting = Reporting(settings, feed.client)
    await reporting.start()
    started = time.perf_counter()
    await publish_all(amqp_url, history.events)
    await wait_applied(reporting, len(history.events), seconds=600)
    return len(history.events) / (time.perf_counter() - started), reporting, url


async def live_apply(agreements: int = 900) -> float:
    """Reporting's live apply alone (events/s), on a vhost of its own."""
    history = generate(20210218, agreements)
    vhost = f"kerjasama-bench-{uuid4().hex[:8]}"
    async with RabbitAdmin(MANAGEMENT) as admin:
        await admin.create_vhost(vhost)
        try:
            url = with_vhost(AMQP, vhost)
            await declare_all(url, MANAGEMENT)
            with clock.frozen(TODAY):
                rate, reporting, db = await live(url, history)
                await reporting.stop()
                await drop_database(db)
        finally:
            await admin.delete_vhost(vhost)
    return rate


async def main(agreements: int, events: int) -> None:
    """Measure and print."""
    history = generate(20210218, agreements)
    vhosts = [f"kerjasama-bench-{uuid4().hex[:8]}" for _ in range(2)]
    async with RabbitAdmin(MANAGEMENT) as admin:
        for vhost in vhosts:
            await admin.create_vhost(vhost)
        urls = [with_vhost(AMQP, v) for v in vhosts]
        for url in urls:
            await declare_all(url, MANAGEMENT)
        try:
            with clock.frozen(TODAY):
                floor = await live_floor(urls[0], history)
                rate, reporting, db = await live(urls[1], history)
                await reporting.stop()
                await drop_database(db)
                stored, rebuild_rows = await reporting_rebuild.measure(
                    events, BASE, urls[1], MANAGEMENT)
        finally:
            for vhost in vhosts:
                await admin.delete_vhost(vhost)
    print(f"live: {len(history.events)} events of {agreements} agreements; "
          f"rebuild: {stored} stored events")
    print(f"{'measure':<54} {'events/s':>10}")
    for name, value in [("raw floor: broker -> bare consumer + insert/commit", floor),
                        ("live: broker -> reporting projections", rate), *rebuild_rows]:
        print(f"{name:<54} {value:>10.0f}")
    print(f"{'ratio live / broker floor':<54} {rate / floor:>10.2f}")
    for name, value in rebuild_rows[:-1]:
        print(f"{'ratio rebuild / ' + name.removeprefix('raw floor: '):<54} "
              f"{rebuild_rows[-1][1] / value:>10.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--agreements", type=int, default=900,
                        help="agreements of the live history (about 6 events each)")
    parser.add_argument("--events", type=int, default=100_000,
                        help="events stored in the agreements service for the rebuild")
    args = parser.parse_args()
    asyncio.run(main(args.agreements, args.events))
