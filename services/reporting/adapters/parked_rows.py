"""The parked streams of a projection generation with what their last applied events left
behind, and the figures they leave incomplete (docs/domain.md#completeness)."""

from __future__ import annotations

from uuid import UUID

from contracts.partner_registry import partner_id_of_stream
from contracts.planning import mapping_item_id_of, mapping_item_stream_id
from plumbing.db import Conn
from services.reporting.adapters import partner_rows, planning_rows
from services.reporting.adapters.store import FACT_COLUMNS, facts_of_row
from services.reporting.domain.completeness import Incomplete, incomplete
from services.reporting.domain.facts import AgreementFacts
from services.reporting.domain.mapping import MappingItem

Parked = list[tuple[str, AgreementFacts | MappingItem | None]]


async def parked(conn: Conn) -> Parked:
    """Every parked stream with its agreement's (or mapping item's) last applied facts
    (None if unknown); a parked agreement that realises a known mapping item brings that
    item too, since the item's realised figures may be short as well."""
    rows = await conn.fetch(
        f"SELECT p.stream_id, a.agreement_id IS NOT NULL AS known, "
        f"{', '.join('a.' + c.strip() for c in FACT_COLUMNS.split(','))}"
        " FROM parked_streams p LEFT JOIN agreements a ON a.agreement_id::text = p.stream_id"
        " ORDER BY p.stream_id")
    agreements = {row["stream_id"]: facts_of_row(row) for row in rows if row["known"]}
    items = {i for row in rows if (i := mapping_item_id_of(row["stream_id"])) is not None}
    items |= {f.mapping_item_id for f in agreements.values() if f.mapping_item_id}
    known = await planning_rows.load_items(conn, items) if items else {}
    found: Parked = [
        (row["stream_id"], agreements.get(row["stream_id"])
         or known.get(mapping_item_id_of(row["stream_id"]) or UUID(int=0)))
        for row in rows]
    found += [(mapping_item_stream_id(f.mapping_item_id), known[f.mapping_item_id])
              for f in agreements.values()
              if f.mapping_item_id is not None and f.mapping_item_id in known]
    return found


async def gaps(conn: Conn) -> Incomplete:
    """What the parked streams leave incomplete, their partners resolved through the
    registry's merges."""
    found = await parked(conn)
    if not found:
        return incomplete(())
    named = {p for stream_id, _ in found if (p := partner_id_of_stream(stream_id))}
    named |= {f.partner_id for _, f in found
              if isinstance(f, AgreementFacts) and f.partner_id is not None}
    return incomplete(found, await partner_rows.chains(conn, named))
