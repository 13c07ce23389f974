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


class DuplicateCommand(Exception):
    """Raised when another transaction recorded the same command id first."""


async def find_command(conn: Conn | Pool, command_id: str) -> CommandRecord | None:
    """The record of an accepted command, if any."""
    row = await conn.fetchrow(
        "SELECT command_id, request_hash, stream_id, version, stage, created "
        "FROM commands WHERE command_id = $1", command_id)
    return CommandRecord(**dict(row)) if row else None


async def record_command(conn: Conn, record: CommandRecord) -> None:
    """Remember an accepted command; raises DuplicateCommand on a concurrent twin."""
    try:
        await conn.execute(
            "INSERT INTO commands (command_id, request_hash, stream_id, version, stage, created)"
            " VALUES ($1, $2, $3, $4, $5, $6)", record.command_id, record.request_hash,
            record.stream_id, record.version, record.stage, record.created)
    except asyncpg.UniqueViolationError:
        raise DuplicateCommand(record.command_id) from None


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


async def save_agreement(conn: Conn, row: AgreementRow, position: int) -> None:
    """Insert or replace the current state of an agreement."""
    await conn.execute(
        "INSERT INTO agreements (id, version, stage, kind, document_type, lead_opd, plan_year,"
        " parent_id, state, updated_position) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9::jsonb,$10)"
        " ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, stage = EXCLUDED.stage,"
        " state = EXCLUDED.state, updated_position = EXCLUDED.updated_position",
        row.id, row.version, row.stage, row.kind, row.document_type, row.lead_opd,
        row.plan_year, row.parent_id, json.dumps(row.state), position)


async def note_child_signed(conn: Conn, parent_id: UUID, signed_on: date) -> None:
    """Remember the latest signing of a child PKS/ADDENDUM on its parent (follow-up)."""
    await conn.execute(
        "UPDATE agreements SET last_child_signed_on = GREATEST(last_child_signed_on, $2)"
        " WHERE id = $1", parent_id, signed_on)


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
