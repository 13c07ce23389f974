"""The agreement views in PostgreSQL (table ``agreements``, JSON) and child signings."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, replace
from datetime import date
from typing import Any
from uuid import UUID

from contracts.common import Stage
from plumbing.db import Conn
from services.notifications.domain import AgreementView, PlannedMilestone

_DATES = ("proposed_on", "recorded_on", "signed_on", "signing_recorded_on", "effective_from",
          "effective_until", "last_follow_up_on", "ended_on", "last_child_signed_on")


def _date(value: Any) -> date | None:
    return None if value is None else date.fromisoformat(value)


def to_json(view: AgreementView) -> str:
    """The view as JSON text (dates ISO, ids strings)."""
    return json.dumps(asdict(view), default=str)


def from_json(text: str | dict[str, Any]) -> AgreementView:
    """The view stored by :func:`to_json`."""
    raw: dict[str, Any] = json.loads(text) if isinstance(text, str) else dict(text)
    for name in _DATES:
        raw[name] = _date(raw.get(name))
    raw["id"] = UUID(raw["id"])
    raw["parent_id"] = UUID(raw["parent_id"]) if raw.get("parent_id") else None
    raw["stage"] = Stage(raw["stage"])
    raw["supporting_opds"] = tuple(raw["supporting_opds"])
    raw["evaluations"] = tuple(date.fromisoformat(d) for d in raw["evaluations"])
    raw["milestones"] = tuple(
        PlannedMilestone(id=m["id"], title=m["title"], due_on=date.fromisoformat(m["due_on"]),
                         known_on=date.fromisoformat(m["known_on"]),
                         completed_on=_date(m.get("completed_on")))
        for m in raw["milestones"])
    return AgreementView(**raw)


async def load(conn: Conn, agreement_id: UUID) -> AgreementView | None:
    """The view of an agreement, its row locked until the transaction ends."""
    text = await conn.fetchval("SELECT view::text FROM agreements WHERE id = $1 FOR UPDATE",
                               agreement_id)
    return None if text is None else from_json(text)


async def save(conn: Conn, view: AgreementView) -> None:
    """Store the view; the scheduler looks at it again."""
    await conn.execute(
        "INSERT INTO agreements (id, view, stage, version) VALUES ($1, $2::jsonb, $3, $4)"
        " ON CONFLICT (id) DO UPDATE SET view = EXCLUDED.view, stage = EXCLUDED.stage,"
        " version = EXCLUDED.version, evaluated_on = NULL, updated_at = now()",
        view.id, to_json(view), view.stage.value, view.version)


async def record_child_signing(conn: Conn, child_id: UUID, parent_id: UUID,
                               signed_on: date) -> None:
    """A signed child follows up its parent: the scheduler looks at the parent again."""
    await conn.execute(
        "INSERT INTO child_signings (child_id, parent_id, signed_on) VALUES ($1, $2, $3)"
        " ON CONFLICT (child_id) DO UPDATE SET signed_on = EXCLUDED.signed_on",
        child_id, parent_id, signed_on)
    await conn.execute("UPDATE agreements SET evaluated_on = NULL WHERE id = $1", parent_id)


async def claim_for_evaluation(conn: Conn, today: date, limit: int) -> list[AgreementView]:
    """Signed agreements not yet evaluated on ``today``, locked (others' locks skipped).

    Each comes with ``last_child_signed_on`` from the child signings.
    """
    rows = await conn.fetch(
        f"SELECT {_WITH_CHILD} FROM agreements a WHERE a.stage = 'SIGNED'"
        " AND (a.evaluated_on IS NULL OR a.evaluated_on <> $1)"
        " ORDER BY a.id LIMIT $2 FOR UPDATE OF a SKIP LOCKED", today, limit)
    return [_with_child(row) for row in rows]


async def in_stages(conn: Conn, stages: Iterable[Stage]) -> list[AgreementView]:
    """The agreements in ``stages``, each with ``last_child_signed_on``. A preselection
    only: which of them were entered late is the domain's to judge
    (:func:`services.notifications.domain.digest.listed`), not this query's."""
    rows = await conn.fetch(
        f"SELECT {_WITH_CHILD} FROM agreements a WHERE a.stage = ANY($1::text[])"
        " ORDER BY a.id", sorted(stage.value for stage in stages))
    return [_with_child(row) for row in rows]


_WITH_CHILD = ("a.view::text AS view, (SELECT max(c.signed_on) FROM child_signings c"
               " WHERE c.parent_id = a.id) AS child")


def _with_child(row: Any) -> AgreementView:
    view = from_json(row["view"])
    if row["child"] is not None:
        view = replace(view, last_child_signed_on=row["child"])
    return view


async def mark_evaluated(conn: Conn, ids: list[UUID], today: date) -> None:
    """Remember that these agreements were evaluated on ``today``."""
    await conn.execute("UPDATE agreements SET evaluated_on = $2 WHERE id = ANY($1::uuid[])",
                       ids, today)
