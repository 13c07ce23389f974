"""Rows of a projection generation: agreement facts, children's signings, work programs and
figures (the history of the record is in :mod:`.record_history`). Every function works on a
connection already inside :func:`generations.enter`
(writers of a generation run one at a time, so reads here need no row locks)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg
import orjson

from contracts.common import DocumentType, Kind, Stage
from contracts.kpi import Indicator
from plumbing.db import Conn
from services.reporting.adapters.planning_rows import (
    ref_json,
    ref_of,
    revenues_json,
    revenues_of,
)
from services.reporting.adapters.signings import add_linked_signings, linked_signings
from services.reporting.domain import AgreementFacts, Figure, FigureKey
from services.reporting.domain.batch import Children, ChildSigning
from services.reporting.domain.facts import PartnerSnapshot
from services.reporting.domain.figures import number
from services.reporting.domain.mapping import Priorities

FACT_COLUMNS = ("agreement_id, title, kind, document_type, lead_opd, plan_year, proposed_on, "
                 "stage, version, parent_id, number, signed_on, effective_from, "
                 "effective_until, terminated_on, activity_dates, refs::text, priority, "
                 "mapping_item_id, value_cash, value_in_kind, revenues::text, partner_id, "
                 "partner_name, partner_category, partner_country")


def facts_of_row(row: asyncpg.Record, refs: bool = True) -> AgreementFacts:
    return AgreementFacts(
        id=row["agreement_id"], title=row["title"], kind=Kind(row["kind"]),
        document_type=DocumentType(row["document_type"]), lead_opd=row["lead_opd"],
        plan_year=row["plan_year"], proposed_on=row["proposed_on"], stage=Stage(row["stage"]),
        version=row["version"], parent_id=row["parent_id"], number=row["number"],
        signed_on=row["signed_on"], effective_from=row["effective_from"],
        effective_until=row["effective_until"], terminated_on=row["terminated_on"],
        activity_dates=tuple(row["activity_dates"]),
        priority=row["priority"], mapping_item_id=row["mapping_item_id"],
        value_cash=row["value_cash"], value_in_kind=row["value_in_kind"],
        revenues=revenues_of(row["revenues"], refs), partner_id=row["partner_id"],
        partner=None if row["partner_name"] is None else PartnerSnapshot(
            row["partner_name"], row["partner_category"], row["partner_country"]),
        **(_refs_of(row["refs"]) if refs else {}))


def _refs_json(facts: AgreementFacts) -> str | None:
    if facts.signed_by is None and not facts.activities and facts.last_event is None:
        return None
    return orjson.dumps({"signed_by": ref_json(facts.signed_by),
                         "activities": [ref_json(a) for a in facts.activities],
                         "last_event": ref_json(facts.last_event)}, default=str).decode()


def _refs_of(text: str | None) -> dict[str, Any]:
    if text is None:
        return {}
    v = orjson.loads(text)
    return {"signed_by": ref_of(v["signed_by"]), "last_event": ref_of(v["last_event"]),
            "activities": tuple(r for a in v["activities"] if (r := ref_of(a)) is not None)}


async def load_facts(conn: Conn, ids: Iterable[UUID]) -> dict[UUID, AgreementFacts]:
    """The facts of these agreements (those known)."""
    rows = await conn.fetch(f"SELECT {FACT_COLUMNS} FROM agreements "
                            "WHERE agreement_id = ANY($1::uuid[])", list(ids))
    return {row["agreement_id"]: facts_of_row(row) for row in rows}


async def save_facts(conn: Conn, facts: Sequence[AgreementFacts]) -> None:
    """Insert or replace agreements' facts (one statement)."""
    if not facts:
        return
    columns = list(zip(*(_fact_values(f) for f in facts), strict=True))
    await conn.execute(
        f"INSERT INTO agreements ({FACT_COLUMNS.replace('::text', '')}) SELECT a, b, c, d,"
        " e, f, g, h, i, j, k, l, m, n, o, p::date[], q::jsonb, r, s, t, v, w::jsonb, x,"
        " y, z, zz FROM unnest($1::uuid[],"
        " $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::date[], $8::text[],"
        " $9::int[], $10::uuid[], $11::text[], $12::date[], $13::date[], $14::date[],"
        " $15::date[], $16::text[], $17::text[], $18::text[], $19::uuid[], $20::int8[],"
        " $21::int8[], $22::text[], $23::uuid[], $24::text[], $25::text[], $26::text[])"
        " AS u(a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q, r, s, t, v, w, x, y, z, zz)"
        " ON CONFLICT (agreement_id) DO UPDATE SET"
        " stage = EXCLUDED.stage, version = EXCLUDED.version, parent_id = EXCLUDED.parent_id,"
        " number = EXCLUDED.number, signed_on = EXCLUDED.signed_on,"
        " effective_from = EXCLUDED.effective_from, effective_until = EXCLUDED.effective_until,"
        " terminated_on = EXCLUDED.terminated_on, activity_dates = EXCLUDED.activity_dates,"
        " refs = EXCLUDED.refs, revenues = EXCLUDED.revenues",
        *map(list, columns))


def _fact_values(facts: AgreementFacts) -> tuple[object, ...]:
    partner = facts.partner
    dates = "{" + ",".join(d.isoformat() for d in facts.activity_dates) + "}"
    return (facts.id, facts.title, facts.kind.value, facts.document_type.value,
            facts.lead_opd, facts.plan_year, facts.proposed_on, facts.stage.value,
            facts.version, facts.parent_id, facts.number, facts.signed_on,
            facts.effective_from, facts.effective_until, facts.terminated_on, dates,
            _refs_json(facts), facts.priority, facts.mapping_item_id, facts.value_cash,
            facts.value_in_kind, revenues_json(facts.revenues), facts.partner_id,
            *((None, None, None) if partner is None
              else (partner.name, partner.category, partner.country)))


async def child_signings(conn: Conn, parent_ids: Iterable[UUID]) -> Children:
    """Per parent, its PKS and ADDENDUM children's ids and signing dates."""
    return await linked_signings(conn, "child_signings", parent_ids)


async def add_child_signings(conn: Conn, signings: Sequence[ChildSigning]) -> None:
    """Record children's signings (each follows up its parent)."""
    await add_linked_signings(
        conn, "child_signings", [(s.child_id, s.parent_id, s.signed_on) for s in signings])


async def signed_agreements(conn: Conn) -> list[AgreementFacts]:
    """Every signed agreement."""
    rows = await conn.fetch(f"SELECT {FACT_COLUMNS} FROM agreements "
                            "WHERE signed_on IS NOT NULL ORDER BY signed_on, agreement_id")
    return [facts_of_row(row) for row in rows]


async def all_child_signings(conn: Conn) -> dict[UUID, list[date]]:
    """Every parent's children's signing dates."""
    found: dict[UUID, list[date]] = {}
    for row in await conn.fetch("SELECT parent_id, signed_on FROM child_signings"):
        found.setdefault(row["parent_id"], []).append(row["signed_on"])
    return found


SigningDays = tuple[int, str, str, str, str | None, str | None]
"""Days from proposal to signing, lead agency, kind, type, priority, partner category."""


async def signing_days(conn: Conn, years: Iterable[int]) -> dict[int, list[SigningDays]]:
    """Per year, :data:`SigningDays` of every agreement signed in it."""
    wanted = sorted(set(years))
    if not wanted:
        return {}
    rows = await conn.fetch(
        "SELECT extract(year FROM signed_on)::int AS year,"
        " greatest(signed_on - proposed_on, 0) AS days, lead_opd, kind, document_type,"
        " priority, partner_category"
        " FROM agreements WHERE signed_on BETWEEN make_date($2, 1, 1) AND make_date($3, 12, 31)"
        " AND extract(year FROM signed_on)::int = ANY($1::int[])", wanted, wanted[0],
        wanted[-1])
    found: dict[int, list[SigningDays]] = {}
    for r in rows:
        found.setdefault(r["year"], []).append(
            (int(r["days"]), r["lead_opd"], r["kind"], r["document_type"], r["priority"],
             r["partner_category"]))
    return found


async def work_programs(conn: Conn) -> dict[int, tuple[float, float]]:
    """The (realization, effectiveness) targets of every year with a work program."""
    rows = await conn.fetch("SELECT year, realization_target, effectiveness_target"
                            " FROM work_programs")
    return {row[0]: (row[1], row[2]) for row in rows}


async def work_program(conn: Conn, year: int) -> tuple[float, float] | None:
    """The (realization, effectiveness) targets of a year, if it has a work program."""
    row = await conn.fetchrow("SELECT realization_target, effectiveness_target FROM "
                              "work_programs WHERE year = $1", year)
    return None if row is None else (row[0], row[1])


async def save_work_programs(conn: Conn, targets: Mapping[int, tuple[float, float]],
                             priorities: Mapping[int, Priorities] | None = None) -> None:
    """Adopt or replace years' targets and priorities."""
    if not targets:
        return
    years = sorted(targets)
    chosen = priorities or {}
    await conn.execute(
        "INSERT INTO work_programs (year, realization_target, effectiveness_target,"
        " priorities) SELECT y, r, e, p::jsonb FROM unnest($1::int[], $2::float8[],"
        " $3::float8[], $4::text[]) AS u(y, r, e, p) ON CONFLICT (year)"
        " DO UPDATE SET realization_target = EXCLUDED.realization_target,"
        " effectiveness_target = EXCLUDED.effectiveness_target,"
        " priorities = EXCLUDED.priorities", years,
        [targets[y][0] for y in years], [targets[y][1] for y in years],
        [orjson.dumps(chosen.get(y, ())).decode() for y in years])


def figure_of(row: asyncpg.Record) -> Figure:
    key = FigureKey(Indicator(row["indicator"]), row["year"], row["scope"])
    return Figure(key, number(row["numerator"]), row["denominator"], row["target"],
                  row["revision"], row["complete"])


FIGURE_COLUMNS = "indicator, year, scope, numerator, denominator, target, revision, complete"


async def figures_of(conn: Conn, keys: Sequence[FigureKey]) -> dict[FigureKey, Figure]:
    """The stored figures of these keys."""
    if not keys:
        return {}
    rows = await conn.fetch(
        f"SELECT {FIGURE_COLUMNS} FROM figures WHERE (indicator, year, scope) IN "
        "(SELECT * FROM unnest($1::text[], $2::int[], $3::text[])) "
        "ORDER BY indicator, year, scope",
        [k.indicator.value for k in keys], [k.year for k in keys], [k.scope for k in keys])
    return {f.key: f for f in map(figure_of, rows)}


async def figure(conn: Conn, key: FigureKey) -> Figure | None:
    """One stored figure, if any."""
    row = await conn.fetchrow(f"SELECT {FIGURE_COLUMNS} FROM figures WHERE indicator = $1"
                              " AND year = $2 AND scope = $3", key.indicator.value, key.year,
                              key.scope)
    return None if row is None else figure_of(row)


async def figures_where(conn: Conn, *, indicators: Iterable[Indicator] | None = None,
                        year: int | None = None) -> list[Figure]:
    """Stored figures, optionally of some indicators and one year, in key order."""
    names = None if indicators is None else [i.value for i in indicators]
    rows = await conn.fetch(
        f"SELECT {FIGURE_COLUMNS} FROM figures WHERE ($1::text[] IS NULL OR indicator = ANY($1))"
        " AND ($2::int IS NULL OR year = $2) ORDER BY indicator, year, scope", names, year)
    return [figure_of(row) for row in rows]


async def write_figures(conn: Conn, figures: Sequence[Figure]) -> None:
    """Insert or replace figures (their revision already set)."""
    if not figures:
        return
    await conn.execute(
        f"INSERT INTO figures ({FIGURE_COLUMNS}) SELECT * FROM unnest($1::text[], $2::int[],"
        " $3::text[], $4::numeric[], $5::int[], $6::float8[], $7::int[], $8::bool[])"
        " ON CONFLICT (indicator, year, scope) DO UPDATE SET numerator = EXCLUDED.numerator,"
        " denominator = EXCLUDED.denominator, target = EXCLUDED.target,"
        " revision = EXCLUDED.revision, complete = EXCLUDED.complete",
        [f.key.indicator.value for f in figures], [f.key.year for f in figures],
        [f.key.scope for f in figures], [exact(f.numerator) for f in figures],
        [f.denominator for f in figures], [f.target for f in figures],
        [f.revision for f in figures], [f.complete for f in figures])


def exact(numerator: int | float) -> Decimal:
    """A numerator as the exact decimal the figures keep (whole rupiah past 2^53 stay
    exact)."""
    return Decimal(numerator) if isinstance(numerator, int) else Decimal(repr(numerator))


async def as_of_position(conn: Conn) -> int:
    """The highest feed position applied to this generation (0 before any)."""
    return int(await conn.fetchval("SELECT coalesce(max(position), 0) FROM inbox_events"))
