"""Command records (idempotency) and the agreements read model, both in the append's tx."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

import asyncpg

from plumbing.db import Conn, Pool


@dataclass(frozen=True)
class CommandRecord:
    """What an accepted command answered."""

    command_id: str
    request_hash: str
    stream_id: str
    version: int
    stage: str
    created: bool


async def find_command(conn: Conn | Pool, command_id: str) -> CommandRecord | None:
    """The record of an accepted command, if any."""
    row = await conn.fetchrow(
        "SELECT command_id, request_hash, stream_id, version, stage, created "
        "FROM commands WHERE command_id = $1", command_id)
    return CommandRecord(**dict(row)) if row else None


@dataclass(frozen=True)
class AgreementRow:
    """One row of the read model."""

    id: UUID
    version: int
    stage: str
    kind: str
    document_type: str
    lead_opd: str
    plan_year: int | None
    parent_id: UUID | None
    state: dict[str, Any]
    last_child_signed_on: date | None


_ROW = ("id, version, stage, kind, document_type, lead_opd, plan_year, parent_id, state, "
        "last_child_signed_on")


def _agreement(record: asyncpg.Record) -> AgreementRow:
    values = dict(record)
    values["state"] = json.loads(values["state"])
    return AgreementRow(**values)


async def load_agreement(conn: Conn | Pool, agreement_id: UUID) -> AgreementRow | None:
    """The read-model row of one agreement."""
    row = await conn.fetchrow(f"SELECT {_ROW} FROM agreements WHERE id = $1", agreement_id)
    return _agreement(row) if row else None


async def list_agreements(conn: Conn | Pool, *, stage: str | None, kind: str | None,
                          lead_opd: str | None, plan_year: int | None, limit: int,
                          offset: int) -> list[AgreementRow]:
    """Agreements matching every given filter, oldest first."""
    rows = await conn.fetch(
        f"SELECT {_ROW} FROM agreements WHERE ($1::text IS NULL OR stage = $1)"
        " AND ($2::text IS NULL OR kind = $2) AND ($3::text IS NULL OR lead_opd = $3)"
        " AND ($4::int IS NULL OR plan_year = $4)"
        " ORDER BY (state->>'proposed_on'), id LIMIT $5 OFFSET $6",
        stage, kind, lead_opd, plan_year, limit, offset)
    return [_agreement(r) for r in rows]


async def past_their_end(conn: Conn | Pool, today: date, limit: int = 500) -> list[UUID]:
    """Signed agreements whose last day in force (``effective_until``) is before ``today``."""
    rows = await conn.fetch(
        "SELECT id FROM agreements WHERE stage = 'SIGNED' "
        "AND (state->>'effective_until')::date < $1 ORDER BY id LIMIT $2", today, limit)
    return [r["id"] for r in rows]
