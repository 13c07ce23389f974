"""The outbox of ``kpi.updated`` messages: written with the projection change, published
after commit to ``kerjasama.kpi`` by the relay (:class:`plumbing.relay.OutboxRelay`), in
the order written. Subscribers drop a repeated or stale ``revision``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import uuid4

from contracts.codec import encode, make_envelope
from contracts.envelope import CONTENT_TYPE, SOURCE_REPORTING
from contracts.kpi import CheckpointRef, KpiUpdated, kpi_routing_key, kpi_subject
from contracts.topology import KPI_EXCHANGE
from plumbing import clock
from plumbing.db import Conn, Connection
from plumbing.relay import OutboxRelay, Outgoing, RelaySettings
from plumbing.tracing import TRACE_KEYS, TRACEPARENT, TRACESTATE, current_trace
from services.reporting.domain import Figure
from services.reporting.domain.figures import Revision

NOTIFY_CHANNEL = "reporting_kpi_outbox"
RELAY_ROLE = "kerjasama.reporting.kpi-relay"


def kpi_updated(figure: Figure, as_of_position: int, *, restated: bool = False,
                previous_value: float | None = None,
                checkpoint: CheckpointRef | None = None) -> KpiUpdated:
    """The ``kpi.updated`` data of a figure (also the item of ``GET /kpis``)."""
    return KpiUpdated(
        indicator=figure.key.indicator, year=figure.key.year, scope=figure.key.scope,
        numerator=figure.numerator, denominator=figure.denominator, value=figure.value,
        target=figure.target, achievement=figure.achievement, as_of_position=as_of_position,
        revision=figure.revision, complete=figure.complete, restated=restated,
        previous_value=previous_value, checkpoint=checkpoint)


async def checkpoint_at(conn: Conn, position: int) -> CheckpointRef | None:
    """The last signed checkpoint known at or below ``position``."""
    row = await conn.fetchrow("SELECT position, hash FROM ledger_checkpoints"
                              " WHERE position <= $1 ORDER BY position DESC LIMIT 1", position)
    return None if row is None else CheckpointRef(position=row[0], head=row[1])


async def add(conn: Conn, revisions: Sequence[Revision],
              traces: Sequence[Mapping[str, str] | None] | None = None) -> None:
    """Queue one ``kpi.updated`` per revision, inside the caller's transaction, each in its
    trace context (``traces``, one per revision; the current span's where None)."""
    if not revisions:
        return
    rows = []
    here = current_trace()
    checkpoints: dict[int, CheckpointRef | None] = {}
    for revision, trace in zip(revisions, traces or [None] * len(revisions), strict=True):
        trace = trace or here
        at = revision.as_of_position
        if at not in checkpoints:
            checkpoints[at] = await checkpoint_at(conn, at)
        data = kpi_updated(revision.figure, at, restated=revision.restated,
                           previous_value=revision.previous_value, checkpoint=checkpoints[at])
        envelope = make_envelope(data, source=SOURCE_REPORTING, time=clock.now(),
                                 subject=kpi_subject(data), id=uuid4(),
                                 traceparent=trace.get(TRACEPARENT),
                                 tracestate=trace.get(TRACESTATE))
        rows.append((envelope.id, kpi_routing_key(data), encode(envelope),
                     trace.get(TRACEPARENT), trace.get(TRACESTATE)))
    await conn.execute(
        "INSERT INTO kpi_outbox (message_id, routing_key, body, traceparent, tracestate)"
        " SELECT * FROM unnest($1::uuid[], $2::text[], $3::bytea[], $4::text[], $5::text[])",
        *([r[i] for r in rows] for i in range(5)))


class KpiOutbox:
    """The ``kpi_outbox`` table: messages encoded when written."""

    name = "kpi"
    exchange = KPI_EXCHANGE
    channel = NOTIFY_CHANNEL

    async def ready(self, conn: Connection, limit: int) -> Sequence[Any]:
        """The oldest rows, in the order written."""
        return await conn.fetch(
            "SELECT id, message_id, routing_key, body, extract(epoch FROM created_at) AS at,"
            " traceparent, tracestate FROM kpi_outbox ORDER BY id LIMIT $1", limit)

    def message(self, row: Any) -> Outgoing:
        """The stored message."""
        return Outgoing(key=row["id"], routing_key=row["routing_key"], body=bytes(row["body"]),
                        content_type=CONTENT_TYPE, message_id=str(row["message_id"]),
                        written_at=float(row["at"]),
                        trace={k: row[k] for k in TRACE_KEYS if row[k]})

    async def delete(self, conn: Connection, keys: Sequence[int]) -> None:
        """Delete published rows."""
        await conn.execute("DELETE FROM kpi_outbox WHERE id = ANY($1::bigint[])", keys)

    async def backlog(self, conn: Connection) -> tuple[int, float | None]:
        """Messages waiting; when the oldest was written."""
        row = await conn.fetchrow("SELECT count(*) AS n, extract(epoch FROM min(created_at))"
                                  " AS oldest FROM kpi_outbox")
        assert row is not None
        return row["n"], None if row["oldest"] is None else float(row["oldest"])


def kpi_relay(database_url: str, amqp_url: str,
              settings: RelaySettings | None = None) -> OutboxRelay:
    """The relay of reporting's outbox."""
    return OutboxRelay(KpiOutbox(), database_url, amqp_url, RELAY_ROLE,
                       settings or RelaySettings(batch_size=200))
