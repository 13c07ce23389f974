"""The yearly report as an Excel workbook (openpyxl): a summary sheet ("Ringkasan" /
"Summary") with the feed position and checkpoint it was computed from, then one sheet
per section of :mod:`.report_tables`. Header rows are bold and frozen; counts and
percentages are numbers, dates are dates.

Every text is written as a string cell, never as a formula: openpyxl writes a value that
starts with ``=`` as a formula, so a title such as ``=HYPERLINK(…)`` would run when the
file is opened; a text starting with ``=``, ``+``, ``-`` or ``@`` is also marked with a
quote prefix, so that editing the cell keeps it text. The same report gives the same
bytes (the workbook's and the archive's dates come from the report)."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.writer.excel import ExcelWriter

from services.reporting.adapters.report_tables import (
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

FORMULA_STARTS = ("=", "+", "-", "@")
BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")


def _cell(sheet: WriteOnlyWorksheet, value: Value, kind: str, w: Words, *,
          bold: bool = False) -> Cell:
    if isinstance(value, datetime):  # Excel knows no time zones: the WIB wall clock
        value = value.replace(tzinfo=None)
    cell = WriteOnlyCell(sheet)
    cell.value = value
    if isinstance(value, str):
        cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell.data_type = "s"  # text, never a formula
        cell.quotePrefix = value.startswith(FORMULA_STARTS)
    elif isinstance(value, datetime):
        cell.number_format = f"{w('date_format')} hh:mm"
    elif isinstance(value, date):
        cell.number_format = w("date_format")
    elif isinstance(value, float) or kind == "percent":
        cell.number_format = "0.00"
    elif kind == "rupiah":
        cell.number_format = '"Rp" #,##0'  # shown with the reader's separators
    cell.alignment = WRAP if kind == "text" else TOP
    if bold:
        cell.font = BOLD
    return cell


def _sheet(book: Workbook, title: str, columns: list[Column], rows: list[tuple[Value, ...]],
           w: Words) -> None:
    sheet = book.create_sheet(title[:31])
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(10, column.width * 0.8)
    sheet.freeze_panes = "A2"
    if rows:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(rows) + 1}"
    sheet.append([_cell(sheet, c.heading, "code", w, bold=True) for c in columns])
    for row in rows:
        sheet.append([_cell(sheet, v, c.kind, w) for v, c in zip(row, columns, strict=True)])


def _summary(report: Report, parts: list[Section], w: Words) -> list[tuple[Value, ...]]:
    rows: list[tuple[Value, ...]] = [
        (w("report"), w("title")), (w("government"), w("province")), (w("year"), report.year),
        *about(report, w), (w("check"), verify_command(report))]
    rows += [(w("note"), remark) for remark in remarks(report, w)]
    for figure in report.indicators:
        name = w(figure.key.indicator.value)
        rows += [(f"{name}: {w(part)}", number) for part, number in (
            ("value", figure.value), ("target", figure.target),
            ("achievement", figure.achievement))]
    rows += [(part.heading, len(part.rows)) for part in parts[1:]]
    return rows


def render_xlsx(report: Report, w: Words) -> bytes:
    """The report as an XLSX workbook."""
    book = Workbook(write_only=True)
    book.properties.creator = w("author")
    book.properties.title = f"{w('title')} {report.year}"
    book.properties.created = book.properties.modified = \
        report.generated_at.astimezone(UTC).replace(tzinfo=None)  # written as UTC
    book.properties.language = w("lang")
    parts = sections(report, w)
    _sheet(book, w("summary"), [Column(w("item"), "text", 60),
                                Column(w("value_column"), "code", 90)],
           _summary(report, parts, w), w)
    for part in parts:
        _sheet(book, part.sheet, list(part.columns), list(part.rows), w)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(book, archive).save()  # Workbook.save would stamp "modified" now
    return _dated(out.getvalue(), report.generated_at.replace(tzinfo=None))


def _dated(archive: bytes, at: datetime) -> bytes:
    """The archive with every member dated ``at`` (instead of the moment it was written)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(archive)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            stamp = zipfile.ZipInfo(member.filename, date_time=(
                max(at.year, 1980), at.month, at.day, at.hour, at.minute, at.second))
            stamp.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(stamp, source.read(member.filename))
    return out.getvalue()
