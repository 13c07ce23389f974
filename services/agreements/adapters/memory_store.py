"""The in-memory twin of the event store: the same guarantees as
:class:`~services.agreements.adapters.event_store.PostgresEventStore`, in milliseconds.

An append checks the stream's version and the command key, then writes events, command
record and read model at once (nothing awaits in between, so an append is atomic on the
event loop and the feed is always a prefix of what was appended). The events are kept as
the database keeps them: data and metadata as canonical JSON, hashed with the same chain.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from typing import Any
from uuid import UUID

from plumbing.ledger import canonical
from services.agreements.adapters.event_store import (
    CommandWrite,
    ConcurrencyConflict,
    DuplicateCommand,
    NewEvent,
    StoredEvent,
    chain_hashes,
    stored_events,
)
from services.agreements.adapters.records import CommandRecord


class InMemoryEventStore:
    """:class:`~services.agreements.adapters.event_store.EventStore` in memory."""

    def __init__(self) -> None:
        self._events: list[StoredEvent] = []
        self._streams: dict[str, list[StoredEvent]] = {}
        self._event_ids: set[UUID] = set()
        self._commands: dict[str, CommandRecord] = {}
        self.agreements: dict[UUID, dict[str, Any]] = {}
        """The read model: each agreement's state as of its last command."""
        self.mapping_items: dict[UUID, dict[str, Any]] = {}
        """The mapping's read model: each item's state as of its last command."""

    async def read_stream(self, stream_id: str) -> list[StoredEvent]:
        return list(self._streams.get(stream_id, ()))

    async def append_command(self, stream_id: str, expected_version: int,
                             prev_hash: str | None, events: Sequence[NewEvent],
                             write: CommandWrite) -> list[StoredEvent]:
        if not events:
            raise ValueError("an append has at least one event")
        if len({e.occurred_at for e in events}) != 1:
            raise ValueError("the events of one append share one occurred_at")
        stream = self._streams.get(stream_id, [])
        if len(stream) > expected_version:
            raise ConcurrencyConflict(f"stream {stream_id} moved past version "
                                      f"{expected_version}")
        if len(stream) < expected_version:
            raise ValueError(f"stream {stream_id} is at version {len(stream)}, an append "
                             f"cannot follow version {expected_version}")
        if write.command_id in self._commands:
            raise DuplicateCommand(write.command_id)
        if any(e.event_id in self._event_ids for e in events):
            raise ValueError("an event id is stored already")
        kept = [replace(e, data=_as_stored(e.data), metadata=_as_stored(e.metadata))
                for e in events]
        hashes = chain_hashes(stream_id, expected_version, prev_hash, kept)
        first = self._events[-1].position + 1 if self._events else 1
        stored = stored_events(stream_id, expected_version, prev_hash, kept, hashes,
                               list(range(first, first + len(kept))))
        last_version = expected_version + len(stored)
        self._commands[write.command_id] = CommandRecord(
            write.command_id, write.request_hash, stream_id, last_version, write.stage,
            expected_version == 0)
        if write.agreement is not None:
            self.agreements[UUID(str(write.agreement["id"]))] = _as_stored(write.agreement)
        if write.mapping_item is not None:
            self.mapping_items[UUID(str(write.mapping_item["id"]))] = _as_stored(
                write.mapping_item)
        self._streams[stream_id] = [*stream, *stored]
        self._events.extend(stored)
        self._event_ids.update(e.event_id for e in stored)
        return stored

    async def find_command(self, command_id: str) -> CommandRecord | None:
        return self._commands.get(command_id)

    async def read_feed(self, after: int, limit: int) -> list[StoredEvent]:
        # positions are 1, 2, 3 ... here: the event at position p is at index p - 1
        return self._events[max(after, 0):max(after, 0) + limit]

    async def item_realised(self, item_id: UUID) -> bool:
        return any(a.get("mapping_item_id") == str(item_id) and a.get("signed_on")
                   for a in self.agreements.values())


def _as_stored(value: dict[str, Any]) -> dict[str, Any]:
    """As the database gives it back: canonical JSON, read again."""
    stored: dict[str, Any] = json.loads(canonical(value))
    return stored
