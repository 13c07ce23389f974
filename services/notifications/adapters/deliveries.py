"""Notices and deliveries in PostgreSQL: the delivery log and the dispatcher's queue.

Claiming uses ``FOR UPDATE SKIP LOCKED`` and a lease (``status = 'sending'`` until
``next_attempt_at``), so several replicas send different deliveries, and a delivery
whose sender died is taken again once its lease ends. Times are the database's (real
time, not the business clock): backoff is about seconds, not business dates.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from plumbing.db import Conn, Pool
from plumbing.tracing import TRACE_KEYS, TRACEPARENT, TRACESTATE, current_trace


@dataclass(frozen=True)
class NewDelivery:
    """A delivery to record for a notice."""

    recipient: str
    channel: str
    address: str
    language: str
    subject: str
    body: str
    payload: Mapping[str, Any]
    status: str = "pending"
    last_error: str | None = None


@dataclass(frozen=True)
class Claimed:
    """A delivery claimed for one attempt."""

    id: int
    agreement_id: UUID | None
    """None for a notice about a figure."""
    rule: str
    recipient: str
    channel: str
    address: str
    subject: str
    body: str
    payload: Mapping[str, Any]
    attempts: int
    trace: Mapping[str, str] = field(default_factory=dict)
    """The trace context its notice was recorded in (``traceparent``, ``tracestate``)."""


async def insert_notice(conn: Conn, agreement_id: UUID | None, rule: str, occasion: str,
                        due_on: date | None, business_on: date) -> int | None:
    """Record a notice; None when it was recorded before (it fires once)."""
    trace = current_trace()  # the event's or the scheduler's span: its deliveries follow
    notice_id: int | None = await conn.fetchval(
        "INSERT INTO notices (agreement_id, rule, occasion, due_on, business_on, traceparent,"
        " tracestate) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        " ON CONFLICT (agreement_id, rule, occasion) DO NOTHING"
        " RETURNING id", agreement_id, rule, occasion, due_on, business_on,
        trace.get(TRACEPARENT), trace.get(TRACESTATE))
    return notice_id


async def fired(conn: Conn, rule: str, occasion: str) -> bool:
    """Whether a notice about no agreement (a figure, a year's mapping, a digest) was
    recorded for this rule and occasion."""
    found = await conn.fetchval(
        "SELECT true FROM notices WHERE agreement_id IS NULL AND rule = $1 AND occasion = $2",
        rule, occasion)
    return bool(found)


async def insert_delivery(conn: Conn, notice_id: int, agreement_id: UUID | None, rule: str,
                          occasion: str, delivery: NewDelivery) -> bool:
    """Record a delivery of a notice; false when this key exists already."""
    inserted = await conn.fetchval(
        "INSERT INTO deliveries (notice_id, agreement_id, rule, occasion, recipient, channel,"
        " address, language, subject, body, payload, status, last_error)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12, $13)"
        " ON CONFLICT (agreement_id, rule, occasion, recipient, channel, address) DO NOTHING"
        " RETURNING true",
        notice_id, agreement_id, rule, occasion, delivery.recipient, delivery.channel,
        delivery.address, delivery.language, delivery.subject, delivery.body,
        json.dumps(delivery.payload, ensure_ascii=False), delivery.status,
        delivery.last_error)
    return bool(inserted)


async def claim(pool: Pool, limit: int, lease_seconds: float) -> list[Claimed]:
    """Take up to ``limit`` deliveries due now for one attempt each."""
    rows = await pool.fetch(
        "UPDATE deliveries d SET status = 'sending', attempts = d.attempts + 1,"
        " next_attempt_at = clock_timestamp() + make_interval(secs => $2)"
        " FROM notices n"
        " WHERE n.id = d.notice_id AND d.id IN (SELECT id FROM deliveries"
        "   WHERE status IN ('pending', 'sending') AND next_attempt_at <= clock_timestamp()"
        "   ORDER BY next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED)"
        " RETURNING d.id, d.agreement_id, d.rule, d.recipient, d.channel, d.address,"
        " d.subject, d.body, d.payload::text AS payload, d.attempts, n.traceparent,"
        " n.tracestate",
        limit, lease_seconds)
    return [Claimed(id=r["id"], agreement_id=r["agreement_id"], rule=r["rule"],
                    recipient=r["recipient"], channel=r["channel"], address=r["address"],
                    subject=r["subject"], body=r["body"], payload=json.loads(r["payload"]),
                    attempts=r["attempts"],
                    trace={k: r[k] for k in TRACE_KEYS if r[k]}) for r in rows]


async def mark_sent(pool: Pool, delivery_ids: list[int],
                    provider_message_id: str | None = None) -> None:
    """The attempts succeeded (one statement for a claimed batch); ``provider_message_id``
    is the id the provider gave the message (a WhatsApp provider's), if any."""
    if delivery_ids:
        await pool.execute("UPDATE deliveries SET status = 'sent', sent_at = clock_timestamp(),"
                           " last_error = NULL,"
                           " provider_message_id = COALESCE($2, provider_message_id)"
                           " WHERE id = ANY($1::bigint[]) AND status = 'sending'",
                           delivery_ids, provider_message_id)


async def mark_retry(pool: Pool, delivery_id: int, error: str, delay_seconds: float) -> None:
    """The attempt failed; try again after ``delay_seconds``."""
    await pool.execute(
        "UPDATE deliveries SET status = 'pending', last_error = $2,"
        " next_attempt_at = clock_timestamp() + make_interval(secs => $3)"
        " WHERE id = $1 AND status = 'sending'", delivery_id, error[:2000], delay_seconds)


async def mark_failed(pool: Pool, delivery_id: int, error: str) -> None:
    """The last allowed attempt failed: the delivery stays failed."""
    await pool.execute("UPDATE deliveries SET status = 'failed', last_error = $2"
                       " WHERE id = $1 AND status = 'sending'", delivery_id, error[:2000])


async def backlog(pool: Pool) -> int:
    """Deliveries not yet sent nor failed."""
    count: int = await pool.fetchval(
        "SELECT count(*) FROM deliveries WHERE status IN ('pending', 'sending')")
    return count


_LOG_COLUMNS = (
    "id, agreement_id, rule, occasion, recipient, channel, address, language, subject,"
    " status, attempts, last_error, next_attempt_at, created_at, sent_at,"
    " provider_message_id")


async def log(pool: Pool, agreement_id: UUID | None, status: str | None, limit: int,
              recipients: frozenset[str] | None = None,
              rule: str | None = None) -> list[dict[str, Any]]:
    """The delivery log, newest first, optionally of one agreement, one status and one
    rule, and of these recipients only (None: of every recipient)."""
    codes = None if recipients is None else sorted(recipients)
    rows = await pool.fetch(
        f"SELECT {_LOG_COLUMNS} FROM deliveries"
        " WHERE ($1::uuid IS NULL OR agreement_id = $1) AND ($2::text IS NULL OR status = $2)"
        "   AND ($4::text[] IS NULL OR recipient = ANY($4::text[]))"
        "   AND ($5::text IS NULL OR rule = $5)"
        " ORDER BY id DESC LIMIT $3", agreement_id, status, limit, codes, rule)
    return [_log_item(dict(r)) for r in rows]


def _log_item(row: dict[str, Any]) -> dict[str, Any]:
    if row["status"] != "pending":
        row["next_attempt_at"] = None
    for key, value in row.items():
        if isinstance(value, datetime):
            row[key] = value.isoformat()
        elif isinstance(value, UUID):
            row[key] = str(value)
    return row
