"""The append-only event store on PostgreSQL (DESIGN §3).

Appends run inside the caller's transaction so that events, outbox rows, the command
record and the read model commit together. Readers of the global feed only see events
below the oldest running transaction, so a slow writer is never skipped.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg

from plumbing.db import Conn, Pool

_COLUMNS = ("position, event_id, stream_id, version, type, data, metadata, occurred_at, "
            "prev_hash, hash")


class ConcurrencyConflict(Exception):
    """Raised when another writer appended to the stream first."""


@dataclass(frozen=True)
class NewEvent:
    """An event to append: its id, type, data and metadata."""

    event_id: UUID
    type: str
    data: dict[str, Any]
    metadata: dict[str, Any]
    occurred_at: datetime


@dataclass(frozen=True)
class StoredEvent:
    """An event as stored, with its global position and hash-chain link."""

    position: int
    event_id: UUID
    stream_id: str
    version: int
    type: str
    data: dict[str, Any]
    metadata: dict[str, Any]
    occurred_at: datetime
    prev_hash: str | None
    hash: str


def canonical(value: Any) -> str:
    """Canonical JSON used for hashing: sorted keys, no spaces."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(prev_hash: str | None, *, event_id: UUID, stream_id: str, version: int,
               type: str, data: dict[str, Any], metadata: dict[str, Any],
               occurred_at: datetime) -> str:
    """SHA-256 over the previous event's hash and this event's content."""
    content = canonical({
        "event_id": str(event_id), "stream_id": stream_id, "version": version, "type": type,
        "data": data, "metadata": metadata,
        "occurred_at": occurred_at.astimezone(UTC).isoformat(),
    })
    return hashlib.sha256(f"{prev_hash or ''}|{content}".encode()).hexdigest()


def _row(record: asyncpg.Record) -> StoredEvent:
    return StoredEvent(
        position=record["position"], event_id=record["event_id"],
        stream_id=record["stream_id"], version=record["version"], type=record["type"],
        data=json.loads(record["data"]), metadata=json.loads(record["metadata"]),
        occurred_at=record["occurred_at"], prev_hash=record["prev_hash"], hash=record["hash"],
    )


async def read_stream(conn: Conn | Pool, stream_id: str) -> list[StoredEvent]:
    """Every event of one stream, in version order."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM events WHERE stream_id = $1 ORDER BY version", stream_id)
    return [_row(r) for r in rows]


async def read_feed(conn: Conn | Pool, after: int, limit: int) -> list[StoredEvent]:
    """Events after a position, in position order, never past a running writer."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM events WHERE position > $1 "
        "AND tx_id < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY position LIMIT $2",
        after, limit)
    return [_row(r) for r in rows]


async def append(conn: Conn, stream_id: str, expected_version: int,
                 prev_hash: str | None, events: Sequence[NewEvent]) -> list[StoredEvent]:
    """Append events after ``expected_version``; must be the transaction's first write.

    Raises ConcurrencyConflict when the stream moved on meanwhile.
    """
    positions = [r[0] for r in await conn.fetch(
        "SELECT reserve_positions($1)", len(events))]
    stored: list[StoredEvent] = []
    for offset, (position, event) in enumerate(zip(positions, events, strict=True), start=1):
        version = expected_version + offset
        digest = event_hash(prev_hash, event_id=event.event_id, stream_id=stream_id,
                            version=version, type=event.type, data=event.data,
                            metadata=event.metadata, occurred_at=event.occurred_at)
        stored.append(StoredEvent(position, event.event_id, stream_id, version, event.type,
                                  event.data, event.metadata, event.occurred_at, prev_hash,
                                  digest))
        prev_hash = digest
    try:
        await conn.executemany(
            "INSERT INTO events (position, event_id, stream_id, version, type, data, metadata,"
            " occurred_at, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb,"
            " $8, $9, $10)",
            [(e.position, e.event_id, e.stream_id, e.version, e.type, canonical(e.data),
              canonical(e.metadata), e.occurred_at, e.prev_hash, e.hash) for e in stored])
    except asyncpg.UniqueViolationError as exc:
        if exc.constraint_name == "events_stream_id_version_key":
            raise ConcurrencyConflict(
                f"stream {stream_id} moved past version {expected_version}") from None
        raise
    await conn.executemany("INSERT INTO outbox (position) VALUES ($1)",
                           [(e.position,) for e in stored])
    return stored
