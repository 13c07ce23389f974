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
        self.partners: dict[UUID, dict[str, Any]] = {}
        """The registry's read model: each partner's state as of its last command."""

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
        registering = write.registering
        if registering is not None:
            if self._streams.get(registering.stream_id):
                raise ConcurrencyConflict(f"stream {registering.stream_id} moved past version 0")
            if registering.events[0].occurred_at != events[0].occurred_at:
                raise ValueError("the events of one append share one occurred_at")
        partner = write.partner or (registering.partner if registering else None)
        if partner is not None and partner["stage"] == "ACTIVE":
            holder = self._holder(str(partner["key"]))
            if holder is not None and holder != UUID(str(partner["id"])):
                raise ConcurrencyConflict(f"a partner took the name of {stream_id} meanwhile")
        if registering is not None:
            self._store(registering.stream_id, 0, None, registering.events)
            self._write_partner(registering.partner)
        stored = self._store(stream_id, expected_version, prev_hash, events)
        last_version = expected_version + len(stored)
        self._commands[write.command_id] = CommandRecord(
            write.command_id, write.request_hash, stream_id, last_version, write.stage,
            expected_version == 0)
        if write.agreement is not None:
            self.agreements[UUID(str(write.agreement["id"]))] = _as_stored(write.agreement)
        if write.mapping_item is not None:
            self.mapping_items[UUID(str(write.mapping_item["id"]))] = _as_stored(
                write.mapping_item)
        if write.partner is not None:
            self._write_partner(write.partner)
        return stored

    def _store(self, stream_id: str, expected_version: int, prev_hash: str | None,
               events: Sequence[NewEvent]) -> list[StoredEvent]:
        kept = [replace(e, data=_as_stored(e.data), metadata=_as_stored(e.metadata))
                for e in events]
        hashes = chain_hashes(stream_id, expected_version, prev_hash, kept)
        first = self._events[-1].position + 1 if self._events else 1
        stored = stored_events(stream_id, expected_version, prev_hash, kept, hashes,
                               list(range(first, first + len(kept))))
        self._streams[stream_id] = [*self._streams.get(stream_id, []), *stored]
        self._events.extend(stored)
        self._event_ids.update(e.event_id for e in stored)
        return stored

    def _write_partner(self, partner: dict[str, Any]) -> None:
        partner_id, survivor = str(partner["id"]), partner.get("merged_into")
        self.partners[UUID(partner_id)] = _as_stored(partner)
        if survivor is not None:  # those merged into it now stand for its survivor
            for row in self.partners.values():
                if row.get("survivor") == partner_id:
                    row["survivor"] = survivor
            self.partners[UUID(partner_id)]["survivor"] = survivor

    def _holder(self, key: str) -> UUID | None:
        return next((UUID(str(p["id"])) for p in self.partners.values()
                     if p["key"] == key and p["stage"] == "ACTIVE"), None)

    async def partner_holding(self, key: str) -> UUID | None:
        return self._holder(key)

    async def partner_named(self, key: str, partner_id: UUID) -> UUID | None:
        return self._holder(key) or await self.partner_standing_for(partner_id)

    async def partner_standing_for(self, partner_id: UUID) -> UUID | None:
        row = self.partners.get(partner_id)
        if row is None:
            return None
        survivor = row.get("survivor")
        return UUID(str(survivor)) if survivor else partner_id

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
