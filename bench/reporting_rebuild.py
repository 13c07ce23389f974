"""Rebuild of the reporting projection from the real agreements feed, next to its floors.

A generated history of about ``events`` events is stored in a fresh agreements database
(through the store's own ``append_events``, hash chain included), and the agreements
service runs as a process of its own (``python -m services.agreements``, no messaging),
as in production. Measured in one run, events/s:

- floor, PostgreSQL: the feed's query read with asyncpg, pages of 1000 rows;
- floor, HTTP feed: ``GET /events`` pages of the service, as a JSON list (the default
  encoding) and newline-delimited (``Accept: application/x-ndjson``, encoded by the
  database, what the rebuild reads): parsed, and decoded with the contract (what any
  consumer must do), the ceiling of a replay through the feed;
- the system: ``services.reporting.application.rebuild`` into a fresh reporting database, switch
  included.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any
from uuid import uuid4

import httpx

from contracts.codec import decode
from plumbing.db import Pool, drop_database
from plumbing.ledger import canonical, event_hash
from plumbing.settings import load_settings
from services.agreements.adapters.database import open_database as open_agreements
from services.agreements.settings import AgreementsSettings
from services.reporting.adapters.database import open_database as open_reporting
from services.reporting.application.projection import Projection
from services.reporting.application.rebuild import Rebuilder
from services.reporting.settings import ReportingSettings
from tests.auth import auth_headers, token
from tests.integration.reporting.histories import History, generate
from tests.integration.reporting.support import TODAY

EVENTS_PER_AGREEMENT = 6.13
"""About how many events a generated agreement has."""
PAGE = 1000
FEED_QUERY = ("SELECT position, event_id, stream_id, version, type, data, metadata, "
              "occurred_at, prev_hash, hash FROM events WHERE position > $1 AND tx_id < "
              "pg_snapshot_xmin(pg_current_snapshot()) ORDER BY position LIMIT $2")


def history_of(events: int, seed: int = 20210218) -> History:
    """A generated history of about ``events`` events."""
    return generate(seed, max(1, round(events / EVENTS_PER_AGREEMENT)))


def _append_args(history: History) -> list[tuple[object, ...]]:
    hashes: dict[str, str | None] = {}
    rows: list[tuple[object, ...]] = []
    for event in history.events:
        envelope = event.envelope
        stream, version = str(envelope.subject), int(envelope.sequence or 0)
        data, metadata = envelope.data, {"command_id": f"bench-{envelope.id}"}
        occurred = envelope.time
        assert occurred is not None
        previous = hashes.get(stream)
        digest = event_hash(previous, event_id=envelope.id, stream_id=stream, version=version,
                            type=envelope.type, data=data, metadata=metadata,
                            occurred_at=occurred)
        hashes[stream] = digest
        rows.append((stream, version - 1, [envelope.id], [envelope.type], [canonical(data)],
                     [canonical(metadata)], occurred, previous, [digest]))
    return rows


async def store(pool: Pool, history: History, workers: int = 8) -> None:
    """Append every event of the history as the service would have: one transaction per
    event, streams spread over ``workers`` connections, each stream in version order."""
    shares: list[list[tuple[object, ...]]] = [[] for _ in range(workers)]
    for row in _append_args(history):
        shares[hash(row[0]) % workers].append(row)

    async def append(rows: list[tuple[object, ...]]) -> None:
        async with pool.acquire() as conn:
            await conn.execute("SET synchronous_commit = off")  # the setup, not measured
            for row in rows:
                await conn.fetchval("SELECT append_events($1, $2, $3, $4, $5::jsonb[],"
                                    " $6::jsonb[], $7, $8, $9)", *row)

    await asyncio.gather(*(append(share) for share in shares))


@asynccontextmanager
async def agreements_process(database_url: str, amqp_url: str,
                             management_url: str) -> AsyncIterator[str]:
    """The agreements service as a process of its own; its base URL."""
    port = 20000 + int(uuid4().int % 20000)
    env = {**os.environ, "KERJASAMA_AGREEMENTS_DATABASE_URL": database_url,
           "KERJASAMA_AGREEMENTS_PORT": str(port), "KERJASAMA_AGREEMENTS_MESSAGING": "false",
           "KERJASAMA_AMQP_URL": amqp_url, "KERJASAMA_RABBITMQ_MANAGEMENT_URL": management_url,
           "KERJASAMA_LOG_LEVEL": "WARNING"}
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "services.agreements",
                                                   env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(headers=auth_headers(), base_url=url) as client:
            for _ in range(300):
                try:
                    if (await client.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError("the agreements service did not start")
        yield url
    finally:
        process.terminate()
        await process.wait()


async def read_floor(pool: Pool) -> float:
    """Rows/s of the feed's query, pages of 1000, with asyncpg."""
    started, after, count = time.perf_counter(), 0, 0
    while rows := await pool.fetch(FEED_QUERY, after, PAGE):
        after, count = rows[-1]["position"], count + len(rows)
    return count / (time.perf_counter() - started)


async def feed_floor(url: str, *, ndjson: bool, decoded: bool) -> float:
    """Events/s of ``GET /events`` pages, as a JSON list or newline-delimited: parsed, or
    decoded with the contract (what any consumer must do)."""
    headers = {"accept": "application/x-ndjson"} if ndjson else {}
    async with httpx.AsyncClient(headers=auth_headers(), base_url=url, timeout=60) as client:
        started, after, count = time.perf_counter(), 0, 0
        while True:
            response = await client.get("/events", params={"after": after, "limit": PAGE},
                                        headers=headers)
            items: list[Any] = ([line for line in response.content.splitlines() if line]
                                if ndjson else response.json())
            if not items:
                break
            if decoded:
                after = decode(items[-1]).envelope.position or after
                count += len([decode(item) for item in items])
            else:
                after = (json.loads(items[-1]) if ndjson else items[-1])["position"]
                count += len([json.loads(item) for item in items] if ndjson else items)
    return count / (time.perf_counter() - started)


AS_OF_ROUNDS = 7


async def _milliseconds(call: Callable[[], Awaitable[object]]) -> float:
    """The median wall time of a call, in milliseconds."""
    times = []
    for _ in range(AS_OF_ROUNDS):
        started = time.perf_counter()
        await call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


async def record_latency(pool: Pool, client: Any, last: int) -> dict[str, float]:
    """Median milliseconds of figures as of a point (one year, mid-feed and at the end),
    their evidence and a figure's history, over the rebuilt history of the record."""
    from contracts.kpi import Indicator
    from services.reporting.application.record import RecordQueries
    from services.reporting.domain.evaluation import KpiRules
    from services.reporting.domain.figures import FigureKey

    record = RecordQueries(pool, client.feed, KpiRules(), today=lambda: TODAY)
    key = FigureKey(Indicator.REALIZATION, 2021, "province")
    return {
        "as_of_position_mid_ms": await _milliseconds(
            lambda: record.figures(2021, position=last // 2)),
        "as_of_position_end_ms": await _milliseconds(
            lambda: record.figures(2021, position=last)),
        "evidence_ms": await _milliseconds(lambda: record.evidence(key, position=last)),
        "history_ms": await _milliseconds(lambda: record.history(key)),
    }


async def rebuild(url: str, reporting_url: str, amqp_url: str, management_url: str,
                  latencies: dict[str, float] | None = None) -> float:
    """Events/s of the rebuild from the service's feed, switch included (and, into
    ``latencies``, those of the queries for a point of the record)."""
    from plumbing.agreements_client import AgreementsClient

    settings = load_settings(ReportingSettings, reporting_database_url=reporting_url,
                             amqp_url=amqp_url, rabbitmq_management_url=management_url,
                             agreements_url=url)
    pool = await open_reporting(settings)
    client = AgreementsClient(url, timeout=60, token=token("reporting"))
    try:
        report = await Rebuilder(pool, client, Projection(), today=lambda: TODAY).run()
        if latencies is not None:
            async with pool.acquire() as conn:
                last = int(await conn.fetchval(
                    f"SELECT max(position) FROM {report.schema}.inbox_events"))
            latencies.update(await record_latency(pool, client, last))
    finally:
        await client.aclose()
        await pool.close()
    return report.events_per_second


async def measure(events: int, base: str, amqp_url: str, management_url: str,
                  latencies: dict[str, float] | None = None
                  ) -> tuple[int, list[tuple[str, float]]]:
    """(events stored, [(measure, events/s)]) of one run on fresh databases (and, into
    ``latencies``, the milliseconds of the queries for a point of the record)."""
    history = history_of(events)
    name = uuid4().hex[:8]
    agreements_url = f"{base}/kerjasama_bench_{name}_agreements"
    reporting_url = f"{base}/kerjasama_bench_{name}_rebuild"
    pool = await open_agreements(load_settings(
        AgreementsSettings, agreements_database_url=agreements_url, messaging=False,
        database_pool_size=10))
    try:
        started = time.perf_counter()
        await store(pool, history)
        print(f"stored {len(history.events)} events in {time.perf_counter() - started:.0f} s",
              file=sys.stderr)
        async with agreements_process(agreements_url, amqp_url, management_url) as url:
            rows = [("raw floor: feed query, asyncpg, pages of 1000", await read_floor(pool)),
                    ("raw floor: GET /events JSON list, parsed", await feed_floor(
                        url, ndjson=False, decoded=False)),
                    ("raw floor: GET /events NDJSON, parsed", await feed_floor(
                        url, ndjson=True, decoded=False)),
                    ("raw floor: GET /events NDJSON, decoded (contract)", await feed_floor(
                        url, ndjson=True, decoded=True)),
                    ("rebuild: feed -> new generation, switch", await rebuild(
                        url, reporting_url, amqp_url, management_url, latencies))]
    finally:
        await pool.close()
        await drop_database(agreements_url)
        await drop_database(reporting_url)
    return len(history.events), rows
