"""Waiting for something to happen in a test, with a deadline and a clear failure."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any, TypeVar

from prometheus_client import REGISTRY

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


async def effective_policies(admin: Any, vhost: str, queues: Iterable[str],
                             seconds: float = 30.0) -> dict[str, dict[str, Any]]:
    """Each queue's effective policy definition, read until every queue has one (the
    broker applies a policy to its queues some time after it is set, and to each queue
    on its own); after ``seconds``, the last reading, for the test's assertion to say
    which queue has none."""
    names = list(queues)

    async def read() -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for name in names:
            info = await admin.get_queue(vhost, name) or {}
            found[name] = info.get("effective_policy_definition") or {}
        return found

    return await read_until(read, lambda found: all(found.values()), seconds, 0.2)


def messages_counted(queue: str, outcome: str) -> float:
    """How many messages of ``queue`` this process's consumers took with ``outcome``
    (``kerjasama_messages_total``, every type): what a test waits on to know that
    redeliveries were handled, not merely that nothing changed yet."""
    return sum(sample.value for metric in REGISTRY.collect()
               for sample in metric.samples
               if sample.name == "kerjasama_messages_total"
               and sample.labels.get("queue") == queue
               and sample.labels.get("outcome") == outcome)


@contextlib.asynccontextmanager
async def redelivered(queue: str, count: int, seconds: float = 30.0) -> AsyncIterator[None]:
    """Around publishing ``count`` messages again to ``queue``: on leaving, wait until this
    process's consumers took them all as duplicates (so that a test's "nothing changed"
    is checked after they were handled, not before)."""
    before = messages_counted(queue, "duplicate")
    yield
    await until(lambda: messages_counted(queue, "duplicate") >= before + count, seconds,
                f"{count} redeliveries to {queue} taken as duplicates")
