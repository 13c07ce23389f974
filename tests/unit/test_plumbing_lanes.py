"""Lanes of a consumer: one stream's events one after another, in the order they came;
different streams at the same time."""

from __future__ import annotations

import asyncio
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from plumbing.consumer import Lanes


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
            async with lanes.lane(key):
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
