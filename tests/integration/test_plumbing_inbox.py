"""The idempotent consumer: duplicates skipped, gaps filled, streams serialized."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plumbing import inbox
from plumbing.db import Conn, Pool, create_pool
from plumbing.inbox import GapNotFilled, InboxEvent, Outcome, handle
from plumbing.retry import transient_retrying
from tests.conftest import DatabaseUrlFactory

TOY_SCHEMA = """
CREATE TABLE toy_projection (
    stream_id text PRIMARY KEY,
    versions int[] NOT NULL,
    total bigint NOT NULL
);
"""


class Source:
    """The stream of events as the agreements service would serve them."""

    def __init__(self, streams: int = 1, length: int = 5) -> None:
        self.events: dict[str, list[InboxEvent]] = {}
        position = 0
        for _ in range(streams):
            stream = f"agreement-{uuid.uuid4()}"
            self.events[stream] = []
            for version in range(1, length + 1):
                position += 1
                self.events[stream].append(
                    InboxEvent(uuid.uuid4(), stream, version, position, {"amount": version * 10})
                )
        self.fetches: list[tuple[str, int, int]] = []

    @property
    def in_order(self) -> list[InboxEvent]:
        return [e for events in self.events.values() for e in events]

    async def fetch_missing(self, stream: str, first: int, last: int) -> list[InboxEvent]:
        self.fetches.append((stream, first, last))
        return [e for e in self.events[stream] if first <= e.version <= last]


async def apply_toy(conn: Conn, event: InboxEvent) -> None:
    """Append the version; a reordering or double apply shows in ``versions``."""
    await conn.execute(
        "INSERT INTO toy_projection (stream_id, versions, total) VALUES ($1, ARRAY[$2::int], $3)"
        " ON CONFLICT (stream_id) DO UPDATE SET versions = toy_projection.versions || $2::int,"
        " total = toy_projection.total + $3",
        event.stream_id, event.version, event.payload["amount"],
    )


async def projection(pool: Pool) -> dict[str, tuple[list[int], int]]:
    rows = await pool.fetch("SELECT stream_id, versions, total FROM toy_projection")
    return {r["stream_id"]: (list(r["versions"]), r["total"]) for r in rows}


def expected(source: Source) -> dict[str, tuple[list[int], int]]:
    return {s: ([e.version for e in es], sum(e.payload["amount"] for e in es))
            for s, es in source.events.items()}


@pytest.fixture(scope="module")
async def inbox_database_url(database_url_factory: DatabaseUrlFactory) -> str:
    return await database_url_factory("inbox")


@pytest.fixture(scope="module")
async def inbox_pool(inbox_database_url: str) -> AsyncIterator[Pool]:
    pool = await create_pool(inbox_database_url, min_size=2, max_size=12)
    await inbox.install(pool)
    await pool.execute(TOY_SCHEMA)
    yield pool
    await pool.close()


async def test_in_order_events_are_applied(inbox_pool: Pool) -> None:
    source = Source(length=3)
    for event in source.in_order:
        assert await handle(inbox_pool, event, apply_toy, source.fetch_missing) == Outcome.APPLIED
    assert (await projection(inbox_pool)).items() >= expected(source).items()
    assert source.fetches == []
    stream = next(iter(source.events))
    assert await inbox_pool.fetchval(
        "SELECT last_version FROM inbox_streams WHERE stream_id = $1", stream) == 3


async def test_a_duplicate_is_skipped(inbox_pool: Pool) -> None:
    source = Source(length=2)
    first, second = source.in_order
    await handle(inbox_pool, first, apply_toy, source.fetch_missing)
    await handle(inbox_pool, second, apply_toy, source.fetch_missing)
    assert await handle(inbox_pool, first, apply_toy, source.fetch_missing) == Outcome.DUPLICATE
    assert await handle(inbox_pool, second, apply_toy, source.fetch_missing) == Outcome.DUPLICATE
    redelivered_under_new_id = InboxEvent(uuid.uuid4(), first.stream_id, 1, 1, first.payload)
    assert await handle(inbox_pool, redelivered_under_new_id, apply_toy,
                        source.fetch_missing) == Outcome.DUPLICATE
    assert (await projection(inbox_pool))[first.stream_id] == ([1, 2], 30)


async def test_a_gap_is_filled_in_order_from_the_source(inbox_pool: Pool) -> None:
    source = Source(length=5)
    events = source.in_order
    stream = events[0].stream_id
    await handle(inbox_pool, events[0], apply_toy, source.fetch_missing)
    outcome = await handle(inbox_pool, events[3], apply_toy, source.fetch_missing)
    assert outcome == Outcome.APPLIED_WITH_GAP_FILLED
    assert source.fetches == [(stream, 2, 3)]
    assert (await projection(inbox_pool))[stream] == ([1, 2, 3, 4], 100)
    for late in (events[1], events[2]):
        assert await handle(inbox_pool, late, apply_toy, source.fetch_missing) == Outcome.DUPLICATE
    assert await handle(inbox_pool, events[4], apply_toy, source.fetch_missing) == Outcome.APPLIED
    assert (await projection(inbox_pool))[stream] == ([1, 2, 3, 4, 5], 150)


async def test_an_unfilled_gap_changes_nothing(inbox_pool: Pool) -> None:
    source = Source(length=3)
    events = source.in_order

    async def fetch_incomplete(stream: str, first: int, last: int) -> list[InboxEvent]:
        return [e for e in source.events[stream] if e.version == 2]

    with pytest.raises(GapNotFilled, match=r"versions \[1\] are missing"):
        await handle(inbox_pool, events[2], apply_toy, fetch_incomplete)
    assert events[0].stream_id not in await projection(inbox_pool)
    assert await inbox_pool.fetchval(
        "SELECT count(*) FROM inbox_events WHERE stream_id = $1", events[0].stream_id) == 0


async def test_a_failed_apply_rolls_back_and_a_retry_applies_once(inbox_pool: Pool) -> None:
    source = Source(length=3)
    events = source.in_order
    failures = [httpx.ConnectError("agreements service down")]

    async def flaky_fetch(stream: str, first: int, last: int) -> list[InboxEvent]:
        if failures:
            raise failures.pop()
        return await source.fetch_missing(stream, first, last)

    await handle(inbox_pool, events[0], apply_toy, source.fetch_missing)
    outcome = await transient_retrying(5.0, first_delay=0.01)(
        handle, inbox_pool, events[2], apply_toy, flaky_fetch)
    assert outcome == Outcome.APPLIED_WITH_GAP_FILLED
    assert (await projection(inbox_pool))[events[0].stream_id] == ([1, 2, 3], 60)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
async def test_shuffled_and_duplicated_deliveries_give_the_in_order_state(
    inbox_pool: Pool, data: st.DataObject
) -> None:
    source = Source(streams=3, length=6)
    deliveries = data.draw(
        st.lists(st.sampled_from(source.in_order), min_size=1, max_size=40), label="extra"
    )
    deliveries = data.draw(st.permutations(source.in_order + deliveries), label="deliveries")
    for event in deliveries:
        await handle(inbox_pool, event, apply_toy, source.fetch_missing)
    state = await projection(inbox_pool)
    assert {s: state[s] for s in source.events} == expected(source)


async def test_concurrent_handlers_of_one_stream_are_serialized(
    inbox_pool: Pool, inbox_database_url: str
) -> None:
    # Two "replicas", each with its own pool, get every event of a stream twice,
    # shuffled, all at once.
    source = Source(streams=2, length=15)
    other = await create_pool(inbox_database_url, min_size=1, max_size=10)

    async def slow_apply(conn: Conn, event: InboxEvent) -> None:
        await asyncio.sleep(random.random() * 0.01)
        await apply_toy(conn, event)

    deliveries = source.in_order * 2
    random.Random(7).shuffle(deliveries)
    try:
        outcomes = await asyncio.gather(*(
            handle(inbox_pool if i % 2 else other, e, slow_apply, source.fetch_missing)
            for i, e in enumerate(deliveries)
        ))
    finally:
        await other.close()
    state = await projection(inbox_pool)
    assert {s: state[s] for s in source.events} == expected(source)
    applied_directly = sum(o != Outcome.DUPLICATE for o in outcomes)
    assert 2 <= applied_directly <= len(source.in_order)
    assert await inbox_pool.fetchval(
        "SELECT count(*) FROM inbox_events WHERE stream_id = ANY($1)", list(source.events)
    ) == len(source.in_order)
