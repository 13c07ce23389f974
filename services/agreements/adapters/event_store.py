"""The event store: its port (:class:`EventStore`) and the append-only store on
PostgreSQL (docs/domain.md#event-log), :class:`PostgresEventStore`.

Appends run inside the caller's transaction so that events, outbox rows, the command
record and the read model commit together. Readers of the global feed only see events
below the oldest running transaction, so a slow writer is never skipped. The in-memory
twin (:mod:`.memory_store`) keeps the same guarantees for the use-case tests.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol
from uuid import UUID

import asyncpg

from plumbing.db import Conn, Pool
from plumbing.ledger import canonical, event_hash
from services.agreements.adapters.records import CommandRecord, find_command

COLUMNS = ("position, event_id, stream_id, version, type, data, metadata, occurred_at, "
            "prev_hash, hash")


class ConcurrencyConflict(Exception):
    """Raised when another writer appended to the stream first."""


class DuplicateCommand(Exception):
    """Raised when another transaction recorded the same command id first."""


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


@dataclass(frozen=True)
class CommandWrite:
    """What is written beside a command's events: its record and the read model."""

    command_id: str
    request_hash: str
    stage: str
    agreement: dict[str, Any] | None = None
    child_of: UUID | None = None
    child_signed_on: date | None = None
    mapping_item: dict[str, Any] | None = None
    """A mapping item's state, for the mapping's read model (never with ``agreement``)."""
    partner: dict[str, Any] | None = None
    """A partner's state, for the registry's read model (only alone)."""
    registering: Registration | None = None
    """With a proposal (``agreement``): the registration of the partner it names, new to
    the registry, appended to the partner's new stream in the same transaction."""


@dataclass(frozen=True)
class Registration:
    """A partner registered with the proposal that names it: its stream's first events and
    its read-model row."""

    stream_id: str
    events: Sequence[NewEvent]
    partner: dict[str, Any]


class EventStore(Protocol):
    """Where the agreements service keeps its streams, and remembers its commands.

    Every implementation keeps the same guarantees: an append after a version the
    stream has moved past raises :class:`ConcurrencyConflict` and writes nothing; a
    command key recorded before raises :class:`DuplicateCommand` and writes nothing;
    each event links to the previous hash of its stream; positions only grow, and the
    feed never hands out an event while one before it may still appear.
    """

    async def read_stream(self, stream_id: str) -> list[StoredEvent]:
        """Every event of one stream, in version order."""
        ...

    async def append_command(self, stream_id: str, expected_version: int,
                             prev_hash: str | None, events: Sequence[NewEvent],
                             write: CommandWrite) -> list[StoredEvent]:
        """Append a command's events after ``expected_version``, with its record and the
        agreement's read model, all or nothing."""
        ...

    async def find_command(self, command_id: str) -> CommandRecord | None:
        """The record of an accepted command, if any."""
        ...

    async def read_feed(self, after: int, limit: int) -> list[StoredEvent]:
        """Up to ``limit`` events after a position, in position order."""
        ...

    async def item_realised(self, item_id: UUID) -> bool:
        """Whether a signed agreement names the mapping item (the read model's view)."""
        ...

    async def partner_holding(self, key: str) -> UUID | None:
        """The active partner registered under a normalised name and country, if any."""
        ...

    async def partner_standing_for(self, partner_id: UUID) -> UUID | None:
        """The active partner an id stands for: itself, or (a merged partner) the one it
        was merged into; None when the registry does not hold the id."""
        ...

    async def partner_named(self, key: str, partner_id: UUID) -> UUID | None:
        """:meth:`partner_holding` the key, else :meth:`partner_standing_for` the id (one
        round trip: what a proposal's partner resolves to)."""
        ...


def stored_event(record: asyncpg.Record) -> StoredEvent:
    """A stored event from a row of the events table (columns :data:`COLUMNS`)."""
    return StoredEvent(
        position=record["position"], event_id=record["event_id"],
        stream_id=record["stream_id"], version=record["version"], type=record["type"],
        data=json.loads(record["data"]), metadata=json.loads(record["metadata"]),
        occurred_at=record["occurred_at"], prev_hash=record["prev_hash"], hash=record["hash"],
    )


async def read_stream(conn: Conn | Pool, stream_id: str) -> list[StoredEvent]:
    """Every event of one stream, in version order."""
    rows = await conn.fetch(
        f"SELECT {COLUMNS} FROM events WHERE stream_id = $1 ORDER BY version", stream_id)
    return [stored_event(r) for r in rows]


async def read_feed(conn: Conn | Pool, after: int, limit: int) -> list[StoredEvent]:
    """Events after a position, in position order, never past a running writer."""
    rows = await conn.fetch(
        f"SELECT {COLUMNS} FROM events WHERE position > $1 "
        "AND tx_id < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY position LIMIT $2",
        after, limit)
    return [stored_event(r) for r in rows]


def chain_hashes(stream_id: str, expected_version: int, prev_hash: str | None,
                 events: Sequence[NewEvent]) -> list[str]:
    """The hash of each new event, each over the one before (``prev_hash`` first)."""
    hashes: list[str] = []
    for offset, event in enumerate(events, start=1):
        prev_hash = event_hash(prev_hash, event_id=event.event_id, stream_id=stream_id,
                               version=expected_version + offset, type=event.type,
                               data=event.data, metadata=event.metadata,
                               occurred_at=event.occurred_at)
        hashes.append(prev_hash)
    return hashes


def stored_events(stream_id: str, expected_version: int, prev_hash: str | None,
                  events: Sequence[NewEvent], hashes: list[str],
                  positions: list[int]) -> list[StoredEvent]:
    """The new events as stored at ``positions`` with their hashes."""
    links = [prev_hash, *hashes[:-1]]
    return [StoredEvent(position, e.event_id, stream_id, expected_version + i, e.type, e.data,
                        e.metadata, e.occurred_at, link, digest)
            for i, (position, e, link, digest)
            in enumerate(zip(positions, events, links, hashes, strict=True), start=1)]


def _event_args(stream_id: str, expected_version: int, prev_hash: str | None,
                events: Sequence[NewEvent], hashes: list[str]) -> tuple[Any, ...]:
    occurred = {e.occurred_at for e in events}
    if len(occurred) != 1:
        raise ValueError("the events of one append share one occurred_at")
    return (stream_id, expected_version, [e.event_id for e in events],
            [e.type for e in events], [canonical(e.data) for e in events],
            [canonical(e.metadata) for e in events], occurred.pop(), prev_hash, hashes)


def _conflict(exc: asyncpg.UniqueViolationError, stream_id: str, version: int) -> Exception:
    if exc.constraint_name == "events_stream_id_version_key":
        return ConcurrencyConflict(f"stream {stream_id} moved past version {version}")
    if exc.constraint_name == "partners_active_key":
        # another partner took the name meanwhile: decide again on the fresh registry
        return ConcurrencyConflict(f"a partner took the name of {stream_id} meanwhile")
    return exc


async def append(conn: Conn, stream_id: str, expected_version: int,
                 prev_hash: str | None, events: Sequence[NewEvent]) -> list[StoredEvent]:
    """Append events (and their outbox rows) after ``expected_version``.

    Must be the first write of the caller's transaction. Raises ConcurrencyConflict when
    the stream moved on meanwhile.
    """
    hashes = chain_hashes(stream_id, expected_version, prev_hash, events)
    args = _event_args(stream_id, expected_version, prev_hash, events, hashes)
    try:
        positions = await conn.fetchval(
            "SELECT append_events($1, $2, $3, $4, $5::jsonb[], $6::jsonb[], $7, $8, $9)",
            *args)
    except asyncpg.UniqueViolationError as exc:
        raise _conflict(exc, stream_id, expected_version) from None
    return stored_events(stream_id, expected_version, prev_hash, events, hashes, list(positions))


_APPEND_AGREEMENT = ("SELECT append_command($1, $2, $3, $4, $5::jsonb[], $6::jsonb[], $7, $8,"
                     " $9, $10, $11, $12, $13::jsonb, $14, $15)")
_APPEND_MAPPING = ("SELECT append_mapping_command($1, $2, $3, $4, $5::jsonb[], $6::jsonb[], $7,"
                   " $8, $9, $10, $11, $12, $13::jsonb)")
_APPEND_PARTNER = ("SELECT append_partner_command($1, $2, $3, $4, $5::jsonb[], $6::jsonb[], $7,"
                   " $8, $9, $10, $11, $12, $13::jsonb)")
_APPEND_REGISTERING = (
    "SELECT append_proposal_registering($1, $2, $3, $4::jsonb[], $5::jsonb[], $6, $7, $8, $9,"
    " $10, $11::jsonb, $12, $13, $14, $15::jsonb[], $16::jsonb[], $17, $18::jsonb)")


def _write_args(write: CommandWrite) -> tuple[str, tuple[Any, ...]]:
    """The SQL function of a command's write and its arguments after the events': the
    agreements' read model, or (for a mapping item) the mapping's."""
    record = (write.command_id, write.request_hash, write.stage)
    if write.mapping_item is not None:
        assert write.agreement is None, "a command writes one read model"
        return _APPEND_MAPPING, (*record, canonical(write.mapping_item))
    if write.partner is not None:
        assert write.agreement is None, "a command writes one read model"
        return _APPEND_PARTNER, (*record, canonical(write.partner))
    agreement = None if write.agreement is None else canonical(write.agreement)
    return _APPEND_AGREEMENT, (*record, agreement, write.child_of, write.child_signed_on)


async def append_command(pool: Pool, stream_id: str, expected_version: int,
                         prev_hash: str | None, events: Sequence[NewEvent],
                         write: CommandWrite) -> list[StoredEvent]:
    """Append a command's events, outbox rows, command record and read model: one call.

    Raises ConcurrencyConflict when the stream moved on, DuplicateCommand when another
    transaction recorded the same command id first.
    """
    if write.registering is not None:
        return await _append_registering(pool, stream_id, expected_version, events, write)
    hashes = chain_hashes(stream_id, expected_version, prev_hash, events)
    args = _event_args(stream_id, expected_version, prev_hash, events, hashes)
    sql, more = _write_args(write)
    try:
        positions = await pool.fetchval(sql, *args, *more)
    except asyncpg.UniqueViolationError as exc:
        if exc.constraint_name == "commands_pkey":
            raise DuplicateCommand(write.command_id) from None
        raise _conflict(exc, stream_id, expected_version) from None
    return stored_events(stream_id, expected_version, prev_hash, events, hashes, list(positions))


async def _append_registering(pool: Pool, stream_id: str, expected_version: int,
                              events: Sequence[NewEvent],
                              write: CommandWrite) -> list[StoredEvent]:
    """A proposal (a new stream) with the registration of its new partner: one call."""
    registering = write.registering
    assert registering is not None and write.agreement is not None
    if expected_version != 0:
        raise ValueError("a proposal starts its stream")
    hashes = chain_hashes(stream_id, 0, None, events)
    partner_hashes = chain_hashes(registering.stream_id, 0, None, registering.events)
    mine = _event_args(stream_id, 0, None, events, hashes)
    theirs = _event_args(registering.stream_id, 0, None, registering.events, partner_hashes)
    if mine[6] != theirs[6]:
        raise ValueError("the events of one append share one occurred_at")
    args = (stream_id, *mine[2:7], hashes, write.command_id, write.request_hash, write.stage,
            canonical(write.agreement), registering.stream_id, *theirs[2:6], partner_hashes,
            canonical(registering.partner))
    try:
        positions = await pool.fetchval(_APPEND_REGISTERING, *args)
    except asyncpg.UniqueViolationError as exc:
        if exc.constraint_name == "commands_pkey":
            raise DuplicateCommand(write.command_id) from None
        raise _conflict(exc, registering.stream_id, 0) from None
    return stored_events(stream_id, 0, None, events, hashes, list(positions))


class PostgresEventStore:
    """:class:`EventStore` on the agreements database."""

    def __init__(self, pool: Pool) -> None:
        self.pool = pool

    async def read_stream(self, stream_id: str) -> list[StoredEvent]:
        return await read_stream(self.pool, stream_id)

    async def append_command(self, stream_id: str, expected_version: int,
                             prev_hash: str | None, events: Sequence[NewEvent],
                             write: CommandWrite) -> list[StoredEvent]:
        return await append_command(self.pool, stream_id, expected_version, prev_hash,
                                    events, write)

    async def find_command(self, command_id: str) -> CommandRecord | None:
        return await find_command(self.pool, command_id)

    async def read_feed(self, after: int, limit: int) -> list[StoredEvent]:
        return await read_feed(self.pool, after, limit)

    async def item_realised(self, item_id: UUID) -> bool:
        return bool(await self.pool.fetchval(
            "SELECT EXISTS (SELECT 1 FROM agreements WHERE state->>'mapping_item_id' = $1"
            " AND state->>'signed_on' IS NOT NULL)", str(item_id)))

    async def partner_holding(self, key: str) -> UUID | None:
        found: UUID | None = await self.pool.fetchval(
            "SELECT id FROM partners WHERE key = $1 AND stage = 'ACTIVE'", key)
        return found

    async def partner_standing_for(self, partner_id: UUID) -> UUID | None:
        found: UUID | None = await self.pool.fetchval(
            "SELECT coalesce(survivor, id) FROM partners WHERE id = $1", partner_id)
        return found

    async def partner_named(self, key: str, partner_id: UUID) -> UUID | None:
        found: UUID | None = await self.pool.fetchval(
            "SELECT found FROM (SELECT 1 AS rank, id AS found FROM partners"
            " WHERE key = $1 AND stage = 'ACTIVE' UNION ALL"
            " SELECT 2, coalesce(survivor, id) FROM partners WHERE id = $2) AS candidates"
            " ORDER BY rank LIMIT 1", key, partner_id)
        return found
