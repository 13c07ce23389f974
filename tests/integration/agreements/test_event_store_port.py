"""One suite for both event stores: the PostgreSQL store the service runs on and the
in-memory twin the use-case tests run on keep the same guarantees.

What only PostgreSQL can show (a slow committer never skipped by the feed, the trigger
that refuses changes, the runtime role) stays in test_event_store.py and its siblings.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from uuid import uuid4

import pytest

from plumbing.ledger import event_hash
from plumbing.settings import load_settings
from services.agreements.adapters.database import open_database
from services.agreements.adapters.event_store import (
    CommandWrite,
    ConcurrencyConflict,
    DuplicateCommand,
    EventStore,
    NewEvent,
    PostgresEventStore,
)
from services.agreements.adapters.memory_store import InMemoryEventStore
from services.agreements.settings import AgreementsSettings
from tests.conftest import DatabaseUrlFactory

NOW = datetime(2021, 2, 18, 3, 0, tzinfo=UTC)


@pytest.fixture(params=["postgresql", "memory"])
async def store(request: pytest.FixtureRequest,
                database_url_factory: DatabaseUrlFactory) -> AsyncIterator[EventStore]:
    if request.param == "memory":
        yield InMemoryEventStore()
        return
    database_url = await database_url_factory("storeport")
    pool = await open_database(load_settings(AgreementsSettings,
                                             agreements_database_url=database_url))
    yield PostgresEventStore(pool)
    await pool.close()


def new(n: int, **data: object) -> NewEvent:
    return NewEvent(uuid4(), "kerjasama.test.happened.v1", {"n": n, **data},
                    {"actor": "tester", "command_id": f"c-{n}"}, NOW)


def write(command: str, stage: str = "PROPOSED") -> CommandWrite:
    return CommandWrite(command, f"hash-{command}", stage)


async def test_a_stream_reads_back_in_version_order_with_its_hash_chain(
        store: EventStore) -> None:
    first = await store.append_command("s-1", 0, None, [new(1), new(2)], write("a"))
    second = await store.append_command("s-1", 2, first[-1].hash, [new(3, note="ä ü")],
                                        write("b"))
    stream = await store.read_stream("s-1")
    assert [e.version for e in stream] == [1, 2, 3]
    assert stream == [*first, *second]
    assert stream[2].data == {"n": 3, "note": "ä ü"}
    assert [e.prev_hash for e in stream] == [None, stream[0].hash, stream[1].hash]
    for e in stream:
        assert e.hash == event_hash(e.prev_hash, event_id=e.event_id, stream_id="s-1",
                                    version=e.version, type=e.type, data=e.data,
                                    metadata=e.metadata, occurred_at=e.occurred_at)
    assert await store.read_stream("s-none") == []


async def test_an_append_after_a_stale_version_conflicts_and_writes_nothing(
        store: EventStore) -> None:
    await store.append_command("s-1", 0, None, [new(1)], write("a"))
    with pytest.raises(ConcurrencyConflict):
        await store.append_command("s-1", 0, None, [new(9)], write("b"))
    assert [e.data["n"] for e in await store.read_stream("s-1")] == [1]
    assert await store.find_command("b") is None


async def test_a_command_key_is_recorded_once_and_its_second_append_writes_nothing(
        store: EventStore) -> None:
    await store.append_command("s-1", 0, None, [new(1)], write("same", "PROPOSED"))
    with pytest.raises(DuplicateCommand):
        await store.append_command("s-2", 0, None, [new(2)], write("same", "PROPOSED"))
    assert await store.read_stream("s-2") == []
    record = await store.find_command("same")
    assert record is not None
    assert (record.stream_id, record.version, record.stage, record.created) == (
        "s-1", 1, "PROPOSED", True)
    await store.append_command("s-1", 1, None, [new(3)], write("next", "IN_REVIEW"))
    later = await store.find_command("next")
    assert later is not None and (later.version, later.created) == (2, False)


async def test_of_concurrent_appends_at_one_version_exactly_one_lands(
        store: EventStore) -> None:
    await store.append_command("s-1", 0, None, [new(0)], write("first"))

    async def attempt(n: int) -> bool:
        try:
            await store.append_command("s-1", 1, None, [new(n)], write(f"w-{n}"))
        except ConcurrencyConflict:
            return False
        return True

    landed = await asyncio.gather(*(attempt(n) for n in range(1, 9)))
    assert sum(landed) == 1
    assert [e.version for e in await store.read_stream("s-1")] == [1, 2]


async def test_the_feed_is_every_event_in_position_order_after_a_position(
        store: EventStore) -> None:
    for n in range(6):
        stream = f"s-{n % 2}"
        version = len(await store.read_stream(stream))
        await store.append_command(stream, version, None, [new(n)], write(f"f-{n}"))
    feed = await store.read_feed(0, 100)
    assert [e.data["n"] for e in feed] == list(range(6))
    positions = [e.position for e in feed]
    assert positions == sorted(positions) and len(set(positions)) == 6
    page = await store.read_feed(positions[1], 3)
    assert [e.data["n"] for e in page] == [2, 3, 4]
    assert await store.read_feed(positions[-1], 10) == []
