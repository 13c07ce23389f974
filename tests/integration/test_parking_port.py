"""One suite for both implementations of the parked-streams port: the PostgreSQL store the
consumers run on and the in-memory twin the consumer's unit tests use."""

from __future__ import annotations

from collections.abc import AsyncIterator
from uuid import uuid4

import pytest

from plumbing import inbox
from plumbing.db import create_pool
from plumbing.parking import (
    InMemoryParking,
    ParkedMessage,
    Parking,
    StreamParking,
    in_transaction,
)
from tests.conftest import DatabaseUrlFactory


@pytest.fixture(params=["postgresql", "memory"])
async def parking(request: pytest.FixtureRequest,
                  database_url_factory: DatabaseUrlFactory) -> AsyncIterator[StreamParking]:
    if request.param == "memory":
        yield InMemoryParking("port.events")
        return
    pool = await create_pool(await database_url_factory("parkport"), min_size=1, max_size=2)
    await inbox.install(pool)
    yield Parking(in_transaction(pool), "port.events")
    await pool.close()


def message(stream: str, version: int | None, body: bytes) -> ParkedMessage:
    return ParkedMessage(uuid4(), stream, version, version, body, "toy")


async def test_a_stream_is_parked_once_and_its_messages_wait_in_version_order(
        parking: StreamParking) -> None:
    first = message("s-1", 2, b"v2")
    assert await parking.park(first, "handler-error: boom")
    assert not await parking.park(first, "again")  # the same event is kept once
    assert not await parking.park(message("s-1", 4, b"v4"), "later")
    assert not await parking.park(message("s-1", 3, b"v3"), "later")
    await parking.park(message("s-2", None, b"x"), "not-json: body")

    assert await parking.is_parked("s-1") and not await parking.is_parked("s-3")
    listed = {p.stream_id: p for p in await parking.parked()}
    assert (listed["s-1"].reason, listed["s-1"].version, listed["s-1"].waiting) == (
        "handler-error: boom", 2, 3)
    assert listed["s-2"].version is None and listed["s-2"].waiting == 1
    assert [body for _, body in await parking.waiting("s-1")] == [b"v2", b"v3", b"v4"]


async def test_a_stream_is_released_only_when_no_message_waits(parking: StreamParking) -> None:
    await parking.park(message("s-1", 1, b"v1"), "boom")
    await parking.park(message("s-1", 2, b"v2"), "boom")
    [(first_row, _), (second_row, _)] = await parking.waiting("s-1")
    await parking.forget(first_row)
    assert not await parking.release("s-1")
    await parking.still_failing("s-1", "handler-error: still")
    [listed] = await parking.parked()
    assert listed.reason == "handler-error: still" and listed.retried_at is not None
    await parking.forget(second_row)
    assert await parking.release("s-1")
    assert not await parking.is_parked("s-1") and await parking.parked() == []
    assert not await parking.release("s-1")
