"""Verify the hash chain of every stream in the event store (tamper evidence,
docs/domain.md#event-log).

Each event's ``hash`` is SHA-256 over the previous event's hash in its stream and the
event's own content; ``prev_hash`` repeats the previous hash. Reading every stream in
version order and recomputing both finds the first event that was changed, removed or
inserted by hand (which needs the append-only trigger disabled by a superuser).

It also lists the stored events that today's contract refuses (docs/domain.md#boundaries): written
before a rule was tightened, they are still read as stored, and an operator may want to
correct them with a new command.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from contracts.codec import ContractError, validate_data
from plumbing.db import Pool
from plumbing.ledger import event_hash
from services.agreements.adapters.event_store import COLUMNS, StoredEvent, stored_event


@dataclass(frozen=True)
class BrokenLink:
    """The first event of a stream whose chain does not hold, and why."""

    stream_id: str
    version: int
    position: int
    reason: str


@dataclass(frozen=True)
class RefusedEvent:
    """A stored event that today's contract would refuse (written before a rule was
    tightened); readers still process it as stored."""

    stream_id: str
    version: int
    position: int
    type: str
    reason: str


@dataclass(frozen=True)
class Verification:
    """What a verification read and found."""

    streams: int
    events: int
    broken: list[BrokenLink]
    refused: list[RefusedEvent] = field(default_factory=list)


def _refusal(event: StoredEvent) -> str | None:
    try:
        validate_data(event.type, event.data, strict=True)
    except ContractError as exc:
        return str(exc)
    return None


async def verify_chains(pool: Pool, *, batch: int = 5000) -> Verification:
    """Check every stream, one broken link per stream at most (the first), and list the
    events today's contract would refuse."""
    streams = events = 0
    broken: list[BrokenLink] = []
    refused: list[RefusedEvent] = []
    current: str | None = None
    prev_hash: str | None = None
    expected_version = 0
    failed = False
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read",
                                                        readonly=True):
        cursor = conn.cursor(f"SELECT {COLUMNS} FROM events ORDER BY stream_id, version",
                             prefetch=batch)
        async for record in cursor:
            event = stored_event(record)
            events += 1
            if event.stream_id != current:
                current, prev_hash, expected_version, failed = event.stream_id, None, 0, False
                streams += 1
            expected_version += 1
            refusal = _refusal(event)
            if refusal is not None:
                refused.append(RefusedEvent(event.stream_id, event.version, event.position,
                                            event.type, refusal))
            if failed:
                continue
            reason = None
            if event.version != expected_version:
                reason = f"version {expected_version} is missing"
            elif event.prev_hash != prev_hash:
                reason = "its prev_hash is not the previous event's hash"
            elif event.hash != event_hash(
                    prev_hash, event_id=event.event_id, stream_id=event.stream_id,
                    version=event.version, type=event.type, data=event.data,
                    metadata=event.metadata, occurred_at=event.occurred_at):
                reason = "its content does not match its hash"
            if reason is not None:
                broken.append(BrokenLink(event.stream_id, event.version, event.position,
                                         reason))
                failed = True
            prev_hash = event.hash
    return Verification(streams, events, broken, refused)
