"""Rows of what the yearly report names besides the facts: each agreement's partners as
proposed and every evaluation, each with the feed position of the event that recorded it
(tables ``agreement_partners`` and ``evaluations`` of a generation)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from uuid import UUID

from contracts.events import AgreementEvaluated, AgreementProposed, AgreementProposedV1
from plumbing.db import Conn
from services.reporting.domain.report import Evaluation


async def save(conn: Conn, events: Iterable[tuple[object, UUID, int | None]]) -> None:
    """Keep the partners of proposals and the evaluations among applied events, each
    given as (data, event id, feed position); a repeat is skipped."""
    parties: list[tuple[UUID, int | None, list[str]]] = []
    evaluations: list[tuple[UUID, int | None, UUID, date, int, str, str | None]] = []
    for data, event_id, position in events:
        if isinstance(data, AgreementProposed | AgreementProposedV1):
            parties.append((data.agreement_id, position,
                            [data.partner.name, *(p.name for p in data.co_partners)]))
        elif isinstance(data, AgreementEvaluated):
            evaluations.append((event_id, position, data.agreement_id, data.on, data.score,
                                data.recommendation.value, data.note))
    if parties:
        await conn.executemany(
            "INSERT INTO agreement_partners (agreement_id, position, partners)"
            " VALUES ($1, $2, $3) ON CONFLICT (agreement_id) DO NOTHING", parties)
    if evaluations:
        columns = list(zip(*evaluations, strict=True))
        await conn.execute(
            "INSERT INTO evaluations (event_id, position, agreement_id, evaluated_on, score,"
            " recommendation, note) SELECT * FROM unnest($1::uuid[], $2::bigint[],"
            " $3::uuid[], $4::date[], $5::int[], $6::text[], $7::text[])"
            " ON CONFLICT (event_id) DO NOTHING", *map(list, columns))


async def kept_after(conn: Conn) -> int:
    """The details start after this position (0: every event's are kept)."""
    return int(await conn.fetchval("SELECT after FROM report_details_coverage") or 0)


async def partners(conn: Conn, ids: Iterable[UUID], position: int
                   ) -> dict[UUID, tuple[str, ...]]:
    """The partners of these agreements as proposed by ``position``."""
    rows = await conn.fetch(
        "SELECT agreement_id, partners FROM agreement_partners"
        " WHERE agreement_id = ANY($1::uuid[]) AND coalesce(position, 0) <= $2",
        list(ids), position)
    return {row[0]: tuple(row[1]) for row in rows}


async def evaluations(conn: Conn, year: int, position: int) -> list[Evaluation]:
    """The evaluations dated in ``year`` recorded by ``position``."""
    rows = await conn.fetch(
        "SELECT agreement_id, evaluated_on, score, recommendation, note FROM evaluations"
        " WHERE evaluated_on BETWEEN make_date($1, 1, 1) AND make_date($1, 12, 31)"
        " AND coalesce(position, 0) <= $2 ORDER BY evaluated_on, position", year, position)
    return [Evaluation(r[0], r[1], r[2], r[3], r[4]) for r in rows]
