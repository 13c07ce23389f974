"""Rows of a projection generation: agreement facts, children's signings, work programs and
figures. Every function works on a connection already inside :func:`generations.enter`
(writers of a generation run one at a time, so reads here need no row locks)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg
import orjson

from contracts.common import DocumentType, Kind, Stage
from contracts.kpi import Indicator
from contracts.planning import mapping_item_id_of, mapping_item_stream_id
from plumbing.db import Conn
from services.reporting.adapters import planning_rows
from services.reporting.adapters.planning_rows import (
    item_json,
    item_of_json,
    ref_json,
    ref_of,
    revenues_json,
    revenues_of,
)
from services.reporting.domain import AgreementFacts, Figure, FigureKey
from services.reporting.domain.batch import Children, ChildSigning, Step
from services.reporting.domain.evaluation import Record
from services.reporting.domain.figures import Revision, number
from services.reporting.domain.mapping import MappingItem, Priorities

_FACT_COLUMNS = ("agreement_id, title, kind, document_type, lead_opd, plan_year, proposed_on, "
                 "stage, version, parent_id, number, signed_on, effective_from, "
                 "effective_until, terminated_on, activity_dates, refs::text, priority, "
                 "mapping_item_id, value_cash, value_in_kind, revenues::text")


def _facts(row: asyncpg.Record, refs: bool = True) -> AgreementFacts:
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
        revenues=revenues_of(row["revenues"], refs),
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
    rows = await conn.fetch(f"SELECT {_FACT_COLUMNS} FROM agreements "
                            "WHERE agreement_id = ANY($1::uuid[])", list(ids))
    return {row["agreement_id"]: _facts(row) for row in rows}


async def save_facts(conn: Conn, facts: Sequence[AgreementFacts]) -> None:
    """Insert or replace agreements' facts (one statement)."""
    if not facts:
        return
    columns = list(zip(*(_fact_values(f) for f in facts), strict=True))
    await conn.execute(
        f"INSERT INTO agreements ({_FACT_COLUMNS.replace('::text', '')}) SELECT a, b, c, d,"
        " e, f, g, h, i, j, k, l, m, n, o, p::date[], q::jsonb, r, s, t, v, w::jsonb"
        " FROM unnest($1::uuid[],"
        " $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::date[], $8::text[],"
        " $9::int[], $10::uuid[], $11::text[], $12::date[], $13::date[], $14::date[],"
        " $15::date[], $16::text[], $17::text[], $18::text[], $19::uuid[], $20::int8[],"
        " $21::int8[], $22::text[])"
        " AS u(a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q, r, s, t, v, w)"
        " ON CONFLICT (agreement_id) DO UPDATE SET"
        " stage = EXCLUDED.stage, version = EXCLUDED.version, parent_id = EXCLUDED.parent_id,"
        " number = EXCLUDED.number, signed_on = EXCLUDED.signed_on,"
        " effective_from = EXCLUDED.effective_from, effective_until = EXCLUDED.effective_until,"
        " terminated_on = EXCLUDED.terminated_on, activity_dates = EXCLUDED.activity_dates,"
        " refs = EXCLUDED.refs, revenues = EXCLUDED.revenues",
        *map(list, columns))


def _fact_values(facts: AgreementFacts) -> tuple[object, ...]:
    dates = "{" + ",".join(d.isoformat() for d in facts.activity_dates) + "}"
    return (facts.id, facts.title, facts.kind.value, facts.document_type.value,
            facts.lead_opd, facts.plan_year, facts.proposed_on, facts.stage.value,
            facts.version, facts.parent_id, facts.number, facts.signed_on,
            facts.effective_from, facts.effective_until, facts.terminated_on, dates,
            _refs_json(facts), facts.priority, facts.mapping_item_id, facts.value_cash,
            facts.value_in_kind, revenues_json(facts.revenues))


async def child_signings(conn: Conn, parent_ids: Iterable[UUID]) -> Children:
    """Per parent, its PKS and ADDENDUM children's ids and signing dates."""
    parent_ids = list(parent_ids)
    if not parent_ids:
        return {}
    rows = await conn.fetch("SELECT child_id, parent_id, signed_on FROM child_signings "
                            "WHERE parent_id = ANY($1::uuid[])", parent_ids)
    found: Children = {}
    for row in rows:
        found.setdefault(row["parent_id"], {})[row["child_id"]] = row["signed_on"]
    return found


async def add_child_signings(conn: Conn, signings: Sequence[ChildSigning]) -> None:
    """Record children's signings (each follows up its parent)."""
    if not signings:
        return
    await conn.execute("INSERT INTO child_signings (child_id, parent_id, signed_on)"
                       " SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::date[])"
                       " ON CONFLICT (child_id) DO NOTHING",
                       [s.child_id for s in signings], [s.parent_id for s in signings],
                       [s.signed_on for s in signings])


async def signed_agreements(conn: Conn) -> list[AgreementFacts]:
    """Every signed agreement."""
    rows = await conn.fetch(f"SELECT {_FACT_COLUMNS} FROM agreements "
                            "WHERE signed_on IS NOT NULL ORDER BY signed_on, agreement_id")
    return [_facts(row) for row in rows]


async def all_child_signings(conn: Conn) -> dict[UUID, list[date]]:
    """Every parent's children's signing dates."""
    found: dict[UUID, list[date]] = {}
    for row in await conn.fetch("SELECT parent_id, signed_on FROM child_signings"):
        found.setdefault(row["parent_id"], []).append(row["signed_on"])
    return found


async def signing_days(conn: Conn, years: Iterable[int]
                       ) -> dict[int, list[tuple[int, str, str, str, str | None]]]:
    """Per year, (days from proposal to signing, lead agency, kind, type, priority) of every
    agreement signed in it."""
    wanted = sorted(set(years))
    if not wanted:
        return {}
    rows = await conn.fetch(
        "SELECT extract(year FROM signed_on)::int AS year,"
        " greatest(signed_on - proposed_on, 0) AS days, lead_opd, kind, document_type,"
        " priority"
        " FROM agreements WHERE signed_on BETWEEN make_date($2, 1, 1) AND make_date($3, 12, 31)"
        " AND extract(year FROM signed_on)::int = ANY($1::int[])", wanted, wanted[0],
        wanted[-1])
    found: dict[int, list[tuple[int, str, str, str, str | None]]] = {}
    for r in rows:
        found.setdefault(r["year"], []).append(
            (int(r["days"]), r["lead_opd"], r["kind"], r["document_type"], r["priority"]))
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


_FIGURE_COLUMNS = "indicator, year, scope, numerator, denominator, target, revision, complete"


async def figures_of(conn: Conn, keys: Sequence[FigureKey]) -> dict[FigureKey, Figure]:
    """The stored figures of these keys."""
    if not keys:
        return {}
    rows = await conn.fetch(
        f"SELECT {_FIGURE_COLUMNS} FROM figures WHERE (indicator, year, scope) IN "
        "(SELECT * FROM unnest($1::text[], $2::int[], $3::text[])) "
        "ORDER BY indicator, year, scope",
        [k.indicator.value for k in keys], [k.year for k in keys], [k.scope for k in keys])
    return {f.key: f for f in map(figure_of, rows)}


async def figure(conn: Conn, key: FigureKey) -> Figure | None:
    """One stored figure, if any."""
    row = await conn.fetchrow(f"SELECT {_FIGURE_COLUMNS} FROM figures WHERE indicator = $1"
                              " AND year = $2 AND scope = $3", key.indicator.value, key.year,
                              key.scope)
    return None if row is None else figure_of(row)


async def figures_where(conn: Conn, *, indicators: Iterable[Indicator] | None = None,
                        year: int | None = None) -> list[Figure]:
    """Stored figures, optionally of some indicators and one year, in key order."""
    names = None if indicators is None else [i.value for i in indicators]
    rows = await conn.fetch(
        f"SELECT {_FIGURE_COLUMNS} FROM figures WHERE ($1::text[] IS NULL OR indicator = ANY($1))"
        " AND ($2::int IS NULL OR year = $2) ORDER BY indicator, year, scope", names, year)
    return [figure_of(row) for row in rows]


async def write_figures(conn: Conn, figures: Sequence[Figure]) -> None:
    """Insert or replace figures (their revision already set)."""
    if not figures:
        return
    await conn.execute(
        f"INSERT INTO figures ({_FIGURE_COLUMNS}) SELECT * FROM unnest($1::text[], $2::int[],"
        " $3::text[], $4::numeric[], $5::int[], $6::float8[], $7::int[], $8::bool[])"
        " ON CONFLICT (indicator, year, scope) DO UPDATE SET numerator = EXCLUDED.numerator,"
        " denominator = EXCLUDED.denominator, target = EXCLUDED.target,"
        " revision = EXCLUDED.revision, complete = EXCLUDED.complete",
        [f.key.indicator.value for f in figures], [f.key.year for f in figures],
        [f.key.scope for f in figures], [_exact(f.numerator) for f in figures],
        [f.denominator for f in figures], [f.target for f in figures],
        [f.revision for f in figures], [f.complete for f in figures])


def _exact(numerator: int | float) -> Decimal:
    """A numerator as the exact decimal the figures keep (whole rupiah past 2^53 stay
    exact)."""
    return Decimal(numerator) if isinstance(numerator, int) else Decimal(repr(numerator))


async def parked(conn: Conn) -> list[tuple[str, AgreementFacts | MappingItem | None]]:
    """Every parked stream with its agreement's (or mapping item's) last applied facts
    (None if unknown); a parked agreement that realises a known mapping item brings that
    item too, since the item's realised figures may be short as well."""
    rows = await conn.fetch(
        f"SELECT p.stream_id, a.agreement_id IS NOT NULL AS known, "
        f"{', '.join('a.' + c.strip() for c in _FACT_COLUMNS.split(','))}"
        " FROM parked_streams p LEFT JOIN agreements a ON a.agreement_id::text = p.stream_id"
        " ORDER BY p.stream_id")
    agreements = {row["stream_id"]: _facts(row) for row in rows if row["known"]}
    items = {i for row in rows if (i := mapping_item_id_of(row["stream_id"])) is not None}
    items |= {f.mapping_item_id for f in agreements.values() if f.mapping_item_id}
    known = await planning_rows.load_items(conn, items) if items else {}
    found: list[tuple[str, AgreementFacts | MappingItem | None]] = [
        (row["stream_id"], agreements.get(row["stream_id"])
         or known.get(mapping_item_id_of(row["stream_id"]) or UUID(int=0)))
        for row in rows]
    found += [(mapping_item_stream_id(f.mapping_item_id), known[f.mapping_item_id])
              for f in agreements.values()
              if f.mapping_item_id is not None and f.mapping_item_id in known]
    return found


async def as_of_position(conn: Conn) -> int:
    """The highest feed position applied to this generation (0 before any)."""
    return int(await conn.fetchval("SELECT coalesce(max(position), 0) FROM inbox_events"))


# --- the history of the record (DESIGN §9) ---------------------------------------------

def facts_json(facts: AgreementFacts) -> str:
    """The facts as the history keeps them (JSON; orjson writes ids, dates and stages as
    their text)."""
    return orjson.dumps({
        "id": facts.id, "title": facts.title, "kind": facts.kind,
        "document_type": facts.document_type, "lead_opd": facts.lead_opd,
        "plan_year": facts.plan_year, "proposed_on": facts.proposed_on,
        "stage": facts.stage, "version": facts.version, "parent_id": facts.parent_id,
        "number": facts.number, "signed_on": facts.signed_on,
        "effective_from": facts.effective_from, "effective_until": facts.effective_until,
        "terminated_on": facts.terminated_on, "activity_dates": facts.activity_dates,
        "signed_by": ref_json(facts.signed_by),
        "activities": [ref_json(a) for a in facts.activities],
        "last_event": ref_json(facts.last_event), "priority": facts.priority,
        "mapping_item_id": facts.mapping_item_id, "value_cash": facts.value_cash,
        "value_in_kind": facts.value_in_kind,
        "revenues": [[r.on, r.amount, ref_json(r.event)] for r in facts.revenues]},
        default=str).decode()


def facts_of_json(text: str, refs: bool = True) -> AgreementFacts:
    """The facts the history kept (:func:`facts_json`); without the events behind them
    unless ``refs`` (they are read only for the evidence)."""
    v = orjson.loads(text)

    def day(key: str) -> date | None:
        return None if v[key] is None else date.fromisoformat(v[key])
    return AgreementFacts(
        id=UUID(v["id"]), title=v["title"], kind=Kind(v["kind"]),
        document_type=DocumentType(v["document_type"]), lead_opd=v["lead_opd"],
        plan_year=v["plan_year"], proposed_on=date.fromisoformat(v["proposed_on"]),
        stage=Stage(v["stage"]), version=v["version"],
        parent_id=None if v["parent_id"] is None else UUID(v["parent_id"]),
        number=v["number"], signed_on=day("signed_on"), effective_from=day("effective_from"),
        effective_until=day("effective_until"), terminated_on=day("terminated_on"),
        activity_dates=tuple(date.fromisoformat(d) for d in v["activity_dates"]),
        signed_by=ref_of(v["signed_by"]) if refs else None,
        activities=tuple(r for a in v["activities"] if (r := ref_of(a)) is not None)
        if refs else (),
        last_event=ref_of(v["last_event"]) if refs else None,
        priority=v.get("priority"),
        mapping_item_id=UUID(v["mapping_item_id"]) if v.get("mapping_item_id") else None,
        value_cash=v.get("value_cash"), value_in_kind=v.get("value_in_kind"),
        revenues=revenues_of(v.get("revenues") or None, refs))


def _history_row(step: Step, time: datetime) -> tuple[object, ...]:
    program = step.work_program
    return (step.ref.position, step.ref.id, time,
            step.facts.id if step.facts else None,
            facts_json(step.facts) if step.facts else None,
            program[0] if program else None,
            [program[1][0], program[1][1]] if program else None,
            step.item.id if step.item else None,
            item_json(step.item) if step.item else None,
            orjson.dumps(program[2]).decode() if program else None)


_HISTORY_COLUMNS = ("position", "event_id", "time", "agreement_id", "facts", "year", "targets",
                    "item_id", "item", "priorities")


async def save_history(conn: Conn, steps: Sequence[Step],
                       times: Mapping[int, datetime], *, fresh: bool = False) -> None:
    """Keep the facts after each event (an agreement's, a mapping item's, or the targets
    and priorities it adopted) at its position; ``times``: when each position was
    recorded. ``fresh``: the positions are new to the table (a rebuild's replay, after the
    inbox): copied in, several times faster than an insert, and a repeated position fails
    the transaction instead of being skipped."""
    if not steps:
        return
    rows = [_history_row(s, times[s.ref.position]) for s in steps]
    if fresh:
        await conn.copy_records_to_table("record_history", columns=_HISTORY_COLUMNS,
                                         records=rows)
        return
    columns = list(zip(*rows, strict=True))
    targets = columns[6]
    await conn.execute(
        "INSERT INTO record_history (position, event_id, time, agreement_id, facts, year,"
        " targets, item_id, item, priorities) SELECT p, e, t, a, f::json, y, CASE WHEN y"
        " IS NULL THEN NULL ELSE ARRAY[r, x] END, i, m::json, q::json FROM unnest("
        "$1::bigint[], $2::uuid[], $3::timestamptz[], $4::uuid[], $5::text[], $6::int[],"
        " $7::float8[], $8::float8[], $9::uuid[], $10::text[], $11::text[])"
        " AS u(p, e, t, a, f, y, r, x, i, m, q) ON CONFLICT (position) DO NOTHING",
        *map(list, columns[:6]), [None if v is None else v[0] for v in targets],
        [None if v is None else v[1] for v in targets],
        *map(list, columns[7:]))


async def record_at(conn: Conn, position: int, *, refs: bool = True) -> Record:
    """The facts of every agreement and mapping item, and the targets and priorities of
    every year, as they stood after ``position``: one row per agreement or item (its
    latest at or below), not a replay; the events behind the facts only if ``refs``."""
    if position >= await as_of_position(conn):  # the current facts are the record there
        rows = await conn.fetch(f"SELECT {_FACT_COLUMNS} FROM agreements")
        return Record({row["agreement_id"]: _facts(row, refs) for row in rows},
                      await work_programs(conn), await planning_rows.load_items(conn),
                      await planning_rows.priorities(conn))
    rows = await conn.fetch(
        "SELECT h.facts::text FROM (SELECT DISTINCT ON (agreement_id) position"
        " FROM record_history WHERE agreement_id IS NOT NULL AND position <= $1"
        " ORDER BY agreement_id, position DESC) p JOIN record_history h USING (position)",
        position)
    items = await conn.fetch(
        "SELECT h.item::text FROM (SELECT DISTINCT ON (item_id) position"
        " FROM record_history WHERE item_id IS NOT NULL AND position <= $1"
        " ORDER BY item_id, position DESC) p JOIN record_history h USING (position)",
        position)
    programs = await conn.fetch(
        "SELECT DISTINCT ON (year) year, targets, priorities::text FROM record_history"
        " WHERE year IS NOT NULL AND position <= $1 ORDER BY year, position DESC", position)
    agreements = {f.id: f for f in (facts_of_json(row[0], refs) for row in rows)}
    mapped = {i.id: i for i in (item_of_json(row[0], refs) for row in items)}
    return Record(agreements, {row[0]: (row[1][0], row[1][1]) for row in programs}, mapped,
                  {row[0]: planning_rows.priorities_of(row[2]) for row in programs})


async def position_before(conn: Conn, time: datetime) -> tuple[int, int | None]:
    """(the last position of the longest recorded prefix whose events all have a time at
    or before ``time``, the first position after it, if any)."""
    first_after = await conn.fetchval(
        "SELECT min(position) FROM record_history WHERE time > $1", time)
    last = await conn.fetchval(
        "SELECT coalesce(max(position), 0) FROM record_history"
        " WHERE $1::bigint IS NULL OR position < $1", first_after)
    return int(last), None if first_after is None else int(first_after)


async def coverage(conn: Conn) -> tuple[int, int]:
    """(every feed event up to this position is applied, the history starts after this
    position)."""
    row = await conn.fetchrow("SELECT covered, history_after FROM record_coverage")
    return (0, 0) if row is None else (int(row[0]), int(row[1]))


async def set_covered(conn: Conn, position: int) -> None:
    """Record that every feed event up to ``position`` is applied (never moves back)."""
    await conn.execute("UPDATE record_coverage SET covered = greatest(covered, $1)", position)


async def applied_among(conn: Conn, event_ids: Sequence[UUID]) -> set[UUID]:
    """Which of these events this generation applied."""
    rows = await conn.fetch("SELECT event_id FROM inbox_events WHERE event_id = ANY($1)",
                            list(event_ids))
    return {row[0] for row in rows}


async def add_revisions(conn: Conn, revisions: Sequence[Revision]) -> None:
    """Keep revisions as published."""
    if not revisions:
        return
    figures = [r.figure for r in revisions]
    await conn.execute(
        "INSERT INTO figure_revisions (indicator, year, scope, revision, numerator,"
        " denominator, target, complete, as_of_position, recorded_at, restated,"
        " previous_value) SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::int[],"
        " $5::numeric[], $6::int[], $7::float8[], $8::bool[], $9::bigint[],"
        " $10::timestamptz[], $11::bool[], $12::float8[]) ON CONFLICT DO NOTHING",
        [f.key.indicator.value for f in figures], [f.key.year for f in figures],
        [f.key.scope for f in figures], [f.revision for f in figures],
        [_exact(f.numerator) for f in figures], [f.denominator for f in figures],
        [f.target for f in figures], [f.complete for f in figures],
        [r.as_of_position for r in revisions], [r.recorded_at for r in revisions],
        [r.restated for r in revisions], [r.previous_value for r in revisions])


async def revisions_at(conn: Conn, year: int, position: int) -> dict[FigureKey, int]:
    """Per figure of a year, the last revision published from a prefix ending at or
    before ``position``."""
    rows = await conn.fetch(
        "SELECT indicator, scope, max(revision) FROM figure_revisions"
        " WHERE year = $1 AND as_of_position <= $2 GROUP BY indicator, scope", year, position)
    return {FigureKey(Indicator(r[0]), year, r[1]): int(r[2]) for r in rows}


async def revisions_of(conn: Conn, key: FigureKey) -> list[Revision]:
    """Every published revision of a figure, in order."""
    rows = await conn.fetch(
        f"SELECT {_FIGURE_COLUMNS}, as_of_position, recorded_at, restated, previous_value"
        " FROM figure_revisions WHERE indicator = $1 AND year = $2 AND scope = $3"
        " ORDER BY revision", key.indicator.value, key.year, key.scope)
    return [Revision(figure_of(r), r["as_of_position"], r["recorded_at"], r["restated"],
                     r["previous_value"]) for r in rows]


@dataclass(frozen=True)
class HistoryRow:
    """One position of the history of the record."""

    position: int
    event_id: UUID
    time: datetime
    facts: AgreementFacts | None
    year: int | None
    targets: tuple[float, float] | None
    item: MappingItem | None = None


async def history_rows(conn: Conn) -> list[HistoryRow]:
    """The whole history of the record, in position order."""
    rows = await conn.fetch("SELECT position, event_id, time, facts::text, year, targets,"
                            " item::text FROM record_history ORDER BY position")
    return [HistoryRow(r[0], r[1], r[2], None if r[3] is None else facts_of_json(r[3], False),
                       r[4], None if r[5] is None else (r[5][0], r[5][1]),
                       None if r[6] is None else item_of_json(r[6], False)) for r in rows]


async def restatements(conn: Conn, figures: Sequence[Figure]
                       ) -> dict[FigureKey, tuple[bool, float | None]]:
    """Per figure, (restated, previous value) of its current revision, as published."""
    if not figures:
        return {}
    rows = await conn.fetch(
        "SELECT indicator, year, scope, restated, previous_value FROM figure_revisions"
        " WHERE (indicator, year, scope, revision) IN (SELECT * FROM unnest($1::text[],"
        " $2::int[], $3::text[], $4::int[]))",
        [f.key.indicator.value for f in figures], [f.key.year for f in figures],
        [f.key.scope for f in figures], [f.revision for f in figures])
    return {FigureKey(Indicator(r[0]), r[1], r[2]): (r[3], r[4]) for r in rows}


async def figure_years(conn: Conn) -> list[int]:
    """The years that have figures, in order."""
    return [r[0] for r in await conn.fetch("SELECT DISTINCT year FROM figures ORDER BY year")]
