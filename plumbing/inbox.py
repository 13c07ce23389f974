"""The idempotent consumer (docs/domain.md#event-log): each event applied once, each stream in
order.

:func:`handle` runs one transaction per delivered event. It locks the stream's row in
``inbox_streams``; keeps an event of a parked stream with it (:mod:`plumbing.parking`);
skips a duplicate (event id already seen, or version not above the
stream's last); fills a gap (version above last + 1) by fetching the missing versions
and applying them first; then applies the event. Every applied event is recorded in
``inbox_events`` in the same transaction as the consumer's own writes. So shuffled and
duplicated deliveries give the state of in-order delivery, and replicas handling the
same stream at once are serialized by the row lock.

Install the tables with :func:`install` (its own migration record, apart from the
service's ``schema_migrations``).
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

from plumbing.db import (
    Conn,
    Migration,
    Pool,
    create_pool,
    ensure_database,
    migrate,
    rollback_only_reset,
)
from plumbing.retry import is_transient

INBOX_SQL = (Path(__file__).parent / "sql" / "inbox.sql").read_text(encoding="utf-8")
"""The DDL of the inbox tables."""
PARKING_SQL = (Path(__file__).parent / "sql" / "parking.sql").read_text(encoding="utf-8")
"""The DDL of the parked streams (:mod:`plumbing.parking`)."""
MIGRATIONS = (Migration(1, "inbox", INBOX_SQL), Migration(2, "parking", PARKING_SQL))
MIGRATIONS_TABLE = "inbox_schema_migrations"
FIRST_VERSION = 1
"""The version of the first event of a stream."""

__all__ = [
    "FIRST_VERSION", "INBOX_SQL", "PARKING_SQL", "ApplyMany", "GapNotFilled", "InboxEvent",
    "Outcome",
    "handle", "handle_in_transaction", "handle_many_in_transaction", "install",
    "is_transient",
]


@dataclass(frozen=True)
class InboxEvent:
    """An event as the inbox sees it; ``payload`` is whatever ``apply`` needs."""

    event_id: UUID
    stream_id: str
    version: int
    position: int | None
    payload: Any
    body: bytes | None = None
    """The message as received, kept when its stream is parked."""
    replay: bool = False
    """Handed in again from its parked stream by an operator's retry."""
    trace: Mapping[str, str] = field(default_factory=dict, compare=False)
    """The trace context (``traceparent``, ``tracestate``) of the work that handed it in:
    what it causes continues that trace (:mod:`plumbing.tracing`)."""


class Outcome(enum.Enum):
    """What :func:`handle` did with an event."""

    APPLIED = "applied"
    APPLIED_WITH_GAP_FILLED = "applied_with_gap_filled"
    DUPLICATE = "duplicate"
    PARKED = "parked"
    """Its stream is parked: the event was kept with it, not applied."""


class GapNotFilled(Exception):
    """Raised when ``fetch_missing`` did not return every missing version of a stream."""


Apply = Callable[[Conn, InboxEvent], Awaitable[None]]
FetchMissing = Callable[[str, int, int], Awaitable[list[InboxEvent]]]
"""``fetch_missing(stream_id, from_version, to_version)``, both bounds included."""
ApplyMany = Callable[[Conn, list[InboxEvent]], Awaitable[None]]
"""``apply_many(conn, events)``: the events to apply, each stream's in version order."""


async def install(target: Pool | Conn) -> None:
    """Create the inbox tables if missing (idempotent, safe for concurrent replicas)."""
    await migrate(target, MIGRATIONS, table=MIGRATIONS_TABLE)


async def _record(conn: Conn, event: InboxEvent) -> bool:
    inserted = await conn.fetchval(
        "INSERT INTO inbox_events (event_id, stream_id, version, position)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT (event_id) DO NOTHING RETURNING true",
        event.event_id, event.stream_id, event.version, event.position,
    )
    return bool(inserted)


async def _fill_gap(
    conn: Conn, event: InboxEvent, last: int, apply: Apply, fetch_missing: FetchMissing
) -> None:
    wanted = range(last + 1, event.version)
    fetched = await fetch_missing(event.stream_id, wanted.start, wanted.stop - 1)
    by_version = {e.version: e for e in fetched if e.stream_id == event.stream_id}
    missing = [v for v in wanted if v not in by_version]
    if missing:
        raise GapNotFilled(
            f"stream {event.stream_id}: versions {missing} are missing before version "
            f"{event.version}, and fetching them did not return them"
        )
    for version in wanted:
        if await _record(conn, by_version[version]):
            await apply(conn, by_version[version])


async def handle(
    pool: Pool, event: InboxEvent, apply: Apply, fetch_missing: FetchMissing
) -> Outcome:
    """Apply ``event`` exactly once and in stream order, in one transaction.

    ``apply(conn, event)`` writes the consumer's state on ``conn`` (inside the
    transaction; no side effects outside the database). ``fetch_missing`` is called
    while the stream is locked, only when versions are missing. Any error rolls
    everything back, so the delivery can be retried.
    """
    async with pool.acquire() as conn, conn.transaction():
        return await handle_in_transaction(conn, event, apply, fetch_missing)


async def handle_in_transaction(
    conn: Conn, event: InboxEvent, apply: Apply, fetch_missing: FetchMissing
) -> Outcome:
    """:func:`handle` on a connection whose transaction the caller opened and commits.

    For a consumer that must do more in the same transaction, before or after (choose
    a schema, take a lock, apply several events at once).
    """
    if not conn.is_in_transaction():
        raise RuntimeError("handle_in_transaction needs an open transaction")
    await conn.execute(
        "INSERT INTO inbox_streams (stream_id, last_version) VALUES ($1, $2)"
        " ON CONFLICT (stream_id) DO NOTHING",
        event.stream_id, FIRST_VERSION - 1,
    )
    row = await conn.fetchrow(
        "SELECT last_version, EXISTS (SELECT 1 FROM parked_streams p"
        " WHERE p.stream_id = s.stream_id) AS parked"
        " FROM inbox_streams s WHERE stream_id = $1 FOR UPDATE OF s",
        event.stream_id,
    )
    assert row is not None  # inserted above
    last: int = row["last_version"]
    seen = await conn.fetchval("SELECT 1 FROM inbox_events WHERE event_id = $1", event.event_id)
    if event.version <= last or seen:
        return Outcome.DUPLICATE
    if row["parked"] and not event.replay:
        await _keep(conn, [event])
        return Outcome.PARKED
    gap = event.version > last + 1
    if gap:
        await _fill_gap(conn, event, last, apply, fetch_missing)
    await _record(conn, event)
    await apply(conn, event)
    await conn.execute(
        "UPDATE inbox_streams SET last_version = $2 WHERE stream_id = $1",
        event.stream_id, event.version,
    )
    return Outcome.APPLIED_WITH_GAP_FILLED if gap else Outcome.APPLIED


async def _missing(event: InboxEvent, last: int,
                   fetch_missing: FetchMissing) -> list[InboxEvent]:
    wanted = range(last + 1, event.version)
    fetched = await fetch_missing(event.stream_id, wanted.start, wanted.stop - 1)
    by_version = {e.version: e for e in fetched if e.stream_id == event.stream_id}
    missing = [v for v in wanted if v not in by_version]
    if missing:
        raise GapNotFilled(
            f"stream {event.stream_id}: versions {missing} are missing before version "
            f"{event.version}, and fetching them did not return them"
        )
    return [by_version[v] for v in wanted]


async def handle_many_in_transaction(
    conn: Conn, events: list[InboxEvent], apply_many: ApplyMany, fetch_missing: FetchMissing
) -> list[Outcome]:
    """:func:`handle_in_transaction` for several events in one transaction: the outcomes
    (and the state) of handling them one by one in the given order, with a few statements
    for the whole batch.

    The batch's streams are locked (in stream id order), duplicates skipped, gaps filled,
    then ``apply_many`` gets every event to apply, each stream's in version order, and the
    events and the streams' last versions are recorded: all in the caller's transaction.
    """
    if not conn.is_in_transaction():
        raise RuntimeError("handle_many_in_transaction needs an open transaction")
    if not events:
        return []
    streams = sorted({e.stream_id for e in events})
    await conn.execute(
        "INSERT INTO inbox_streams (stream_id, last_version)"
        " SELECT s, $2::int FROM unnest($1::text[]) AS s ON CONFLICT (stream_id) DO NOTHING",
        streams, FIRST_VERSION - 1,
    )
    rows = await conn.fetch(
        "SELECT stream_id, last_version, EXISTS (SELECT 1 FROM parked_streams p"
        " WHERE p.stream_id = s.stream_id) AS parked FROM inbox_streams s"
        " WHERE stream_id = ANY($1::text[]) ORDER BY stream_id FOR UPDATE OF s", streams,
    )
    last: dict[str, int] = {row["stream_id"]: row["last_version"] for row in rows}
    parked = {row["stream_id"] for row in rows if row["parked"]}
    seen = {row["event_id"] for row in await conn.fetch(
        "SELECT event_id FROM inbox_events WHERE event_id = ANY($1::uuid[])",
        [e.event_id for e in events])}
    outcomes: list[Outcome] = []
    accepted: list[InboxEvent] = []
    kept: list[InboxEvent] = []
    for event in events:
        if event.version <= last[event.stream_id] or event.event_id in seen:
            outcomes.append(Outcome.DUPLICATE)
            continue
        if event.stream_id in parked and not event.replay:
            kept.append(event)
            outcomes.append(Outcome.PARKED)
            continue
        gap = event.version > last[event.stream_id] + 1
        filling = await _missing(event, last[event.stream_id], fetch_missing) if gap else []
        for one in [*filling, event]:
            if one.event_id not in seen:
                seen.add(one.event_id)
                accepted.append(one)
        last[event.stream_id] = event.version
        outcomes.append(Outcome.APPLIED_WITH_GAP_FILLED if gap else Outcome.APPLIED)
    if kept:
        await _keep(conn, kept)
    if accepted:
        await _record_many(conn, accepted)
        await apply_many(conn, accepted)
        moved = sorted({e.stream_id for e in accepted})
        await conn.execute(
            "UPDATE inbox_streams SET last_version = u.v"
            " FROM unnest($1::text[], $2::int[]) AS u(s, v) WHERE stream_id = u.s",
            moved, [last[s] for s in moved],
        )
    return outcomes


async def _keep(conn: Conn, events: list[InboxEvent]) -> None:
    """Keep events of parked streams with them (never applied, never gap-filled)."""
    missing = [e.event_id for e in events if e.body is None]
    if missing:
        raise RuntimeError(f"events {missing} belong to a parked stream and carry no body to "
                           "keep")
    await conn.executemany(
        "INSERT INTO parked_events (event_id, stream_id, version, position, body)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (event_id) DO NOTHING",
        [(e.event_id, e.stream_id, e.version, e.position, e.body) for e in events])


async def _record_many(conn: Conn, events: list[InboxEvent]) -> None:
    await conn.copy_records_to_table(
        "inbox_events", columns=("event_id", "stream_id", "version", "position"),
        records=[(e.event_id, e.stream_id, e.version, e.position) for e in events],
    )


async def open_database_with_inbox(url: str, *, pool_size: int, migrations: Path) -> Pool:
    """A consumer's database: created if missing, the inbox installed, ``migrations``
    applied, opened as a pool (rollback-only reset)."""
    await ensure_database(url)
    pool = await create_pool(url, min_size=2, max_size=pool_size, reset=rollback_only_reset)
    await install(pool)
    await migrate(pool, migrations)
    return pool
