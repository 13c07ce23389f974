"""Retry transient failures (database or network briefly down) with exponential backoff."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg
import httpx

log = logging.getLogger(__name__)
T = TypeVar("T")

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OSError,  # refused, reset, unreachable
    TimeoutError,
    asyncpg.PostgresConnectionError,  # incl. connection lost mid-query
    asyncpg.InterfaceError,  # "connection is closed" after the server went away
    asyncpg.InternalClientError,  # the connection died mid-exchange ("cannot switch to state")
    asyncpg.TransactionRollbackError,  # serialization failure, deadlock
    asyncpg.exceptions.OperatorInterventionError,  # admin shutdown, cannot connect now
    asyncpg.exceptions.InsufficientResourcesError,  # too many connections
    httpx.TransportError,  # another service briefly unreachable
)
"""Errors worth retrying: trying again later may succeed."""


def is_transient(exc: BaseException) -> bool:
    """Whether retrying the operation that raised ``exc`` may succeed."""
    return isinstance(exc, TRANSIENT_ERRORS)


async def with_retries(
    fn: Callable[[], Awaitable[T]],
    attempts: int = 5,
    base_delay: float = 0.1,
    *,
    max_delay: float = 5.0,
    transient: Callable[[BaseException], bool] = is_transient,
) -> T:
    """Call ``fn`` until it succeeds, at most ``attempts`` times; return its result.

    Only errors for which ``transient`` is true are retried, after ``base_delay``,
    then twice as long each time (capped at ``max_delay``, with a little jitter).
    The last error, or any other error, is raised.
    """
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    for attempt in range(1, attempts + 1):
        try:
            return await fn()
        except Exception as exc:
            if attempt == attempts or not transient(exc):
                raise
            delay = min(max_delay, base_delay * 2 ** (attempt - 1))
            delay *= 1 + random.random() * 0.1
            log.warning("transient error (attempt %d/%d), retrying in %.2fs: %r",
                        attempt, attempts, delay, exc)
            await asyncio.sleep(delay)
    raise AssertionError("unreachable")
