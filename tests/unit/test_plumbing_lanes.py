"""Lanes of a consumer: one stream's events one after another, in the order they came;
different streams at the same time."""

from __future__ import annotations

import asyncio
import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from plumbing.lanes import DeliveryOrder, Lanes


@settings(max_examples=50, deadline=None)
@given(st.lists(st.sampled_from("abcd"), min_size=1, max_size=40), st.randoms())
def test_each_key_runs_in_arrival_order_and_alone(keys: list[str], rnd: random.Random) -> None:
    async def scenario() -> None:
        lanes = Lanes()
        done: list[tuple[str, int]] = []
        inside: dict[str, int] = {}
        overlapped = False

        async def work(key: str, n: int) -> None:
            nonlocal overlapped
            async with lanes.place(key):
                inside[key] = inside.get(key, 0) + 1
                assert inside[key] == 1, "two at once in one lane"
                running = sum(1 for v in inside.values() if v)
                overlapped = overlapped or running > 1
                await asyncio.sleep(rnd.random() / 500)  # handlers take varying time
                done.append((key, n))
                inside[key] -= 1

        await asyncio.gather(*(work(key, n) for n, key in enumerate(keys)))
        for key in set(keys):
            assert [n for k, n in done if k == key] == [n for n, k in enumerate(keys) if k == key]
        assert len(lanes) == 0  # no lane is kept once idle
        if len(set(keys)) > 1 and len(keys) > 8:
            assert overlapped  # different keys did run at the same time

    asyncio.run(scenario())


async def test_deliveries_take_their_places_in_tag_order_whatever_order_they_come_in() -> None:
    order = DeliveryOrder(wait_seconds=5)
    placed: list[int] = []

    async def deliver(tag: int, delay: float) -> None:
        await asyncio.sleep(delay)
        await order.turn(tag)
        placed.append(tag)
        order.passed(tag)

    delays = {1: 0.0, 2: 0.03, 3: 0.01, 4: 0.02, 5: 0.0}  # 5 and 3 come before 2
    await asyncio.gather(*(deliver(tag, delay) for tag, delay in delays.items()))
    assert placed == [1, 2, 3, 4, 5]


async def test_a_delivery_that_never_comes_holds_the_next_for_the_wait_only() -> None:
    order = DeliveryOrder(wait_seconds=0.05)
    await order.turn(7)
    order.passed(7)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await asyncio.wait_for(order.turn(9), 5)  # 8 went elsewhere (or was lost): go ahead
    order.passed(9)
    assert loop.time() - started < 2
    await asyncio.wait_for(order.turn(8), 1)  # a late 8 does not wait for anything
    await asyncio.wait_for(order.turn(1), 1)  # a new channel numbers from 1 again
    order.passed(1)
    await asyncio.wait_for(order.turn(2), 1)


async def test_a_place_released_early_lets_the_next_of_its_lane_start() -> None:
    lanes = Lanes()
    first, second = lanes.place("stream"), lanes.place("stream")
    order: list[str] = []
    queued = asyncio.Event()

    async def one() -> None:
        async with first:
            order.append("first queued")
            first.release()  # its order is kept by what it was handed to
            queued.set()
            await asyncio.sleep(0.05)  # still being applied
            order.append("first done")

    async def two() -> None:
        async with second:
            order.append("second started")

    await asyncio.gather(one(), two())
    assert order == ["first queued", "second started", "first done"]
    assert len(lanes) == 0


async def test_a_place_cancelled_while_waiting_keeps_the_later_ones_waiting() -> None:
    lanes = Lanes()
    started: list[str] = []
    a_may_end = asyncio.Event()

    async def work(name: str, place: Any, until: asyncio.Event | None = None) -> None:
        async with place:
            started.append(name)
            if until is not None:
                await until.wait()

    a = asyncio.create_task(work("A", lanes.place("s"), a_may_end))
    b = asyncio.create_task(work("B", lanes.place("s")))
    c = asyncio.create_task(work("C", lanes.place("s")))
    await asyncio.sleep(0.01)
    b.cancel()
    await asyncio.sleep(0.01)
    assert started == ["A"]  # C still waits for A, although B left
    a_may_end.set()
    await asyncio.gather(a, c)
    assert started == ["A", "C"] and b.cancelled()
