"""The yearly report's section on mapping, priorities and value: per agency and per
priority (named as the work program adopted them), amounts as whole rupiah with the
language's separators in the PDF and as numbers in the workbook."""

from __future__ import annotations

import io
from datetime import date, datetime
from uuid import uuid4

import openpyxl
import pypdfium2  # type: ignore[import-untyped]

from contracts.common import Stage
from contracts.events import AgreementFollowUpRecorded, EventData, WorkProgramAdopted
from contracts.planning import PriorityRecord
from plumbing import clock
from services.reporting.adapters.report_pdf import render_pdf
from services.reporting.adapters.report_words import Words
from services.reporting.adapters.report_xlsx import render_xlsx
from services.reporting.domain.evaluation import KpiRules, record_of
from services.reporting.domain.report import Report, build
from services.reporting.entrypoints.report_text import text_of
from tests.unit.test_reporting_planning import _item, _proposal, _refs, _signed

BIG = 10**15 - 1


def _report() -> Report:
    a, b, item = uuid4(), uuid4(), uuid4()
    events: list[EventData] = [
        WorkProgramAdopted(version=1, year=2021, realization_target=80,
                           effectiveness_target=60, priorities=[
                               PriorityRecord(code="COVID-19", name="Penanganan Covid-19"),
                               PriorityRecord(code="ASET", name="Optimalisasi aset")]),
        _item(item),
        _proposal(a, priority="COVID-19", mapping_item_id=item, value_cash=BIG,
                  value_in_kind=1_250_000),
        _signed(a, date(2021, 3, 1)),
        AgreementFollowUpRecorded(agreement_id=a, version=3, stage=Stage.SIGNED,
                                  on=date(2021, 8, 1), summary="Sewa", revenue=75_000_000),
        _proposal(b, value_cash=BIG, lead_opd="DISHUB"),
        _signed(b, date(2021, 4, 1))]
    return build(record_of(_refs(events)), 2021, position=len(events),
                 today=date(2022, 1, 10), generated_at=datetime(2022, 1, 10, 9, 0,
                                                                 tzinfo=clock.WIB),
                 checkpoint=None, partners={}, evaluations=(), rules=KpiRules())


def test_the_section_states_mapping_and_value_per_agency_and_priority() -> None:
    planning = _report().planning
    assert planning is not None
    province = planning.province
    assert (province.items_mapped, province.items_realised, province.value_cash,
            province.value_in_kind, province.revenue) == (1, 1, 2 * BIG, 1_250_000, 75_000_000)
    assert [(r.code, r.value_cash) for r in planning.agencies] == [
        ("DISHUB", BIG), ("DISKUK", BIG)]
    assert [(r.code, r.name, r.agreements, r.items_mapped, r.realization)
            for r in planning.priorities] == [
        ("COVID-19", "Penanganan Covid-19", 1, 1, 100.0),
        ("ASET", "Optimalisasi aset", 0, 0, None)]


def test_the_pdf_prints_rupiah_with_the_languages_separators() -> None:
    report = _report()
    for language, shown in (("id", "Rp 1.999.999.999.999.998"),
                            ("en", "IDR 1,999,999,999,999,998")):
        words = Words(text_of(language))  # type: ignore[arg-type]
        document = pypdfium2.PdfDocument(render_pdf(report, words))
        try:
            text = " ".join(page.get_textpage().get_text_range() for page in document)
        finally:
            document.close()
        assert words("s_planning_agencies") in text.replace("\r\n", " ").replace("\n", " ")
        assert shown in text, language
        assert "Penanganan Covid-19" in text


def test_the_workbook_keeps_the_amounts_as_numbers_per_agency_and_priority() -> None:
    book = openpyxl.load_workbook(io.BytesIO(render_xlsx(_report(), Words(text_of("id")))))
    rows = list(book["Pemetaan dan nilai"].iter_rows(min_row=2, values_only=True))
    assert rows[0] == ("Provinsi", 1, 1, 2 * BIG, 1_250_000, 75_000_000)
    priorities = list(book["Prioritas"].iter_rows(min_row=2, values_only=True))
    assert priorities[0][:5] == ("COVID-19", "Penanganan Covid-19", 100.0, 100.0, 1)
