"""Retry transient failures (database or network briefly down) with exponential backoff.

:func:`is_transient` is the one definition of what is worth retrying;
:func:`transient_retrying` is the policy built on it with tenacity::

    outcome = await transient_retrying(give_up_after=300.0)(handle, delivery)

and :func:`retry_transient` the same for a hot path (the policy built only after a first
failure).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import asyncpg
import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_before_delay,
    wait_exponential,
)

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

FIRST_DELAY = 0.05
"""Wait before the second attempt, in seconds (doubled for each further one)."""


def is_transient(exc: BaseException) -> bool:
    """Whether retrying the operation that raised ``exc`` may succeed."""
    return isinstance(exc, TRANSIENT_ERRORS)


retry_if_transient = retry_if_exception(is_transient)
"""tenacity's ``retry`` condition for :func:`is_transient` errors."""


def transient_retrying(
    give_up_after: float,
    *,
    first_delay: float = FIRST_DELAY,
    max_delay: float = 5.0,
    before_sleep: Callable[[RetryCallState], None] | None = None,
) -> AsyncRetrying:
    """A tenacity policy that retries transient errors; call it with the coroutine function
    and its arguments (``await transient_retrying(60)(fn, *args)``), once per operation.

    An attempt that raises a transient error is followed by another after ``first_delay``
    seconds, then twice as long each time (at most ``max_delay``), as long as that attempt
    starts within ``give_up_after`` seconds of the first; otherwise the error is raised.
    Any other error is raised at once. ``before_sleep`` hears of each retry
    (``state.outcome`` holds the error, ``state.upcoming_sleep`` the wait).
    """
    return AsyncRetrying(
        retry=retry_if_transient,
        wait=wait_exponential(multiplier=first_delay, max=max_delay),
        stop=stop_before_delay(give_up_after),
        before_sleep=before_sleep,
        reraise=True,
    )


async def retry_transient(give_up_after: float, fn: Callable[..., Awaitable[T]], *args: Any,
                          max_delay: float = 5.0,
                          before_sleep: Callable[[RetryCallState], None] | None = None) -> T:
    """``await fn(*args)``, retried as :func:`transient_retrying` retries when it fails
    transiently. The first attempt runs on its own: the policy is only built once it
    failed, which on a path taken for every message is most of the cost saved."""
    try:
        return await fn(*args)
    except Exception as exc:
        if not is_transient(exc):
            raise
        log.info("transient error, trying again in %.2fs: %r", FIRST_DELAY, exc)
    await asyncio.sleep(FIRST_DELAY)
    result: T = await transient_retrying(give_up_after, max_delay=max_delay,
                                         before_sleep=before_sleep)(fn, *args)
    return result


def error_of(state: RetryCallState) -> BaseException | None:
    """The error the attempt of ``state`` raised (None when it returned)."""
    return state.outcome.exception() if state.outcome is not None else None
