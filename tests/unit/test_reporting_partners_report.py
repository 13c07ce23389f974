"""The yearly report's section on partners: every partner with agreements that count in
the year, a merged partner's in the partner it was merged into, named as the registry
names it (as proposed when it is not registered), by category then name, with the
amounts of its ``partner:`` figures, in both languages, in the PDF and the workbook."""

from __future__ import annotations

import io
from datetime import date, datetime
from uuid import UUID, uuid4

import openpyxl
import pypdfium2  # type: ignore[import-untyped]

from contracts.common import Partner, Stage
from contracts.events import AgreementFollowUpRecorded, AgreementSigned, EventData
from contracts.kpi import Indicator
from plumbing import clock
from services.reporting.adapters.report_pdf import render_pdf
from services.reporting.adapters.report_words import Words
from services.reporting.adapters.report_xlsx import render_xlsx
from services.reporting.domain.evaluation import KpiRules, figures, record_of
from services.reporting.domain.figures import FigureKey
from services.reporting.domain.report import Report, build
from services.reporting.entrypoints.report_text import text_of
from tests.unit.test_reporting_partners import _merged, _registered
from tests.unit.test_reporting_planning import _proposal, _refs, _signed

A, B, C, D = (UUID(int=n) for n in (1, 2, 3, 4))
"""A is merged into B (the registry names B "Bank BJB"); C is not registered; D's only
agreement is not signed."""
BIG = 10**15


def _events() -> list[EventData]:
    one, two, three, four = uuid4(), uuid4(), uuid4(), uuid4()
    university = Partner(name="Universitas Padjadjaran", category="STATE_UNIVERSITY",
                         country="ID")
    return [
        _registered(B, "Bank BJB"), _registered(A, "BJB"), _merged(A, B),
        _proposal(one, partner_id=A, value_cash=BIG, value_in_kind=5),
        _signed(one, date(2021, 5, 1)),
        _proposal(two, partner_id=B, proposed_on=date(2019, 3, 1), plan_year=2019),
        AgreementSigned(agreement_id=two, version=2, stage=Stage.SIGNED, number="7",
                        signed_on=date(2019, 6, 1), effective_from=date(2019, 6, 1),
                        effective_until=date(2022, 5, 31), signatory=_signed(
                            two, date(2019, 6, 1)).signatory),
        AgreementFollowUpRecorded(agreement_id=two, version=3, stage=Stage.SIGNED,
                                  on=date(2021, 9, 1), summary="Sewa", revenue=40),
        _proposal(three, partner_id=C, partner=university, kind="SINERGI"),
        _signed(three, date(2021, 2, 1)),
        _proposal(four, partner_id=D)]


def _report(events: list[EventData] | None = None) -> Report:
    return build(record_of(_refs(events or _events())), 2021, position=11,
                 today=date(2022, 1, 10),
                 generated_at=datetime(2022, 1, 10, 9, 0, tzinfo=clock.WIB),
                 checkpoint=None, partners={}, evaluations=(), rules=KpiRules())


def test_the_section_lists_each_surviving_partner_with_its_years_agreements() -> None:
    rows = _report().partners
    assert [(r.partner_id, r.name, r.category, r.country, r.signed, r.in_force, r.value,
             r.revenue) for r in rows] == [
        (C, "Universitas Padjadjaran", "STATE_UNIVERSITY", "ID", 1, 1, 0, 0),
        (B, "Bank BJB", "THIRD_PARTY", "ID", 1, 2, BIG + 5, 40)]


def test_the_sections_amounts_are_the_partners_figures() -> None:
    events = _events()
    found = figures(record_of(_refs(events)), 2021, date(2022, 1, 10))
    [bank] = [r for r in _report(events).partners if r.partner_id == B]
    scope = f"partner:{B}"
    assert bank.value == sum(found[FigureKey(i, 2021, scope)].numerator
                             for i in (Indicator.VALUE_CASH, Indicator.VALUE_IN_KIND))
    assert bank.revenue == found[FigureKey(Indicator.REVENUE, 2021, scope)].numerator
    assert FigureKey(Indicator.VALUE_CASH, 2021, f"partner:{A}") not in found


def test_a_year_without_partners_says_none() -> None:
    report = _report([_registered(A)])
    assert report.partners == () and report.empty


def _pdf_text(report: Report, words: Words) -> str:
    document = pypdfium2.PdfDocument(render_pdf(report, words))
    try:
        text = " ".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()
    return text.replace("\r\n", " ").replace("\n", " ")


def test_the_pdf_names_the_partners_and_their_categories_in_both_languages() -> None:
    report = _report()
    for language, category, amount in (
            ("id", "Perguruan tinggi negeri", "Rp 1.000.000.000.000.005"),
            ("en", "State university", "IDR 1,000,000,000,000,005")):
        words = Words(text_of(language))  # type: ignore[arg-type]
        text = _pdf_text(report, words)
        assert words("s_partners", year=2021) in text, language
        assert "Bank BJB" in text and category in text and amount in text, language
        assert "BJB " not in text.replace("Bank BJB", ""), language  # merged: not listed


def test_the_workbook_has_a_sheet_of_partners_with_numbers() -> None:
    book = openpyxl.load_workbook(io.BytesIO(render_xlsx(_report(), Words(text_of("en")))))
    rows = list(book["Partners"].iter_rows(values_only=True))
    assert rows[0] == ("Partner", "Category", "Country", "Signed", "In force",
                       "Value (cash and in kind)", "Regional revenue")
    assert rows[1:] == [("Universitas Padjadjaran", "State university", "ID", 1, 1, 0, 0),
                        ("Bank BJB", "Third party", "ID", 1, 2, BIG + 5, 40)]
    summary = {r[0]: r[1] for r in book["Summary"].iter_rows(values_only=True)}
    assert summary["10. Cooperation partners in 2021"] == 2
