"""The mapping's read model (table ``mapping_items``), written in the command's
transaction by ``append_mapping_command``."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from plumbing.db import Conn, Pool


async def load_item(conn: Conn | Pool, item_id: UUID) -> dict[str, Any] | None:
    """One mapping item's state, or None."""
    state = await conn.fetchval("SELECT state FROM mapping_items WHERE id = $1", item_id)
    return None if state is None else dict(json.loads(state))


async def list_items(conn: Conn | Pool, year: int, opd: str | None,
                     stage: str | None) -> list[dict[str, Any]]:
    """The items of a year's mapping (of one agency, in one stage, when given), by agency
    and in the order they were added."""
    rows = await conn.fetch(
        "SELECT state FROM mapping_items WHERE year = $1 AND ($2::text IS NULL OR opd = $2)"
        " AND ($3::text IS NULL OR stage = $3) ORDER BY opd, added_position",
        year, opd, stage)
    return [dict(json.loads(row["state"])) for row in rows]
