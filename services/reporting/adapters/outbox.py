"""The outbox of ``kpi.updated`` messages: written with the projection change, published
after commit by :class:`~services.reporting.adapters.relay.OutboxRelay`."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import uuid4

from contracts.codec import encode, make_envelope
from contracts.envelope import SOURCE_REPORTING
from contracts.kpi import KpiUpdated, kpi_routing_key, kpi_subject
from plumbing import clock
from plumbing.db import Conn

from ..domain import Figure

NOTIFY_CHANNEL = "reporting_kpi_outbox"


def kpi_updated(figure: Figure, as_of_position: int) -> KpiUpdated:
    """The ``kpi.updated`` data of a figure (also the item of ``GET /kpis``)."""
    return KpiUpdated(
        indicator=figure.key.indicator, year=figure.key.year, scope=figure.key.scope,
        numerator=figure.numerator, denominator=figure.denominator, value=figure.value,
        target=figure.target, achievement=figure.achievement, as_of_position=as_of_position,
        revision=figure.revision, complete=figure.complete)


async def add(conn: Conn, figures: Sequence[Figure], as_of_position: int) -> None:
    """Queue one ``kpi.updated`` per figure, inside the caller's transaction."""
    if not figures:
        return
    rows = []
    for figure in figures:
        data = kpi_updated(figure, as_of_position)
        envelope = make_envelope(data, source=SOURCE_REPORTING, time=clock.now(),
                                 subject=kpi_subject(data), id=uuid4())
        rows.append((envelope.id, kpi_routing_key(data), encode(envelope)))
    await conn.execute(
        "INSERT INTO kpi_outbox (message_id, routing_key, body)"
        " SELECT * FROM unnest($1::uuid[], $2::text[], $3::bytea[])",
        [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])
