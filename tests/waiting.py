"""Waiting for something to happen in a test, with a deadline and a clear failure."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


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
