"""HTTP interface of the reporting service (docs/domain.md#http-interface). Routes stay thin."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from contracts.common import BUSINESS_YEAR_MAX, BUSINESS_YEAR_MIN
from contracts.kpi import SCOPE_PATTERN, Indicator
from contracts.roles import PROVINCE
from plumbing import clock
from plumbing.problems import ProblemException
from services.reporting.adapters.outbox import kpi_updated
from services.reporting.application.queries import ReportingQueries
from services.reporting.application.record import (
    FeedUnavailable,
    HistoryIncomplete,
    NotApplied,
    RecordQueries,
)
from services.reporting.domain import FigureKey
from services.reporting.domain.evaluation import evidence
from services.reporting.entrypoints.evidence import (
    WhatIf,
    evidence_csv,
    evidence_json,
    history_json,
)

Year = Annotated[int | None, Query(ge=BUSINESS_YEAR_MIN, le=BUSINESS_YEAR_MAX,
                                   description="Year of the figures.")]
Scope = Annotated[str, Query(pattern=SCOPE_PATTERN, description="province, opd:<code>, "
                             "kind:<KIND>, type:<DOCTYPE>, stage:<STAGE>, priority:<code>, "
                             "category:<PARTNER_CATEGORY> or partner:<id> (agreements, "
                             "value_cash, value_in_kind and revenue only).")]


AsOfPosition = Annotated[int | None, Query(ge=0, le=2**62, description="The figures as "
                                            "computed from the feed up to this position.")]
AsOfTime = Annotated[str | None, Query(max_length=64, description="The figures as computed "
                                       "from the longest feed prefix whose events were all "
                                       "recorded at or before this RFC 3339 time (with an "
                                       "offset).")]
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?"
                      r"([Zz]|[+-]\d{2}:\d{2})$")


def _instant(text: str) -> datetime:
    """An RFC 3339 time with an offset; 422 for anything else."""
    if _RFC3339.match(text):
        try:
            return datetime.fromisoformat(text.replace("z", "Z"))
        except ValueError:
            pass
    raise ProblemException(422, "Invalid as_of", f"as_of must be an RFC 3339 time with an "
                           f"offset, such as 2021-12-31T23:59:59+07:00 (got {text!r})",
                           "urn:kerjasama:problem:invalid-as-of", field="as_of")


def unanswerable(exc: NotApplied | HistoryIncomplete | FeedUnavailable) -> ProblemException:
    """The problem that answers a point of the record that cannot be answered (yet)."""
    if isinstance(exc, FeedUnavailable):
        return ProblemException(503, "Feed unavailable", str(exc),
                                "urn:kerjasama:problem:feed-unavailable",
                                headers={"Retry-After": "5"})
    if isinstance(exc, NotApplied):
        return ProblemException(409, "Not applied yet", str(exc),
                                "urn:kerjasama:problem:not-applied-yet",
                                applied_position=exc.applied)
    return ProblemException(409, "History incomplete", str(exc),
                            "urn:kerjasama:problem:history-incomplete",
                            history_after=exc.after)


def build_router(queries: ReportingQueries, record: RecordQueries) -> APIRouter:
    """``GET /kpis`` (now or as of a point), ``GET /kpis/{indicator}``, its history and
    evidence, ``POST /kpis/what-if`` and ``GET /sleeping``."""
    router = APIRouter(tags=["reporting"])

    @router.get("/kpis")
    async def list_figures(year: Year = None, as_of_position: AsOfPosition = None,
                           as_of: AsOfTime = None) -> list[dict[str, Any]]:
        """Every current figure (of a year): the data fields of ``kpi.updated``; with
        ``as_of_position`` or ``as_of``, as they stood at that point of the record."""
        if as_of_position is None and as_of is None:
            return [f.model_dump(mode="json") for f in await queries.figures(year)]
        if as_of_position is not None and as_of is not None:
            raise ProblemException(422, "Two points", "give as_of_position or as_of, not "
                                   "both", "urn:kerjasama:problem:two-points",
                                   field="as_of_position")
        when = None if as_of is None else _instant(as_of)
        try:
            found = await record.figures(year, position=as_of_position, time=when)
        except (NotApplied, HistoryIncomplete, FeedUnavailable) as exc:
            raise unanswerable(exc) from None
        items = [f.model_dump(mode="json") for f in found.figures]
        return items

    @router.post("/kpis/what-if")
    async def what_if(body: WhatIf) -> dict[str, Any]:
        """The figures of a year under draft rule parameters, over the real history;
        nothing is published or stored."""
        rules = body.rules.apply(record.rules)
        try:
            point, found, snapshot = await record.what_if(body.year, rules)
        except (NotApplied, HistoryIncomplete, FeedUnavailable) as exc:
            raise unanswerable(exc) from None
        items = [kpi_updated(replace(found[k], revision=1), point.position)
                 .model_dump(mode="json") for k in sorted(found)]
        proofs = {}
        for indicator in Indicator:
            proof = evidence(snapshot, FigureKey(indicator, body.year, PROVINCE), point.day,
                             rules)
            proofs[indicator.value] = evidence_json(proof, point.position)
        return {"year": body.year, "rules": body.rules.echo(record.rules),
                "as_of_position": point.position, "figures": items, "evidence": proofs}

    @router.get("/kpis/{indicator}/evidence", response_model=None)
    async def figure_evidence(indicator: Indicator, year: Year = None,
                              scope: Scope = PROVINCE, as_of_position: AsOfPosition = None,
                              format: Annotated[Literal["json", "csv"], Query(
                                  description="json (default) or csv")] = "json",
                              ) -> dict[str, Any] | Response:
        """The agreements behind a figure: counted and excluded, each with the reason and
        the event that decided it."""
        key = FigureKey(indicator, clock.today().year if year is None else year, scope)
        try:
            point, proof = await record.evidence(key, position=as_of_position)
        except (NotApplied, HistoryIncomplete, FeedUnavailable) as exc:
            raise unanswerable(exc) from None
        if format == "csv":
            return Response(evidence_csv(proof), media_type="text/csv; charset=utf-8",
                            headers={"content-disposition": f'attachment; filename="'
                                     f'{indicator.value}-{key.year}-{scope}.csv"'})
        return evidence_json(proof, point.position)

    @router.get("/kpis/{indicator}/history")
    async def figure_history(indicator: Indicator, year: Year = None,
                             scope: Scope = PROVINCE) -> list[dict[str, Any]]:
        """One entry per feed position at which the figure changed, with the revision that
        carried it and whether it restated an ended year's figure."""
        key = FigureKey(indicator, clock.today().year if year is None else year, scope)
        try:
            entries = await record.history(key)
        except HistoryIncomplete as exc:
            raise unanswerable(exc) from None
        return [history_json(e) for e in entries]

    @router.get("/kpis/{indicator}")
    async def one_figure(indicator: Indicator, year: Year = None,
                         scope: Scope = PROVINCE) -> dict[str, Any]:
        """One figure; the year defaults to the current one, the scope to the province."""
        key = FigureKey(indicator, clock.today().year if year is None else year, scope)
        found = await queries.figure(key)
        if found is None:
            raise ProblemException(
                404, "No such figure", f"no {indicator.value} figure for {key.year} in "
                f"scope {scope}: nothing counted there yet",
                "urn:kerjasama:problem:figure-not-found")
        return found.model_dump(mode="json")

    @router.get("/sleeping")
    async def sleeping_documents(year: Year = None) -> list[dict[str, Any]]:
        """The sleeping documents at the end of the year (today for the current year)."""
        found = await queries.sleeping(year)
        return [{
            "agreement_id": str(s.facts.id), "title": s.facts.title, "number": s.facts.number,
            "kind": s.facts.kind.value, "document_type": s.facts.document_type.value,
            "lead_opd": s.facts.lead_opd, "signed_on": s.facts.signed_on.isoformat()
            if s.facts.signed_on else None,
            "effective_until": s.facts.effective_until.isoformat()
            if s.facts.effective_until else None,
            "last_activity_on": s.last_activity_on.isoformat(),
            "days_without_activity": s.days_without_activity,
            "as_of": found.as_of.isoformat(),
        } for s in found.documents]

    return router
