"""Load a stream's state from the event store and shape the read model."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from pydantic import TypeAdapter

from contracts import codec
from contracts.events import EventData
from contracts.feed import work_program_stream_id
from plumbing.db import Conn, Pool
from services.agreements.adapters import event_store
from services.agreements.domain import (
    AgreementState,
    WorkProgramState,
    evolve,
    evolve_work_program,
)

STATE = TypeAdapter(AgreementState)


@dataclass(frozen=True)
class Loaded:
    """A stream's current state, version and last hash, with its evolve function."""

    state: Any
    version: int
    last_hash: str | None
    evolve: Callable[[Any, Any], Any]


def decode_stored(stored: event_store.StoredEvent) -> EventData:
    """The typed data of a stored event."""
    data = codec.validate_data(stored.type, stored.data)
    assert isinstance(data, EventData)
    return data


async def _load(conn: Conn | Pool, stream_id: str,
                evolve_fn: Callable[[Any, Any], Any]) -> Loaded:
    stored = await event_store.read_stream(conn, stream_id)
    state: Any = None
    for item in stored:
        state = evolve_fn(state, decode_stored(item))
    last = stored[-1] if stored else None
    return Loaded(state, last.version if last else 0, last.hash if last else None, evolve_fn)


def empty_agreement() -> Loaded:
    """The state of an agreement stream that has no events yet."""
    return Loaded(None, 0, None, evolve)


async def load_agreement_stream(conn: Conn | Pool, agreement_id: UUID) -> Loaded:
    """An agreement's state from its events (None when it does not exist)."""
    return await _load(conn, str(agreement_id), evolve)


async def load_work_program_stream(conn: Conn | Pool, year: int) -> Loaded:
    """A year's work program state from its events."""
    return await _load(conn, work_program_stream_id(year), evolve_work_program)


def state_json(state: AgreementState) -> dict[str, Any]:
    """The agreement state as JSON-ready data."""
    data: dict[str, Any] = STATE.dump_python(state, mode="json")
    for field in ("required_approvals", "granted_approvals"):
        data[field] = sorted(data[field])  # sets: a stable order for readers and hashes
    return data


__all__ = [
    "Loaded",
    "WorkProgramState",
    "empty_agreement",
    "load_agreement_stream",
    "load_work_program_stream",
    "state_json",
]
