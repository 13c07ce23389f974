"""The yearly report as PDF (ReportLab platypus, A4 landscape): a cover stating the feed
position and ledger checkpoint it was computed from, then the sections of
:mod:`.report_tables`, with "Halaman X dari Y" on every page.

Text from the record (titles, partners, notes) is escaped before it becomes a paragraph:
ReportLab parses a paragraph's text as mini-HTML, so ``<b>&`` must print as written. The
same report gives the same bytes (the document's id and dates come from the report)."""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from services.reporting.adapters.report_page import (
    INK,
    MARGIN,
    PAGE,
    RULE,
    SHADE,
    WIDTH,
    numbered_canvas,
    style,
)
from services.reporting.adapters.report_tables import (
    NUMERIC,
    Column,
    Section,
    Value,
    about,
    remarks,
    sections,
    verify_command,
)
from services.reporting.adapters.report_words import Words
from services.reporting.domain.report import Report

CHUNK = 200
"""Rows per table: a long table is cut in blocks, each split across pages cheaply."""
PADDING = 12  # points: a table cell's left and right padding
BODY, CELL, HEAD = style(9.5, spaceAfter=4), style(7.5), style(7.5, bold=True)
HEAD_RIGHT = style(7.5, bold=True, align=2)
H1 = style(24, bold=True, align=1, spaceAfter=10)
H2 = style(13, bold=True, spaceBefore=10, spaceAfter=6)
ROOM = 45 * mm
"""A section starts on a new page unless this much of the page is left (its heading, notes
and first rows together)."""
CENTRED, YEAR = style(14, align=1, spaceAfter=6), style(18, bold=True, align=1, spaceAfter=8)
CODE = style(8.5, fontName="Courier", spaceAfter=4)


def _cell(value: Value, column: Column, width: float, w: Words) -> Any:
    if value is None or value == "":
        return "-"
    if column.kind == "text":
        text = str(value)
        # A text that fits is drawn as it is (a plain cell is never parsed); a longer one
        # wraps in a paragraph, escaped. Paragraphs cost most of the rendering time.
        if pdfmetrics.stringWidth(text, "Vera", 7.5) <= width - PADDING and "\n" not in text:
            return text
        return Paragraph(escape(text), CELL)
    if column.kind == "rupiah" and isinstance(value, int):
        return w.rupiah(value)
    return _plain(value, w, short=True)


def _plain(value: Value, w: Words, *, short: bool = False) -> str:
    if isinstance(value, datetime):
        return w.moment(value)
    if isinstance(value, date):
        return w.short(value) if short else w.day(value)
    if isinstance(value, float) or (isinstance(value, int) and short):
        return w.number(value)
    return "-" if value is None else str(value)


def _table(section: Section, w: Words) -> list[Flowable]:
    if not section.rows:
        return [Paragraph(escape(w("none")), BODY)]
    total = sum(c.width for c in section.columns)
    widths = [WIDTH * c.width / total for c in section.columns]
    look: list[Any] = [
        ("FONT", (0, 0), (-1, -1), "Vera", 7.5), ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("VALIGN", (0, 0), (-1, -1), "TOP"), ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        *(("ALIGN", (i, 0), (i, -1), "RIGHT") for i, c in enumerate(section.columns)
          if c.kind in NUMERIC)]
    heading = [Paragraph(escape(c.heading), HEAD_RIGHT if c.kind in NUMERIC
                         else HEAD) for c in section.columns]
    found: list[Flowable] = []
    for start in range(0, len(section.rows), CHUNK):
        rows = [[_cell(v, c, width, w)
                 for v, c, width in zip(row, section.columns, widths, strict=True)]
                for row in section.rows[start:start + CHUNK]]
        found.append(Table([heading, *rows], colWidths=widths, repeatRows=1,
                           style=TableStyle(look)))
    return found


def _cover(report: Report, w: Words) -> list[Flowable]:
    indicators = sections(report, w)[0]
    lines = [[Paragraph(escape(label), HEAD), Paragraph(escape(_plain(value, w)), CELL)]
             for label, value in about(report, w)]
    return [Spacer(1, 10 * mm), Paragraph(escape(w("title")), H1),
            Paragraph(escape(w("province")), CENTRED),
            Paragraph(escape(w("year_line", year=report.year)), YEAR),
            *(Paragraph(escape(r), style(10, bold=True, spaceAfter=6))
              for r in remarks(report, w)),
            Paragraph(escape(indicators.heading), H2), *_table(indicators, w),
            *(Paragraph(escape(n), style(8, spaceBefore=2)) for n in indicators.notes),
            Spacer(1, 6 * mm),
            Table(lines, colWidths=[70 * mm, WIDTH - 70 * mm], style=TableStyle(
                [("VALIGN", (0, 0), (-1, -1), "TOP"),
                 ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE)])),
            Spacer(1, 4 * mm), Paragraph(escape(w("verify", position=report.position)), BODY),
            Paragraph(escape(verify_command(report)), CODE), PageBreak()]


def render_pdf(report: Report, w: Words) -> bytes:
    """The report as a PDF document."""
    out = io.BytesIO()
    title = f"{w('title')} {report.year}"
    doc = SimpleDocTemplate(out, pagesize=PAGE, leftMargin=MARGIN, rightMargin=MARGIN,
                            topMargin=MARGIN, bottomMargin=MARGIN + 4 * mm, title=title,
                            author=w("author"), subject=w("province"), creator="kerjasama",
                            lang=w("lang"), invariant=True)
    story = _cover(report, w)
    for section in sections(report, w)[1:]:
        story += [CondPageBreak(ROOM), Paragraph(escape(section.heading), H2),
                  *(Paragraph(escape(n), BODY) for n in section.notes), *_table(section, w)]
    at = report.generated_at
    stamp = f"D:{at:%Y%m%d%H%M%S}+07'00'"
    footer = f"{title} · {w('position')} {report.position}"
    doc.build(story, canvasmaker=numbered_canvas(
        footer, lambda page, pages: w("page", page=page, pages=pages), stamp))
    return out.getvalue()
