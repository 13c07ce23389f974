"""The portal's open data under CC BY 4.0: the register as JSON and CSV, the figures as
CSV, and the Atom feed of newly signed agreements. Each agreement names its partner by the
registry's id (``partner_id``: the partner that stays, when its own was merged)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID
from xml.sax.saxutils import escape as xml_escape

import orjson
from fastapi import Request
from fastapi.responses import Response

from contracts.common import one_line
from plumbing.db import Pool
from plumbing.tables import spreadsheet_cell
from services.portal.adapters import partners, store
from services.portal.domain.register import PublicAgreement, Status, document_to_json
from services.portal.entrypoints.responses import cached

LICENCE = "CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)"
SOURCE = "TKKSD Provinsi Jawa Barat"
OPEN_COLUMNS = ("id", "title", "number", "kind", "document_type", "partners",
                "partner_category", "partner_country", "lead_opd", "supporting_opds",
                "sector", "objective", "signed_on", "effective_from", "effective_until",
                "status", "signatory_role", "priority", "value_cash", "value_in_kind",
                "revenue", "partner_id")
KPI_COLUMNS = ("indicator", "year", "scope", "numerator", "denominator", "value", "target",
               "achievement", "revision", "complete", "as_of_position")


def xml_text(text: str) -> str:
    """Stored text as XML character data: escaped, and on one line (events stored before
    the contract refused them may hold control characters, which XML 1.0 forbids)."""
    return xml_escape(one_line(text))


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def open_record(view: PublicAgreement, status: Status, partner_id: UUID | None) -> dict[str, Any]:
    """One agreement of the open data (``partner_id``: the partner it stands under)."""
    return {"id": str(view.id), "title": view.title, "number": view.number,
            "kind": view.kind, "document_type": view.document_type,
            "partners": "; ".join(p.name for p in view.partners),
            "partner_category": view.partners[0].category,
            "partner_country": view.partners[0].country, "lead_opd": view.lead_opd,
            "supporting_opds": " ".join(view.supporting_opds), "sector": view.sector,
            "objective": view.objective, "signed_on": _day(view.signed_on),
            "effective_from": _day(view.effective_from),
            "effective_until": _day(view.effective_until),
            "status": status, "signatory_role": view.signatory_role,
            "priority": view.priority, "value_cash": view.value_cash,
            "value_in_kind": view.value_in_kind, "revenue": view.revenue,
            "partner_id": None if partner_id is None else str(partner_id)}


def open_documents(view: PublicAgreement, base: str) -> list[dict[str, Any]]:
    """The agreement's documents on the register, each with the address of its bytes."""
    return [{**document_to_json(d), "url": f"{base}/register/{view.id}/documents/{d.id}"}
            for d in view.documents]


def csv_response(request: Request, columns: Iterable[str], rows: Iterable[Iterable[Any]],
                 name: str) -> Response:
    """A CSV download with its licence on the first line; formula-like cells quoted."""
    out = io.StringIO()
    out.write(f"# licence: {LICENCE}; source: {SOURCE}\r\n")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([spreadsheet_cell(v) for v in row])
    return cached(request, out.getvalue().encode(), "text/csv; charset=utf-8",
                  {"Content-Disposition": f'attachment; filename="{name}"'})


class OpenData:
    """Serves the open data from the portal's database."""

    def __init__(self, pool: Pool, today: Callable[[], date]) -> None:
        self._pool = pool
        self._today = today

    async def _records(self) -> list[tuple[PublicAgreement, dict[str, Any]]]:
        rows = await store.all_public(self._pool, self._today())
        moved = await partners.survivors(self._pool)
        return [(v, open_record(v, s, moved.get(v.partner_id, v.partner_id)
                                if v.partner_id else None)) for v, s in rows]

    async def agreements_json(self, request: Request) -> Response:
        base = str(request.base_url).rstrip("/")
        body = orjson.dumps({"licence": LICENCE, "source": SOURCE, "agreements": [
            {**record, "documents": open_documents(v, base)}
            for v, record in await self._records()]})
        return cached(request, body, "application/json")

    async def agreements_csv(self, request: Request) -> Response:
        records = [record for _, record in await self._records()]
        return csv_response(request, OPEN_COLUMNS, ([r[c] for c in OPEN_COLUMNS]
                                                    for r in records), "agreements.csv")

    async def kpis_csv(self, request: Request) -> Response:
        items = await store.figures(self._pool)
        return csv_response(request, KPI_COLUMNS, ([i.get(c) for c in KPI_COLUMNS]
                                                   for i in items), "kpis.csv")

    async def atom(self, request: Request) -> Response:
        recent = await store.newly_signed(self._pool, 50)
        base = str(request.base_url).rstrip("/")
        updated = max((at for _, at in recent), default=datetime(2000, 1, 1, tzinfo=UTC))
        entries = "".join(
            f"<entry><id>urn:uuid:{v.id}</id><title>{xml_text(v.title)}</title>"
            f'<link href="{base}/register/{v.id}"/><updated>{at.isoformat()}</updated>'
            f"<summary>{xml_text(', '.join(p.name for p in v.partners))}; "
            f"{xml_text(v.number or '')}; {v.signed_on}</summary></entry>"
            for v, at in recent)
        body = ('<?xml version="1.0" encoding="utf-8"?>'
                '<feed xmlns="http://www.w3.org/2005/Atom">'
                "<title>Kerja sama daerah Provinsi Jawa Barat: baru ditandatangani</title>"
                f'<id>{base}/feed.atom</id><link rel="self" href="{base}/feed.atom"/>'
                f"<updated>{updated.isoformat()}</updated>"
                f"<rights>{LICENCE}</rights>{entries}</feed>").encode()
        return cached(request, body, "application/atom+xml")
