"""Rows of the planning side of a projection generation (docs/domain.md#planning): mapping
items, the signings that realise them, the years' priorities, and the JSON the facts'
revenues and the events behind them are kept as."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any
from uuid import UUID

import asyncpg
import orjson

from contracts.planning import MappingStage
from plumbing.db import Conn
from services.reporting.adapters.signings import add_linked_signings, linked_signings
from services.reporting.domain.batch import Realisation, Realisations
from services.reporting.domain.facts import EventRef, Revenue
from services.reporting.domain.mapping import MappingItem, Priorities


def ref_json(ref: EventRef | None) -> list[object] | None:
    """An event reference as kept in JSON: [id, position, type, date]."""
    return None if ref is None else [ref.id, ref.position, ref.type, ref.date]


def ref_of(value: list[Any] | None) -> EventRef | None:
    """The event reference :func:`ref_json` kept."""
    if value is None:
        return None
    return EventRef(UUID(value[0]), int(value[1]), str(value[2]), date.fromisoformat(value[3]))


def revenues_json(revenues: Sequence[Revenue]) -> str | None:
    """Follow-ups' revenues as kept: [[on, amount, ref], ...] (None for none)."""
    if not revenues:
        return None
    return orjson.dumps([[r.on, r.amount, ref_json(r.event)] for r in revenues],
                        default=str).decode()


def revenues_of(text: str | list[Any] | None, refs: bool = True) -> tuple[Revenue, ...]:
    """The revenues :func:`revenues_json` kept (text, or already parsed); without the
    follow-ups behind them unless ``refs``."""
    if text is None:
        return ()
    values = orjson.loads(text) if isinstance(text, str) else text
    return tuple(Revenue(date.fromisoformat(v[0]), int(v[1]), ref_of(v[2]) if refs else None)
                 for v in values)


def item_json(item: MappingItem) -> str:
    """A mapping item as the history keeps it."""
    return orjson.dumps({
        "id": item.id, "year": item.year, "opd": item.opd, "stage": item.stage,
        "version": item.version, "affair": item.affair, "description": item.description,
        "priority": item.priority, "last_event": ref_json(item.last_event)},
        default=str).decode()


def item_of_json(text: str, refs: bool = True) -> MappingItem:
    """The mapping item :func:`item_json` kept."""
    v = orjson.loads(text)
    return MappingItem(id=UUID(v["id"]), year=v["year"], opd=v["opd"],
                       stage=MappingStage(v["stage"]), version=v["version"],
                       affair=v["affair"], description=v["description"],
                       priority=v["priority"],
                       last_event=ref_of(v["last_event"]) if refs else None)


_ITEM_COLUMNS = ("item_id, year, opd, stage, version, affair, description, priority, "
                 "last_event::text")


def _item(row: asyncpg.Record) -> MappingItem:
    return MappingItem(id=row["item_id"], year=row["year"], opd=row["opd"],
                       stage=MappingStage(row["stage"]), version=row["version"],
                       affair=row["affair"], description=row["description"],
                       priority=row["priority"],
                       last_event=ref_of(orjson.loads(row["last_event"]))
                       if row["last_event"] else None)


async def load_items(conn: Conn, ids: Iterable[UUID] | None = None) -> dict[UUID, MappingItem]:
    """These mapping items (those known), or every one when ``ids`` is None."""
    wanted = None if ids is None else list(ids)
    if wanted == []:
        return {}  # no round trip for a batch that touches no item
    rows = await conn.fetch(f"SELECT {_ITEM_COLUMNS} FROM mapping_items"
                            " WHERE $1::uuid[] IS NULL OR item_id = ANY($1::uuid[])", wanted)
    return {row["item_id"]: _item(row) for row in rows}


async def save_items(conn: Conn, items: Sequence[MappingItem]) -> None:
    """Insert or replace mapping items."""
    if not items:
        return
    await conn.executemany(
        f"INSERT INTO mapping_items ({_ITEM_COLUMNS.replace('::text', '')}) VALUES ($1, $2,"
        " $3, $4, $5, $6, $7, $8, $9::jsonb) ON CONFLICT (item_id) DO UPDATE SET"
        " year = EXCLUDED.year, opd = EXCLUDED.opd, stage = EXCLUDED.stage,"
        " version = EXCLUDED.version, affair = EXCLUDED.affair,"
        " description = EXCLUDED.description, priority = EXCLUDED.priority,"
        " last_event = EXCLUDED.last_event",
        [(i.id, i.year, i.opd, i.stage.value, i.version, i.affair, i.description, i.priority,
          None if i.last_event is None
          else orjson.dumps(ref_json(i.last_event), default=str).decode()) for i in items])


async def realisations(conn: Conn, item_ids: Iterable[UUID]) -> Realisations:
    """Per mapping item, the signed agreements that name it and their signing dates."""
    return await linked_signings(conn, "item_realisations", item_ids)


async def add_realisations(conn: Conn, done: Sequence[Realisation]) -> None:
    """Record signings that realise mapping items."""
    await add_linked_signings(conn, "item_realisations",
                                    [(r.agreement_id, r.item_id, r.signed_on) for r in done])


def priorities_of(value: str | list[Any] | None) -> Priorities:
    """The priorities kept as JSON [[code, name], ...]."""
    if value is None:
        return ()
    values = orjson.loads(value) if isinstance(value, str) else value
    return tuple((str(code), str(name)) for code, name in values)


async def priorities(conn: Conn) -> dict[int, Priorities]:
    """The priorities of every year with a work program."""
    rows = await conn.fetch("SELECT year, priorities::text FROM work_programs")
    return {row[0]: priorities_of(row[1]) for row in rows}
