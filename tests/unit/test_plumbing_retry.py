"""Transient errors are retried with backoff until the deadline; others are not."""

from __future__ import annotations

import time

import asyncpg
import httpx
import pytest
from tenacity import RetryCallState

from plumbing.retry import is_transient, transient_retrying


class Flaky:
    def __init__(self, failures: list[BaseException]) -> None:
        self.failures = failures
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "done"


async def test_transient_errors_are_retried_until_success() -> None:
    fn = Flaky([ConnectionRefusedError(), asyncpg.exceptions.SerializationError("x"),
                httpx.ConnectError("down")])
    assert await transient_retrying(5.0, first_delay=0.001)(fn) == "done"
    assert fn.calls == 4


async def test_the_waits_double_up_to_the_longest() -> None:
    waits: list[float] = []

    def heard(state: RetryCallState) -> None:
        waits.append(state.upcoming_sleep)

    fn = Flaky([TimeoutError()] * 5)
    await transient_retrying(5.0, first_delay=0.001, max_delay=0.004, before_sleep=heard)(fn)
    assert waits == [0.001, 0.002, 0.004, 0.004, 0.004]


async def test_gives_up_with_the_last_error_when_the_next_attempt_would_start_too_late(
) -> None:
    fn = Flaky([asyncpg.exceptions.AdminShutdownError("bye")] * 1000)
    started = time.monotonic()
    with pytest.raises(asyncpg.exceptions.AdminShutdownError):
        await transient_retrying(0.2, first_delay=0.01, max_delay=0.02)(fn)
    assert time.monotonic() - started < 0.2 + 0.1
    assert 2 <= fn.calls < 1000


async def test_other_errors_are_raised_at_once() -> None:
    fn = Flaky([asyncpg.exceptions.UniqueViolationError("dup"), ValueError()])
    with pytest.raises(asyncpg.exceptions.UniqueViolationError):
        await transient_retrying(5.0, first_delay=0.001)(fn)
    assert fn.calls == 1


def test_transient_classification() -> None:
    assert is_transient(asyncpg.exceptions.ConnectionDoesNotExistError("lost"))
    assert is_transient(asyncpg.exceptions.DeadlockDetectedError("x"))
    assert is_transient(asyncpg.exceptions.CannotConnectNowError("starting"))
    assert is_transient(TimeoutError())
    assert not is_transient(asyncpg.exceptions.UndefinedTableError("x"))
    assert not is_transient(KeyError("x"))


async def test_retry_transient_tries_again_after_a_transient_error_only() -> None:
    from plumbing.retry import retry_transient

    calls: list[int] = []

    async def flaky(n: int) -> int:
        calls.append(n)
        if len(calls) < 3:
            raise ConnectionResetError("gone for a moment")
        return n * 2

    assert await retry_transient(5, flaky, 21) == 42 and calls == [21, 21, 21]

    async def broken() -> None:
        calls.append(0)
        raise KeyError("a bug")

    calls.clear()
    with pytest.raises(KeyError):
        await retry_transient(5, broken)
    assert calls == [0]  # not retried
