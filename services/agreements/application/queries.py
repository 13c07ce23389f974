"""Read side of the agreements service: state, lists, a stream and the global feed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from contracts.envelope import SOURCE_AGREEMENTS
from contracts.events import WorkProgramAdopted
from contracts.feed import work_program_stream_id
from contracts.partners import normalised_partner_name
from plumbing import clock
from plumbing.db import Pool
from services.agreements.adapters import event_store, mapping_records, partner_records, records
from services.agreements.adapters.cloudevents import to_json
from services.agreements.adapters.event_store import PostgresEventStore
from services.agreements.application.streams import STATE, load, stored_state
from services.agreements.domain import WORK_PROGRAMS, is_sleeping

NDJSON = "application/x-ndjson"
_FEED_NDJSON = """
SELECT (jsonb_build_object(
    'specversion', '1.0', 'id', event_id, 'source', $3::text, 'type', type,
    'subject', stream_id,
    'time', to_char(occurred_at AT TIME ZONE 'Asia/Jakarta', 'YYYY-MM-DD"T"HH24:MI:SS')
        || CASE WHEN extract(microseconds FROM occurred_at)::bigint % 1000000 = 0 THEN ''
                ELSE to_char(occurred_at AT TIME ZONE 'Asia/Jakarta', '.US') END || '+07:00',
    'datacontenttype', 'application/json', 'dataschema', 'urn:kerjasama:schema:' || type,
    'data', data, 'sequence', lpad(version::text, 10, '0'), 'position', position)
  || jsonb_build_object('metadata', metadata, 'hash', hash)
  || CASE WHEN prev_hash IS NULL THEN '{}'::jsonb
          ELSE jsonb_build_object('prevhash', prev_hash) END
  || CASE WHEN metadata ? 'command_id' AND jsonb_typeof(metadata -> 'command_id') <> 'null'
          THEN jsonb_build_object('correlationid', metadata ->> 'command_id',
                                  'causationid', metadata ->> 'command_id')
          ELSE '{}'::jsonb END
  || jsonb_strip_nulls(jsonb_build_object('traceparent', metadata ->> 'traceparent',
                                          'tracestate', metadata ->> 'tracestate')))::text
  FROM events
 WHERE position > $1 AND tx_id < pg_snapshot_xmin(pg_current_snapshot())
 ORDER BY position LIMIT $2
"""
"""The feed of :meth:`AgreementQueries.feed` as one JSON text per event, built by
PostgreSQL: the CloudEvents of ``adapters.cloudevents.to_json`` (time in WIB, +07:00)."""


@dataclass(frozen=True)
class AgreementQueries:
    """Queries answered from the read model and the event store."""

    pool: Pool
    sleeping_after_days: int = 90

    def _view(self, row: records.AgreementRow) -> dict[str, Any]:
        stored = stored_state(row.state)
        state = STATE.validate_python(stored)
        sleeping = is_sleeping(state, clock.today(), self.sleeping_after_days,
                               row.last_child_signed_on)
        return {**stored, "version": row.version, "stage": row.stage,
                "sleeping": sleeping,
                "last_child_signed_on": row.last_child_signed_on and
                row.last_child_signed_on.isoformat()}

    async def get(self, agreement_id: UUID) -> dict[str, Any] | None:
        """One agreement's current state with its ``sleeping`` flag, or None."""
        row = await records.load_agreement(self.pool, agreement_id)
        return self._view(row) if row else None

    async def search(self, *, stage: str | None = None, kind: str | None = None,
                   lead_opd: str | None = None, plan_year: int | None = None,
                   limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        """Agreements matching every given filter."""
        rows = await records.list_agreements(self.pool, stage=stage, kind=kind,
                                             lead_opd=lead_opd, plan_year=plan_year,
                                             limit=limit, offset=offset)
        return [self._view(r) for r in rows]

    async def stream(self, stream_id: str) -> list[dict[str, Any]]:
        """Every event of one stream as CloudEvents, in version order."""
        return [to_json(e) for e in await event_store.read_stream(self.pool, stream_id)]

    async def feed(self, after: int, limit: int) -> list[dict[str, Any]]:
        """The global feed after a position, as CloudEvents; never skips a slow writer."""
        return [to_json(e) for e in await event_store.read_feed(self.pool, after, limit)]

    async def work_program(self, year: int) -> dict[str, Any] | None:
        """The year's work program as it stands (targets, priorities, mapping due date),
        or None when none was adopted."""
        loaded = await load(PostgresEventStore(self.pool), work_program_stream_id(year),
                            WORK_PROGRAMS, WorkProgramAdopted)
        program = loaded.state
        if program is None:
            return None
        return {"year": program.year, "version": program.version,
                "realization_target": program.realization_target,
                "effectiveness_target": program.effectiveness_target,
                "priorities": [{"code": c, "name": n} for c, n in program.priorities],
                "mapping_due_on": program.mapping_due_on and program.mapping_due_on.isoformat()}

    async def mapping_item(self, item_id: UUID) -> dict[str, Any] | None:
        """One mapping item, or None."""
        return await mapping_records.load_item(self.pool, item_id)

    async def mapping(self, year: int, opd: str | None = None,
                      stage: str | None = None) -> list[dict[str, Any]]:
        """A year's mapping (of one agency, in one stage, when given)."""
        return await mapping_records.list_items(self.pool, year, opd, stage)

    async def partner(self, partner_id: UUID) -> dict[str, Any] | None:
        """One partner as it stands with its agreements (and those of every partner merged
        into it); a merged partner is ``{"id", "stage": "MERGED", "merged_into": <the active
        partner it stands for>}``; None when
        the registry does not hold the id."""
        row = await partner_records.load_partner(self.pool, partner_id)
        if row is None:
            return None
        if row.survivor is not None:
            return {"id": str(row.id), "stage": "MERGED", "merged_into": str(row.survivor)}
        agreements = await partner_records.agreements_of(self.pool, partner_id)
        state = {k: v for k, v in row.state.items() if k != "key"}
        return {**state, "version": row.version,
                "agreements": [_summary(a) for a in agreements]}

    async def partners(self, q: str | None, category: str | None, country: str | None,
                       limit: int, offset: int) -> list[dict[str, Any]]:
        """Active partners, by name; ``q`` matches the normalised name."""
        part = normalised_partner_name(q) if q else None
        found = await partner_records.search(self.pool, part or None, category, country,
                                             limit, offset)
        return [{k: v for k, v in p.items() if k != "key"} for p in found]

    async def feed_ndjson(self, after: int, limit: int) -> bytes:
        """:meth:`feed` as newline-delimited JSON, one CloudEvent a line, encoded by the
        database (the fast encoding a replay reads)."""
        rows = await self.pool.fetch(_FEED_NDJSON, after, limit, SOURCE_AGREEMENTS)
        return "".join(f"{row[0]}\n" for row in rows).encode()


SUMMARY_FIELDS = ("id", "title", "kind", "document_type", "stage", "version", "lead_opd",
                  "partner", "partner_id", "plan_year", "proposed_on", "signed_on",
                  "effective_from", "effective_until", "value_cash", "value_in_kind",
                  "revenue")


def _summary(agreement: dict[str, Any]) -> dict[str, Any]:
    """What a partner's page lists of each of its agreements."""
    stored = stored_state(agreement)
    return {field: stored.get(field) for field in SUMMARY_FIELDS}
