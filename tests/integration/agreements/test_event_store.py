"""The event store: append-only, and a feed that never skips a slow writer."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from uuid import uuid4

import asyncpg
import pytest

from plumbing.db import Pool
from plumbing.settings import load_settings
from services.agreements.adapters import event_store
from services.agreements.adapters.database import open_database
from services.agreements.adapters.event_store import NewEvent
from services.agreements.settings import AgreementsSettings
from tests.waiting import read_until


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Pool]:
    pool = await open_database(load_settings(AgreementsSettings,
                                             agreements_database_url=database_url))
    yield pool
    await pool.close()


NOW = datetime.now(UTC)


def _event(n: int = 0) -> NewEvent:
    return NewEvent(uuid4(), "kerjasama.test.happened.v1", {"n": n}, {"actor": "test"}, NOW)


async def _append(pool: Pool, stream: str, version: int = 0) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await event_store.append(conn, stream, version, None, [_event()])


async def test_a_reader_paging_by_position_never_skips_a_slow_writer(store: Pool) -> None:
    await _append(store, "before")
    seen = [e.position for e in await event_store.read_feed(store, 0, 100)]
    assert len(seen) == 1

    slow = await store.acquire()
    tx = slow.transaction()
    await tx.start()
    await event_store.append(slow, "slow", 0, None, [_event()])  # holds a lower position
    for i in range(3):
        await _append(store, f"fast-{i}")
    # the fast writers committed after the slow one took its position: hold them back
    assert await event_store.read_feed(store, seen[-1], 100) == []
    await tx.commit()
    await store.release(slow)

    page = await read_until(lambda: event_store.read_feed(store, seen[-1], 100),
                            lambda p: len(p) == 4)
    assert [e.stream_id for e in page] == ["slow", "fast-0", "fast-1", "fast-2"]
    assert [e.position for e in page] == sorted(e.position for e in page)


async def test_concurrent_writers_with_slow_commits_are_all_seen_in_order(store: Pool) -> None:
    async def writer(i: int) -> None:
        async with store.acquire() as conn, conn.transaction():
            await event_store.append(conn, f"w-{i}", 0, None, [_event(i), _event(i)])
            await asyncio.sleep(random.uniform(0, 0.05))
            if i % 7 == 0:
                raise RuntimeError("rolled back on purpose")  # leaves a hole

    collected: list[int] = []
    done = asyncio.Event()

    async def reader() -> None:
        while True:
            finished = done.is_set()
            after = collected[-1] if collected else 0
            collected.extend(e.position for e in await event_store.read_feed(store, after, 7))
            if finished and not await event_store.read_feed(store, collected[-1], 1):
                return
            await asyncio.sleep(0.001)

    reading = asyncio.create_task(reader())
    await asyncio.gather(*(writer(i) for i in range(60)), return_exceptions=True)
    done.set()
    await reading
    everything = [r[0] for r in await store.fetch("SELECT position FROM events ORDER BY 1")]
    assert collected == everything
    assert len(everything) == 2 * len([i for i in range(60) if i % 7])


async def test_reserving_positions_after_another_write_is_refused(store: Pool) -> None:
    async with store.acquire() as conn:
        with pytest.raises(asyncpg.PostgresError, match="first write"):
            async with conn.transaction():
                await conn.execute("CREATE TEMP TABLE t (x int)")
                await event_store.append(conn, "late", 0, None, [_event()])


@pytest.mark.parametrize("statement", [
    "UPDATE events SET type = 'x'",
    "DELETE FROM events",
    "TRUNCATE events CASCADE",
])
async def test_the_database_refuses_changing_stored_events(store: Pool, statement: str) -> None:
    await _append(store, "kept")
    with pytest.raises(asyncpg.PostgresError, match="append-only"):
        await store.execute(statement)
    assert await store.fetchval("SELECT count(*) FROM events") == 1


async def test_each_event_links_to_the_previous_hash_of_its_stream(store: Pool) -> None:
    async with store.acquire() as conn, conn.transaction():
        first = await event_store.append(conn, "chain", 0, None, [_event(1), _event(2)])
    async with store.acquire() as conn, conn.transaction():
        second = await event_store.append(conn, "chain", 2, first[-1].hash, [_event(3)])
    stream = await event_store.read_stream(store, "chain")
    assert [e.prev_hash for e in stream] == [None, first[0].hash, first[1].hash]
    assert stream[-1].hash == second[0].hash
    for previous, event in zip([None, *stream], stream, strict=False):
        assert event.hash == event_store.event_hash(
            previous.hash if previous else None, event_id=event.event_id,
            stream_id=event.stream_id, version=event.version, type=event.type,
            data=event.data, metadata=event.metadata, occurred_at=event.occurred_at)


async def test_appending_at_a_stale_version_is_a_conflict(store: Pool) -> None:
    await _append(store, "race")
    with pytest.raises(event_store.ConcurrencyConflict):
        await _append(store, "race", 0)
