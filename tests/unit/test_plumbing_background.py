"""Background loops: one stop for all, wake-ups, a periodic round that survives failures."""

from __future__ import annotations

import asyncio
import logging

import pytest

from plumbing.background import Background, Stop, every


async def test_a_sleep_ends_at_its_wake_up_or_at_the_stop() -> None:
    stop, wake = Stop(), asyncio.Event()
    loop = asyncio.get_running_loop()
    started = loop.time()
    sleeper = asyncio.create_task(stop.sleep(60, wake))
    await asyncio.sleep(0.01)
    wake.set()
    assert await asyncio.wait_for(sleeper, 5) is True  # woken, still running
    assert wake.is_set()  # left for the caller to clear
    wake.clear()
    sleeper = asyncio.create_task(stop.sleep(60, wake))
    await asyncio.sleep(0.01)
    stop.set()  # the stop wakes a loop sleeping on its own wake-up event
    assert await asyncio.wait_for(sleeper, 5) is False
    assert await stop.sleep(60) is False  # after the stop, no sleep at all
    assert loop.time() - started < 5


async def test_every_runs_rounds_until_the_stop_and_survives_a_failed_round(
        caplog: pytest.LogCaptureFixture) -> None:
    rounds: list[int] = []
    results: list[int] = []

    async def round_() -> int:
        rounds.append(len(rounds))
        if len(rounds) == 2:
            raise ValueError("a bug in one round")
        return len(rounds)

    background = Background(grace_seconds=5)
    background.add("job", every(round_, interval=0.01, after=results.append))
    background.start()
    with caplog.at_level(logging.ERROR):
        for _ in range(200):
            if len(rounds) >= 4:
                break
            await asyncio.sleep(0.01)
        await background.close()
    assert len(rounds) >= 4 and 2 not in results and results[:1] == [1]
    assert "round failed" in caplog.text
    done = len(rounds)
    await asyncio.sleep(0.05)
    assert len(rounds) == done  # nothing runs after close


async def test_a_dependency_away_at_start_is_a_note_and_only_a_lasting_outage_a_warning(
        caplog: pytest.LogCaptureFixture) -> None:
    rounds: list[int] = []

    async def round_() -> None:  # what it reads has not started yet, and stays away
        rounds.append(len(rounds))
        raise ConnectionError("All connection attempts failed")

    background = Background(grace_seconds=5)
    background.add("job", every(round_, interval=0.01, name="ledger-checkpoints"))
    background.start()
    with caplog.at_level(logging.INFO, logger="plumbing.background"):
        for _ in range(200):
            if len(rounds) >= 3:
                break
            await asyncio.sleep(0.01)
        await background.close()
    levels = [(r.levelname, r.getMessage().split(",")[0]) for r in caplog.records]
    assert levels[0] == ("INFO", "ledger-checkpoints: unavailable at start")
    assert levels[1:3] == [("WARNING", "ledger-checkpoints: unavailable")] * 2


async def test_a_loop_that_ignores_the_stop_is_cancelled_after_the_grace() -> None:
    cancelled = asyncio.Event()

    async def stubborn(_: Stop) -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    background = Background(grace_seconds=0.05)
    background.add("stubborn", stubborn)
    background.start()
    await asyncio.sleep(0)
    await asyncio.wait_for(background.close(), 5)
    assert cancelled.is_set()
