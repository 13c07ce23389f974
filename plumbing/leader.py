"""One active worker among replicas: a PostgreSQL session advisory lock, and standbys.

A role (the outbox relay of a service, the checkpoint publisher) is held by the process
whose own connection holds the role's advisory lock; the others stand by, trying again
every ``standby_seconds``. The lock goes with the session, so when the active process
dies or loses its connection, a standby takes over within one try. An outage of the
database or the broker ends the session; it is started again after ``retry_seconds``
(with jitter), until the service stops::

    await lead(database_url, "kerjasama.agreements.outbox-relay", relay.work, stop)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import asyncpg
from prometheus_client import Counter, Gauge
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, wait_fixed, wait_random

from plumbing.background import Stop
from plumbing.db import Connection
from plumbing.retry import is_transient

log = logging.getLogger(__name__)

LEADER = Gauge("kerjasama_leader", "1 while this process holds the role's lock: exactly one "
               "replica should, per role.", ["role"])
SESSIONS_FAILED = Counter("kerjasama_leader_failures_total",
                          "Sessions of a role ended by a failure (database or broker "
                          "unavailable, or an error).", ["role", "cause"])

Work = Callable[[Connection, Stop], Awaitable[None]]
"""What the active process does with the lock's connection, until the stop is set."""


@dataclass(frozen=True)
class Election:
    """How a role is taken and kept."""

    role: str
    """The lock's name (hashed to the advisory lock key by PostgreSQL)."""
    standby_seconds: float = 1.0
    retry_seconds: float = 1.0


def cause_of(exc: BaseException) -> str:
    """Which side failed, for logs and the failure counter."""
    if isinstance(exc, (asyncpg.PostgresError, asyncpg.InterfaceError)):
        return "database"
    if isinstance(exc, OSError) or is_transient(exc):
        return "unavailable"
    return "error"


async def take(conn: Connection, election: Election, stop: Stop) -> bool:
    """Wait until ``conn`` holds the role's lock (true) or the stop is set (false)."""
    waited = False
    while not stop.is_set():
        if await conn.fetchval("SELECT pg_try_advisory_lock(hashtextextended($1, 0))",
                               election.role):
            return True
        if not waited:
            log.info("%s: another replica is active; standing by", election.role)
            waited = True
        await stop.sleep(election.standby_seconds)
    return False


async def lead(database_url: str, election: Election, work: Work, stop: Stop, *,
               on_failure: Callable[[BaseException], None] | None = None) -> None:
    """Hold the role and run ``work`` while active, until the stop is set; ``on_failure``
    hears of each session that failed."""

    async def session() -> None:
        conn: Connection = await asyncpg.connect(database_url)
        try:
            if not await take(conn, election, stop):
                return
            LEADER.labels(election.role).set(1)
            log.info("%s: active", election.role)
            await work(conn, stop)
        finally:
            LEADER.labels(election.role).set(0)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), 5)  # the lock goes with the session

    def failed(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        if exc is None:
            return
        if on_failure is not None:
            on_failure(exc)
        cause = cause_of(exc)
        SESSIONS_FAILED.labels(election.role, cause).inc()
        if cause == "error":
            log.error("%s: failed, starting again in %.1fs", election.role,
                      election.retry_seconds, exc_info=exc)
        else:
            log.warning("%s: %s, starting again in %.1fs: %r", election.role, cause,
                        election.retry_seconds, exc)

    async def pause(seconds: float) -> None:
        await stop.sleep(seconds)

    retrying = AsyncRetrying(
        retry=retry_if_exception_type(Exception),
        wait=wait_fixed(election.retry_seconds) + wait_random(0, election.retry_seconds / 2),
        stop=lambda _: stop.is_set(), sleep=pause, before_sleep=failed, reraise=False,
        retry_error_callback=lambda _: None)
    while not stop.is_set():
        await retrying(session)  # returns when the stop is set (or work returned)
