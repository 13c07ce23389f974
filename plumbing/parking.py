"""Parked streams (docs/domain.md#boundaries): a consumer never silently drops an agreement.

An event whose stream is readable (its CloudEvent ``subject``) and that still fails after
retries, a contract error included, *parks its stream*: the reason and the message are
kept in the consumer's database, the message is acknowledged, and every later event of
that stream is kept with it (:func:`plumbing.inbox.handle_in_transaction` sees the stream
parked), never requeued and never gap-filled through the parked one. Other streams go
on. Once a fix is deployed, an operator retries the stream: its kept messages are handed
to the consumer again in version order, and the stream is released when none is left.

A consumer whose state depends on what is parked (reporting's ``complete`` flags) passes
``on_change``: it runs in the transaction that parks or releases a stream.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from prometheus_client import Gauge

from plumbing import clock
from plumbing.db import Conn, Pool
from plumbing.inbox import FIRST_VERSION

log = logging.getLogger(__name__)

PARKED_STREAMS = Gauge("kerjasama_parked_streams", "Streams a consumer parked: an event of "
                       "theirs could not be applied, and their later events wait with it.",
                       ["queue"])
Connect = Callable[[], AbstractAsyncContextManager[Conn]]
"""A connection inside a transaction, on the consumer's inbox tables."""
OnChange = Callable[[Conn], Awaitable[object]]
"""Called inside the transaction that parks or releases a stream."""
_STREAM = re.compile(r"^[A-Za-z0-9_.:-]{1,200}$")


def in_transaction(pool: Pool) -> Connect:
    """:data:`Connect` over a pool: a connection of its own, in a transaction."""

    @asynccontextmanager
    async def connect() -> AsyncIterator[Conn]:
        async with pool.acquire() as conn, conn.transaction():
            yield conn

    return connect


def readable_stream(subject: object) -> str | None:
    """The stream a message names, if it names one that can be kept."""
    return subject if isinstance(subject, str) and _STREAM.match(subject) else None


def stream_of_body(body: bytes) -> tuple[str | None, dict[str, Any]]:
    """The stream (``subject``) of a raw message, and what else is readable of it."""
    try:
        raw = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None, {}
    if not isinstance(raw, dict):
        return None, {}
    return readable_stream(raw.get("subject")), raw


@dataclass(frozen=True)
class ParkedMessage:
    """A message that failed, or one waiting behind it."""

    event_id: UUID | None
    stream_id: str
    version: int | None
    position: int | None
    body: bytes
    type: str | None = None


@dataclass(frozen=True)
class ParkedStream:
    """A parked stream: why, on which event, and how many messages wait."""

    stream_id: str
    reason: str
    event_id: UUID | None
    version: int | None
    position: int | None
    type: str | None
    parked_at: datetime
    retried_at: datetime | None
    waiting: int

    def as_json(self) -> dict[str, Any]:
        """The item of ``GET /parked``."""
        return {"stream_id": self.stream_id, "reason": self.reason,
                "event_id": None if self.event_id is None else str(self.event_id),
                "version": self.version, "position": self.position, "type": self.type,
                "parked_at": self.parked_at.isoformat(),
                "retried_at": None if self.retried_at is None else self.retried_at.isoformat(),
                "waiting": self.waiting}


async def _lock_stream(conn: Conn, stream_id: str) -> None:
    """Serialize with the inbox's handling of the stream (its row lock)."""
    await conn.execute("INSERT INTO inbox_streams (stream_id, last_version) VALUES ($1, $2)"
                       " ON CONFLICT (stream_id) DO NOTHING", stream_id, FIRST_VERSION - 1)
    await conn.execute("SELECT 1 FROM inbox_streams WHERE stream_id = $1 FOR UPDATE",
                       stream_id)


class StreamParking(Protocol):
    """The parked streams of one consumer: :class:`Parking` on its database, and
    :class:`InMemoryParking`, its twin for tests of the consumer's policy."""

    async def park(self, message: ParkedMessage, reason: str) -> bool:
        """Park the message's stream (if not parked yet) and keep the message; whether
        the stream was newly parked."""
        ...

    async def parked(self) -> list[ParkedStream]:
        """Every parked stream, oldest first."""
        ...

    async def is_parked(self, stream_id: str) -> bool:
        """Whether a stream is parked."""
        ...

    async def waiting(self, stream_id: str) -> list[tuple[int, bytes]]:
        """The kept messages of a stream, in version order: (row id, body)."""
        ...

    async def forget(self, row_id: int) -> None:
        """Drop a kept message once it was handled."""
        ...

    async def still_failing(self, stream_id: str, reason: str) -> None:
        """Record why a retried stream is still parked."""
        ...

    async def release(self, stream_id: str) -> bool:
        """Release the stream if no message of it waits any more; whether it was."""
        ...


class Parking:
    """The parked streams of one consumer (one queue)."""

    def __init__(self, connect: Connect, queue: str, *,
                 on_change: OnChange | None = None) -> None:
        self._connect = connect
        self.queue = queue
        self._on_change = on_change

    async def park(self, message: ParkedMessage, reason: str) -> bool:
        """Park the message's stream (if not parked yet) and keep the message; whether the
        stream was newly parked."""
        async with self._connect() as conn:
            await _lock_stream(conn, message.stream_id)
            new = await conn.fetchval(
                "INSERT INTO parked_streams (stream_id, reason, event_id, version, position,"
                " type) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (stream_id) DO NOTHING"
                " RETURNING true", message.stream_id, reason[:2000], message.event_id,
                message.version, message.position, message.type)
            await conn.execute(
                "INSERT INTO parked_events (event_id, stream_id, version, position, body)"
                " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (event_id) DO NOTHING",
                message.event_id, message.stream_id, message.version, message.position,
                message.body)
            if new and self._on_change is not None:
                await self._on_change(conn)
        await self.refresh_gauge()
        return bool(new)

    async def parked(self) -> list[ParkedStream]:
        """Every parked stream, oldest first."""
        async with self._connect() as conn:
            rows = await conn.fetch(
                "SELECT p.*, (SELECT count(*) FROM parked_events e"
                " WHERE e.stream_id = p.stream_id) AS waiting"
                " FROM parked_streams p ORDER BY parked_at, stream_id")
        PARKED_STREAMS.labels(self.queue).set(len(rows))
        return [ParkedStream(r["stream_id"], r["reason"], r["event_id"], r["version"],
                             r["position"], r["type"], r["parked_at"], r["retried_at"],
                             int(r["waiting"])) for r in rows]

    async def is_parked(self, stream_id: str) -> bool:
        """Whether a stream is parked."""
        async with self._connect() as conn:
            return bool(await conn.fetchval(
                "SELECT 1 FROM parked_streams WHERE stream_id = $1", stream_id))

    async def waiting(self, stream_id: str) -> list[tuple[int, bytes]]:
        """The kept messages of a stream, in version order: (row id, body)."""
        async with self._connect() as conn:
            await conn.execute("UPDATE parked_streams SET retried_at = now()"
                               " WHERE stream_id = $1", stream_id)
            rows = await conn.fetch("SELECT id, body FROM parked_events WHERE stream_id = $1"
                                    " ORDER BY version NULLS FIRST, id", stream_id)
        return [(int(r["id"]), bytes(r["body"])) for r in rows]

    async def forget(self, row_id: int) -> None:
        """Drop a kept message once it was handled."""
        async with self._connect() as conn:
            await conn.execute("DELETE FROM parked_events WHERE id = $1", row_id)

    async def still_failing(self, stream_id: str, reason: str) -> None:
        """Record why a retried stream is still parked."""
        async with self._connect() as conn:
            await conn.execute("UPDATE parked_streams SET reason = $2 WHERE stream_id = $1",
                               stream_id, reason[:2000])

    async def release(self, stream_id: str) -> bool:
        """Release the stream if no message of it waits any more; whether it was."""
        async with self._connect() as conn:
            await _lock_stream(conn, stream_id)
            released = await conn.fetchval(
                "DELETE FROM parked_streams WHERE stream_id = $1 AND NOT EXISTS"
                " (SELECT 1 FROM parked_events WHERE stream_id = $1) RETURNING true",
                stream_id)
            if released and self._on_change is not None:
                await self._on_change(conn)
        await self.refresh_gauge()
        return bool(released)

    async def refresh_gauge(self) -> int:
        """Set the gauge from the database (replicas share it); the count."""
        async with self._connect() as conn:
            count = int(await conn.fetchval("SELECT count(*) FROM parked_streams"))
        PARKED_STREAMS.labels(self.queue).set(count)
        return count


class InMemoryParking:
    """:class:`StreamParking` in memory, with the same rules: a stream is parked once,
    every message kept with it (once per event id), released only when none waits."""

    def __init__(self, queue: str = "memory") -> None:
        self.queue = queue
        self._streams: dict[str, ParkedStream] = {}
        self._kept: dict[int, ParkedMessage] = {}
        self._next_row = 1

    async def park(self, message: ParkedMessage, reason: str) -> bool:
        new = message.stream_id not in self._streams
        if new:
            self._streams[message.stream_id] = ParkedStream(
                message.stream_id, reason[:2000], message.event_id, message.version,
                message.position, message.type, clock.now(), None, 0)
        if message.event_id is None or all(
                kept.event_id != message.event_id for kept in self._kept.values()):
            self._kept[self._next_row] = message
            self._next_row += 1
        PARKED_STREAMS.labels(self.queue).set(len(self._streams))
        return new

    async def parked(self) -> list[ParkedStream]:
        return [replace(p, waiting=len(self._rows(p.stream_id)))
                for p in sorted(self._streams.values(),
                                key=lambda p: (p.parked_at, p.stream_id))]

    async def is_parked(self, stream_id: str) -> bool:
        return stream_id in self._streams

    async def waiting(self, stream_id: str) -> list[tuple[int, bytes]]:
        if stream_id in self._streams:
            self._streams[stream_id] = replace(self._streams[stream_id],
                                               retried_at=clock.now())
        return [(row, self._kept[row].body) for row in self._rows(stream_id)]

    async def forget(self, row_id: int) -> None:
        self._kept.pop(row_id, None)

    async def still_failing(self, stream_id: str, reason: str) -> None:
        if stream_id in self._streams:
            self._streams[stream_id] = replace(self._streams[stream_id], reason=reason[:2000])

    async def release(self, stream_id: str) -> bool:
        if stream_id not in self._streams or self._rows(stream_id):
            return False
        del self._streams[stream_id]
        PARKED_STREAMS.labels(self.queue).set(len(self._streams))
        return True

    def _rows(self, stream_id: str) -> list[int]:
        rows = [row for row, m in self._kept.items() if m.stream_id == stream_id]
        return sorted(rows, key=lambda row: (self._kept[row].version is not None,
                                             self._kept[row].version or 0, row))
