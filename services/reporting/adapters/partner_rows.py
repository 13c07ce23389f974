"""Rows of the partner registry in a projection generation (table ``partners``, migration
``006_partners``): each partner with the one it was merged into; the chains of merges a
batch needs, the partners whose chain passes through a merged one, and the agreements
that name them. Works, like :mod:`.store`, on a connection inside
:func:`generations.enter`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from uuid import UUID

import asyncpg
import orjson

from contracts.partner_registry import PartnerStage
from plumbing.db import Conn
from services.reporting.adapters.planning_rows import ref_json, ref_of
from services.reporting.adapters.store import FACT_COLUMNS, facts_of_row
from services.reporting.domain.facts import AgreementFacts
from services.reporting.domain.partners import PartnerFacts

_COLUMNS = "partner_id, stage, version, name, category, country, merged_into, last_event::text"


def partner_json(partner: PartnerFacts) -> str:
    """A partner as the history keeps it."""
    return orjson.dumps({
        "id": partner.id, "stage": partner.stage, "version": partner.version,
        "name": partner.name, "category": partner.category, "country": partner.country,
        "merged_into": partner.merged_into, "last_event": ref_json(partner.last_event)},
        default=str).decode()


def partner_of_json(text: str, refs: bool = True) -> PartnerFacts:
    """The partner :func:`partner_json` kept."""
    v = orjson.loads(text)
    return PartnerFacts(id=UUID(v["id"]), stage=PartnerStage(v["stage"]),
                        version=v["version"], name=v["name"], category=v["category"],
                        country=v["country"],
                        merged_into=UUID(v["merged_into"]) if v["merged_into"] else None,
                        last_event=ref_of(v["last_event"]) if refs else None)


def _partner(row: asyncpg.Record) -> PartnerFacts:
    return PartnerFacts(id=row["partner_id"], stage=PartnerStage(row["stage"]),
                        version=row["version"], name=row["name"], category=row["category"],
                        country=row["country"], merged_into=row["merged_into"],
                        last_event=ref_of(orjson.loads(row["last_event"]))
                        if row["last_event"] else None)


async def load_all(conn: Conn) -> dict[UUID, PartnerFacts]:
    """Every partner known."""
    rows = await conn.fetch(f"SELECT {_COLUMNS} FROM partners")
    return {row["partner_id"]: _partner(row) for row in rows}


async def chains(conn: Conn, ids: Iterable[UUID]) -> dict[UUID, PartnerFacts]:
    """These partners (those known) and every partner they were merged into, in turn: what
    :func:`..domain.partners.survivor` needs to resolve them."""
    wanted = list(set(ids))
    if not wanted:
        return {}
    rows = await conn.fetch(
        "WITH RECURSIVE chain (partner_id) AS (SELECT unnest($1::uuid[])"
        " UNION SELECT p.merged_into FROM partners p JOIN chain c USING (partner_id)"
        " WHERE p.merged_into IS NOT NULL)"
        f" SELECT {_COLUMNS} FROM partners WHERE partner_id IN (SELECT partner_id FROM chain)",
        wanted)
    return {row["partner_id"]: _partner(row) for row in rows}


async def merged_into_any(conn: Conn, ids: Iterable[UUID]) -> set[UUID]:
    """These partners and every partner whose chain of merges passes through one of them
    (merged into it, or into one merged into it, …)."""
    wanted = list(set(ids))
    if not wanted:
        return set()
    rows = await conn.fetch(
        "WITH RECURSIVE merged (partner_id) AS (SELECT unnest($1::uuid[])"
        " UNION SELECT p.partner_id FROM partners p JOIN merged m"
        " ON p.merged_into = m.partner_id) SELECT partner_id FROM merged", wanted)
    return {row[0] for row in rows}


async def facts_naming(conn: Conn, partner_ids: Iterable[UUID]) -> dict[UUID, AgreementFacts]:
    """The facts of every agreement whose proposal names one of these partners."""
    wanted = list(set(partner_ids))
    if not wanted:
        return {}
    rows = await conn.fetch(f"SELECT {FACT_COLUMNS} FROM agreements"
                            " WHERE partner_id = ANY($1::uuid[])", wanted)
    return {row["agreement_id"]: facts_of_row(row) for row in rows}


async def save_partners(conn: Conn, partners: Sequence[PartnerFacts]) -> None:
    """Insert or replace partners."""
    if not partners:
        return
    await conn.executemany(
        f"INSERT INTO partners ({_COLUMNS.replace('::text', '')}) VALUES ($1, $2, $3, $4,"
        " $5, $6, $7, $8::jsonb) ON CONFLICT (partner_id) DO UPDATE SET"
        " stage = EXCLUDED.stage, version = EXCLUDED.version, name = EXCLUDED.name,"
        " category = EXCLUDED.category, country = EXCLUDED.country,"
        " merged_into = EXCLUDED.merged_into, last_event = EXCLUDED.last_event",
        [(p.id, p.stage.value, p.version, p.name, p.category, p.country, p.merged_into,
          None if p.last_event is None
          else orjson.dumps(ref_json(p.last_event), default=str).decode()) for p in partners])
