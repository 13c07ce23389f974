"""Transient errors are retried with backoff; others are not."""

from __future__ import annotations

import asyncpg
import httpx
import pytest

from plumbing.retry import is_transient, with_retries


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
    assert await with_retries(fn, attempts=4, base_delay=0.001) == "done"
    assert fn.calls == 4


async def test_gives_up_after_the_last_attempt() -> None:
    fn = Flaky([asyncpg.exceptions.AdminShutdownError("bye")] * 3)
    with pytest.raises(asyncpg.exceptions.AdminShutdownError):
        await with_retries(fn, attempts=3, base_delay=0.001)
    assert fn.calls == 3


async def test_other_errors_are_raised_at_once() -> None:
    fn = Flaky([asyncpg.exceptions.UniqueViolationError("dup"), ValueError()])
    with pytest.raises(asyncpg.exceptions.UniqueViolationError):
        await with_retries(fn, attempts=5, base_delay=0.001)
    assert fn.calls == 1


def test_transient_classification() -> None:
    assert is_transient(asyncpg.exceptions.ConnectionDoesNotExistError("lost"))
    assert is_transient(asyncpg.exceptions.DeadlockDetectedError("x"))
    assert is_transient(asyncpg.exceptions.CannotConnectNowError("starting"))
    assert is_transient(TimeoutError())
    assert not is_transient(asyncpg.exceptions.UndefinedTableError("x"))
    assert not is_transient(KeyError("x"))
