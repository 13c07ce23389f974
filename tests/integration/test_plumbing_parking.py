"""Parked streams in the inbox (plumbing.parking): a parked stream's later events are kept,
never applied and never gap-filled; other streams go on; a replay applies them in order and
the stream is released only when none is left."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from plumbing import inbox
from plumbing.db import Conn, Pool, create_pool
from plumbing.inbox import Outcome, handle, handle_many_in_transaction
from plumbing.parking import ParkedMessage, Parking, in_transaction
from tests.conftest import DatabaseUrlFactory
from tests.integration.test_plumbing_inbox import TOY_SCHEMA, Source, apply_toy, projection


@pytest.fixture
async def inbox_pool(database_url_factory: DatabaseUrlFactory) -> AsyncIterator[Pool]:
    pool = await create_pool(await database_url_factory("parking"), min_size=1, max_size=4)
    await inbox.install(pool)
    await pool.execute(TOY_SCHEMA)
    yield pool
    await pool.close()


async def test_a_parked_streams_events_wait_and_a_replay_applies_them_in_order(
        inbox_pool: Pool) -> None:
    source = Source(streams=2, length=4)
    parked_stream, other = source.events
    first, *later = [replace(e, body=f"v{e.version}".encode())
                     for e in source.events[parked_stream]]
    changes: list[str] = []

    async def on_change(conn: Conn) -> None:
        changes.append(str(await conn.fetchval("SELECT count(*) FROM parked_streams")))

    parking = Parking(in_transaction(inbox_pool), "toy.events", on_change=on_change)
    assert await parking.park(ParkedMessage(first.event_id, parked_stream, 1, first.position,
                                            b"v1", "toy"), "handler-error: boom")
    assert not await parking.park(ParkedMessage(first.event_id, parked_stream, 1,
                                                first.position, b"v1", "toy"), "again")
    for event in reversed(later):  # a gap would be filled were the stream not parked
        assert await handle(inbox_pool, event, apply_toy, source.fetch_missing) \
            == Outcome.PARKED
    async with inbox_pool.acquire() as conn, conn.transaction():
        outcomes = await handle_many_in_transaction(
            conn, source.events[other], lambda c, es: _apply_all(c, es), source.fetch_missing)
    assert outcomes == [Outcome.APPLIED] * 4
    assert source.fetches == []
    assert parked_stream not in await projection(inbox_pool)
    [listed] = [p for p in await parking.parked() if p.stream_id == parked_stream]
    assert (listed.waiting, listed.version, listed.reason) == (4, 1, "handler-error: boom")
    assert changes == ["1"]

    waiting = await parking.waiting(parked_stream)
    assert [body for _, body in waiting] == [b"v1", b"v2", b"v3", b"v4"]
    assert not await parking.release(parked_stream)  # messages still wait
    by_body = {f"v{e.version}".encode(): e for e in source.events[parked_stream]}
    for row_id, body in waiting:
        event = replace(by_body[body], replay=True)
        assert await handle(inbox_pool, event, apply_toy, source.fetch_missing) \
            == Outcome.APPLIED
        await parking.forget(row_id)
    assert await parking.release(parked_stream)
    assert changes == ["1", "0"]
    assert (await projection(inbox_pool))[parked_stream][0] == [1, 2, 3, 4]
    assert not await parking.is_parked(parked_stream)


async def _apply_all(conn: Conn, events: list) -> None:  # type: ignore[type-arg]
    for event in events:
        await apply_toy(conn, event)
