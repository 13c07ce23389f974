"""HTTP interface of the reporting service (docs/domain.md#http-interface). Routes stay thin."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from contracts.common import BUSINESS_YEAR_MAX, BUSINESS_YEAR_MIN
from contracts.kpi import SCOPE_PATTERN, Indicator
from contracts.roles import PROVINCE
from plumbing import clock
from plumbing.problems import ProblemException
from services.reporting.application.queries import ReportingQueries
from services.reporting.domain import FigureKey

Year = Annotated[int | None, Query(ge=BUSINESS_YEAR_MIN, le=BUSINESS_YEAR_MAX,
                                   description="Year of the figures.")]
Scope = Annotated[str, Query(pattern=SCOPE_PATTERN, description="province, opd:<code>, "
                             "kind:<KIND>, type:<DOCTYPE> or stage:<STAGE>.")]


def build_router(queries: ReportingQueries) -> APIRouter:
    """``GET /kpis``, ``GET /kpis/{indicator}`` and ``GET /sleeping``."""
    router = APIRouter(tags=["reporting"])

    @router.get("/kpis")
    async def list_figures(year: Year = None) -> list[dict[str, Any]]:
        """Every current figure (of a year): the data fields of ``kpi.updated``."""
        return [f.model_dump(mode="json") for f in await queries.figures(year)]

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
