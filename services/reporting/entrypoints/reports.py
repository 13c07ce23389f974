"""``GET /reports/{year}.pdf`` and ``GET /reports/{year}.xlsx``: the yearly *Laporan
Pelaksanaan Kerja Sama* (DESIGN §11), in Bahasa Indonesia or, with ``?lang=en``, in
English. The report is gathered from one read of the record, then rendered off the event
loop (a large year takes seconds of CPU)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from contracts.common import BUSINESS_YEAR_MAX, BUSINESS_YEAR_MIN
from services.reporting.adapters.report_words import Words
from services.reporting.application.record import (
    FeedUnavailable,
    HistoryIncomplete,
    NotApplied,
)
from services.reporting.application.report import ReportQueries
from services.reporting.domain.report import Report
from services.reporting.entrypoints.http import AsOfPosition, unanswerable
from services.reporting.entrypoints.report_text import Language, text_of

ReportYear = Annotated[int, Path(ge=BUSINESS_YEAR_MIN, le=BUSINESS_YEAR_MAX,
                                 description="Year of the report.")]
Lang = Annotated[Language, Query(description="id (Bahasa Indonesia, default) or en.")]
POSITION_HEADER = "Kerjasama-As-Of-Position"
def render_pdf(report: Report, words: Words) -> bytes:
    """The report as PDF. ReportLab is loaded on the first report, not at start: a
    service that is never asked for one does not carry it (about 6 MB)."""
    from services.reporting.adapters.report_pdf import render_pdf as render
    return render(report, words)


def render_xlsx(report: Report, words: Words) -> bytes:
    """The report as XLSX (openpyxl, about 5 MB, loaded on the first report)."""
    from services.reporting.adapters.report_xlsx import render_xlsx as render
    return render(report, words)


FORMATS: dict[str, tuple[str, Callable[[Report, Words], bytes]]] = {
    "pdf": ("application/pdf", render_pdf),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             render_xlsx),
}


def _documented(form: str) -> dict[int | str, dict[str, Any]]:
    return {200: {"content": {FORMATS[form][0]: {}}, "description": "The report."}}


def build_report_router(reports: ReportQueries) -> APIRouter:
    """The routes of the yearly report."""
    router = APIRouter(tags=["reporting"])

    async def answer(year: int, lang: Language, position: int | None, form: str) -> Response:
        try:
            report = await reports.report(year, position=position)
        except (NotApplied, HistoryIncomplete, FeedUnavailable) as exc:
            raise unanswerable(exc) from None
        media_type, render = FORMATS[form]
        words = Words(text_of(lang))
        body = await asyncio.to_thread(render, report, words)
        name = words("filename", year=year)
        return Response(body, media_type=media_type, headers={
            "content-disposition": f'attachment; filename="{name}.{form}"',
            POSITION_HEADER: str(report.position)})

    @router.get("/reports/{year}.pdf", response_class=Response, responses=_documented("pdf"))
    async def report_pdf(year: ReportYear, lang: Lang = "id",
                         as_of_position: AsOfPosition = None) -> Response:
        """The yearly report as PDF, computed from the record at one feed position (the
        last applied one, or ``as_of_position``), which its cover names."""
        return await answer(year, lang, as_of_position, "pdf")

    @router.get("/reports/{year}.xlsx", response_class=Response,
                responses=_documented("xlsx"))
    async def report_xlsx(year: ReportYear, lang: Lang = "id",
                          as_of_position: AsOfPosition = None) -> Response:
        """The yearly report as an XLSX workbook: a summary sheet, then a sheet per
        section."""
        return await answer(year, lang, as_of_position, "xlsx")

    return router

