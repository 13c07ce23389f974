"""The history of the record (DESIGN §9) in a projection generation: every applied event's
facts (of an agreement, a mapping item, a partner or a year's work program) by feed
position, the figures' revisions, and what the record held at any position. Works, like
:mod:`.store`, on a connection already inside :func:`generations.enter`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import orjson

from contracts.kpi import Indicator
from plumbing.db import Conn
from services.reporting.adapters import partner_rows, planning_rows
from services.reporting.adapters.history_json import facts_json, facts_of_json
from services.reporting.adapters.partner_rows import partner_json, partner_of_json
from services.reporting.adapters.planning_rows import item_json, item_of_json
from services.reporting.adapters.store import (
    FACT_COLUMNS,
    FIGURE_COLUMNS,
    as_of_position,
    exact,
    facts_of_row,
    figure_of,
    work_programs,
)
from services.reporting.domain import AgreementFacts, Figure, FigureKey
from services.reporting.domain.batch import Step
from services.reporting.domain.evaluation import Record
from services.reporting.domain.figures import Revision
from services.reporting.domain.mapping import MappingItem
from services.reporting.domain.partners import PartnerFacts


def _history_row(step: Step, time: datetime) -> tuple[object, ...]:
    program = step.work_program
    return (step.ref.position, step.ref.id, time,
            step.facts.id if step.facts else None,
            facts_json(step.facts) if step.facts else None,
            program[0] if program else None,
            [program[1][0], program[1][1]] if program else None,
            step.item.id if step.item else None,
            item_json(step.item) if step.item else None,
            orjson.dumps(program[2]).decode() if program else None,
            step.partner.id if step.partner else None,
            partner_json(step.partner) if step.partner else None)


_HISTORY_COLUMNS = ("position", "event_id", "time", "agreement_id", "facts", "year", "targets",
                    "item_id", "item", "priorities", "partner_id", "partner")


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
        " targets, item_id, item, priorities, partner_id, partner) SELECT p, e, t, a,"
        " f::json, y, CASE WHEN y IS NULL THEN NULL ELSE ARRAY[r, x] END, i, m::json,"
        " q::json, b, c::json FROM unnest($1::bigint[], $2::uuid[], $3::timestamptz[],"
        " $4::uuid[], $5::text[], $6::int[], $7::float8[], $8::float8[], $9::uuid[],"
        " $10::text[], $11::text[], $12::uuid[], $13::text[])"
        " AS u(p, e, t, a, f, y, r, x, i, m, q, b, c) ON CONFLICT (position) DO NOTHING",
        *map(list, columns[:6]), [None if v is None else v[0] for v in targets],
        [None if v is None else v[1] for v in targets],
        *map(list, columns[7:]))


async def record_at(conn: Conn, position: int, *, refs: bool = True) -> Record:
    """The facts of every agreement, mapping item and partner, and the targets and
    priorities of every year, as they stood after ``position``: one row per agreement,
    item or partner (its latest at or below), not a replay; the events behind the facts
    only if ``refs``."""
    if position >= await as_of_position(conn):  # the current facts are the record there
        rows = await conn.fetch(f"SELECT {FACT_COLUMNS} FROM agreements")
        return Record({row["agreement_id"]: facts_of_row(row, refs) for row in rows},
                      await work_programs(conn), await planning_rows.load_items(conn),
                      await planning_rows.priorities(conn), await partner_rows.load_all(conn))
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
    partners = await conn.fetch(
        "SELECT h.partner::text FROM (SELECT DISTINCT ON (partner_id) position"
        " FROM record_history WHERE partner_id IS NOT NULL AND position <= $1"
        " ORDER BY partner_id, position DESC) p JOIN record_history h USING (position)",
        position)
    programs = await conn.fetch(
        "SELECT DISTINCT ON (year) year, targets, priorities::text FROM record_history"
        " WHERE year IS NOT NULL AND position <= $1 ORDER BY year, position DESC", position)
    agreements = {f.id: f for f in (facts_of_json(row[0], refs) for row in rows)}
    mapped = {i.id: i for i in (item_of_json(row[0], refs) for row in items)}
    return Record(agreements, {row[0]: (row[1][0], row[1][1]) for row in programs}, mapped,
                  {row[0]: planning_rows.priorities_of(row[2]) for row in programs},
                  {p.id: p for p in (partner_of_json(row[0], refs) for row in partners)})


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
        [exact(f.numerator) for f in figures], [f.denominator for f in figures],
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
        f"SELECT {FIGURE_COLUMNS}, as_of_position, recorded_at, restated, previous_value"
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
    partner: PartnerFacts | None = None


async def history_rows(conn: Conn) -> list[HistoryRow]:
    """The whole history of the record, in position order."""
    rows = await conn.fetch("SELECT position, event_id, time, facts::text, year, targets,"
                            " item::text, partner::text FROM record_history"
                            " ORDER BY position")
    return [HistoryRow(r[0], r[1], r[2], None if r[3] is None else facts_of_json(r[3], False),
                       r[4], None if r[5] is None else (r[5][0], r[5][1]),
                       None if r[6] is None else item_of_json(r[6], False),
                       None if r[7] is None else partner_of_json(r[7], False)) for r in rows]


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
