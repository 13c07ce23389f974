"""Load a stream's state from the event store through its decider, and shape the read
model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import TypeAdapter

from contracts import codec
from contracts.partners import partner_id_of
from services.agreements.adapters.event_store import EventStore, StoredEvent
from services.agreements.domain import AgreementState, Decider

C = TypeVar("C")
E = TypeVar("E")
S = TypeVar("S")

STATE = TypeAdapter(AgreementState)
PLANNING_DEFAULTS = {"priority": None, "mapping_item_id": None, "value_cash": None,
                     "value_in_kind": None, "revenue": 0}


@dataclass(frozen=True)
class Loaded(Generic[S]):
    """A stream's current state, version and last hash."""

    state: S
    version: int
    last_hash: str | None


def decode_stored(stored: StoredEvent, event_type: type[E]) -> E:
    """The typed data of a stored event, read through the contract's upcasters."""
    data = codec.validate_data(stored.type, stored.data)
    if not isinstance(data, event_type):
        raise TypeError(f"{stored.type} at {stored.stream_id} version {stored.version} is "
                        f"not a {event_type.__name__}")
    return data


def fresh(decider: Decider[C, E, S]) -> Loaded[S]:
    """A stream that has no events yet."""
    return Loaded(decider.initial, 0, None)


async def load(store: EventStore, stream_id: str, decider: Decider[C, E, S],
               event_type: type[E]) -> Loaded[S]:
    """A stream's state: its events folded from the decider's initial state."""
    stored = await store.read_stream(stream_id)
    state = decider.fold(decode_stored(item, event_type) for item in stored)
    last = stored[-1] if stored else None
    return Loaded(state, last.version if last else 0, last.hash if last else None)


def state_json(state: AgreementState) -> dict[str, Any]:
    """The agreement state as JSON-ready data."""
    data: dict[str, Any] = STATE.dump_python(state, mode="json")
    for field in ("required_approvals", "granted_approvals"):
        data[field] = sorted(data[field])  # sets: a stable order for readers and hashes
    return data


def stored_state(data: dict[str, Any]) -> dict[str, Any]:
    """A read-model row's state as today's state. A row last written by an earlier release
    lacks what that release did not know, filled in as today's fold would have it (the row
    is rewritten on the agreement's next command): ``partner_id`` (before
    ``agreement.proposed.v2``), derived as the upcaster derives it for the stored proposal,
    ``documents`` (before the archive), none; and the planning side's fields (priority,
    mapping item, values, revenue), none."""
    partner = data.get("partner")
    if "partner_id" not in data and isinstance(partner, dict):
        data = {**data, "partner_id": str(partner_id_of(str(partner["name"]),
                                                        str(partner["country"])))}
    if "documents" not in data:
        data = {**data, "documents": []}
    if "revenue" not in data:  # before the planning side: none of it was recorded
        data = {**data, **PLANNING_DEFAULTS}
    return data
