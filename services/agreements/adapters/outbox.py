"""The agreements outbox: appended events, published to ``kerjasama.events`` by the relay.

Outbox rows are written in the transaction that appends their events (the ``outbox``
table holds positions). A row is ready once no transaction still running may hold an
earlier position (the feed's safe point), so events are published in position order.
Each is sent as a persistent CloudEvent built from the stored event; the relay itself is
:class:`plumbing.relay.OutboxRelay`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from contracts.codec import encode
from contracts.envelope import routing_key_of
from contracts.topology import EVENTS_EXCHANGE
from plumbing.amqp import CLOUDEVENTS_JSON
from plumbing.db import Connection
from plumbing.relay import AfterRound, OutboxRelay, Outgoing, RelaySettings
from plumbing.tracing import TRACE_KEYS
from services.agreements.adapters.cloudevents import to_cloudevent
from services.agreements.adapters.event_store import COLUMNS, stored_event

RELAY_ROLE = "kerjasama.agreements.outbox-relay"
CHANNEL = "kerjasama_outbox"

_READY = (f"SELECT {', '.join('e.' + c.strip() for c in COLUMNS.split(','))} "
          "FROM outbox o JOIN events e ON e.position = o.position "
          "WHERE e.tx_id < pg_snapshot_xmin(pg_current_snapshot()) "
          "ORDER BY o.position LIMIT $1")


class EventsOutbox:
    """The ``outbox`` table of the event store."""

    name = "events"
    exchange = EVENTS_EXCHANGE
    channel = CHANNEL

    async def ready(self, conn: Connection, limit: int) -> Sequence[Any]:
        """Rows below the feed's safe point, in position order."""
        return await conn.fetch(_READY, limit)

    def message(self, row: Any) -> Outgoing:
        """The stored event as its CloudEvent."""
        event = stored_event(row)
        envelope = to_cloudevent(event)
        return Outgoing(key=event.position, routing_key=routing_key_of(event.type),
                        body=encode(envelope), content_type=CLOUDEVENTS_JSON,
                        message_id=str(event.event_id), correlation_id=envelope.correlationid,
                        written_at=event.occurred_at.timestamp(),
                        trace={k: event.metadata[k] for k in TRACE_KEYS if k in event.metadata})

    async def delete(self, conn: Connection, keys: Sequence[int]) -> None:
        """Delete published positions."""
        await conn.execute("DELETE FROM outbox WHERE position = ANY($1::bigint[])", keys)

    async def backlog(self, conn: Connection) -> tuple[int, float | None]:
        """Events appended and not yet published; when the oldest was appended."""
        row = await conn.fetchrow(
            "SELECT count(*) AS n, extract(epoch FROM min(e.occurred_at)) AS oldest "
            "FROM outbox o JOIN events e ON e.position = o.position")
        assert row is not None
        return row["n"], None if row["oldest"] is None else float(row["oldest"])


def events_relay(database_url: str, amqp_url: str, settings: RelaySettings | None = None,
                 after_round: AfterRound | None = None) -> OutboxRelay:
    """The relay of the agreements outbox; ``after_round``: the checkpoint publisher, which
    holds the role with it."""
    return OutboxRelay(EventsOutbox(), database_url, amqp_url, RELAY_ROLE, settings,
                       after_round)
