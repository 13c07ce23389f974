"""Stored events as CloudEvents (the feed, stream queries and the relay use this)."""

from __future__ import annotations

from typing import Any

from contracts.envelope import SOURCE_AGREEMENTS, CloudEvent, schema_uri, sequence_of
from plumbing.clock import WIB
from plumbing.tracing import TRACEPARENT, TRACESTATE
from services.agreements.adapters.event_store import StoredEvent


def to_cloudevent(stored: StoredEvent) -> CloudEvent:
    """The CloudEvent of a stored event; ids and order come from the store."""
    command_id = stored.metadata.get("command_id")
    return CloudEvent(
        id=stored.event_id, source=SOURCE_AGREEMENTS, type=stored.type,
        subject=stored.stream_id, time=stored.occurred_at.astimezone(WIB),
        dataschema=schema_uri(stored.type), data=stored.data,
        sequence=sequence_of(stored.version), position=stored.position,
        correlationid=command_id, causationid=command_id,
        traceparent=stored.metadata.get(TRACEPARENT),
        tracestate=stored.metadata.get(TRACESTATE),
        # What the stream's hash chain covers beyond the CloudEvent itself, so anyone can
        # recompute it (and the running hash, docs/domain.md#boundaries) from the feed alone.
        metadata=stored.metadata, hash=stored.hash,
        **({} if stored.prev_hash is None else {"prevhash": stored.prev_hash}),
    )


def to_json(stored: StoredEvent) -> dict[str, Any]:
    """The CloudEvent of a stored event as JSON-ready data."""
    data: dict[str, Any] = to_cloudevent(stored).model_dump(mode="json", exclude_none=True)
    return data
