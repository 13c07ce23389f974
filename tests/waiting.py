"""Waiting for something to happen in a test, with a deadline and a clear failure."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def until(predicate: Callable[[], bool], seconds: float = 30.0,
                what: str = "the condition", interval: float = 0.05) -> None:
    """Return once ``predicate()`` holds; fail the test after ``seconds``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        if predicate():
            return
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {seconds:.0f}s waiting for {what}")
        await asyncio.sleep(interval)


async def read_until(read: Callable[[], Awaitable[T]], done: Callable[[T], bool],
                     seconds: float = 30.0, interval: float = 0.1) -> T:
    """Read until ``done(read())`` holds, and return that reading; after ``seconds``, the
    last reading, for the test's own assertion to say what was wrong (the feed holds
    back while a transaction of any database of the cluster runs)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    value = await read()
    while not done(value) and loop.time() < deadline:
        await asyncio.sleep(interval)
        value = await read()
    return value
