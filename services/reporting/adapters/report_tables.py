"""The yearly report laid out as tables, once for both renderers: the PDF prints them and
the workbook gives each its sheet, so both files state the same rows. Cells keep their
type (text, count, percentage, date); each renderer writes them its own way."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from services.reporting.adapters.report_words import Words
from services.reporting.domain.evaluation import Evidence
from services.reporting.domain.report import Report

Kind = Literal["code", "text", "count", "percent", "date", "rupiah"]
"""``code``: a short trusted word; ``text``: text from the record (titles, partners,
notes), wrapped and escaped where it is printed; ``rupiah``: whole rupiah."""
NUMERIC: tuple[Kind, ...] = ("count", "percent", "rupiah")
"""The kinds printed right-aligned."""
Value = str | int | float | date | datetime | None


@dataclass(frozen=True)
class Column:
    """A column: its heading, its kind and its width in the PDF (millimetres)."""

    heading: str
    kind: Kind
    width: float


@dataclass(frozen=True)
class Section:
    """One part of the report: a heading, notes above its table, the table."""

    heading: str
    sheet: str
    notes: tuple[str, ...]
    columns: tuple[Column, ...]
    rows: tuple[tuple[Value, ...], ...]


def verify_command(report: Report) -> str:
    """The command that recomputes the report's figures from the public feed."""
    return f"kerjasama kpi verify --year {report.year} --as-of-position {report.position}"


def about(report: Report, w: Words) -> list[tuple[str, Value]]:
    """What the report was computed from: the cover's and the summary's first lines."""
    checkpoint = report.checkpoint
    return [(w("generated_at"), report.generated_at), (w("as_of_day"), report.day),
            (w("position"), report.position),
            (w("checkpoint"), w("no_checkpoint") if checkpoint is None else checkpoint.position),
            (w("head"), w("no_checkpoint") if checkpoint is None else checkpoint.head)]


def remarks(report: Report, w: Words) -> list[str]:
    """What a reader must know before the figures: no data, provisional, no targets."""
    said = []
    if report.empty:
        said.append(w("empty_year", year=report.year))
    if not report.complete:
        said.append(w("provisional"))
    if report.targets is None:
        said.append(w("no_work_program", year=report.year))
    return said


def sections(report: Report, w: Words) -> list[Section]:
    """Every section of the report, in order."""
    year, day = report.year, w.day(report.day)
    c = Column
    title, opd = c(w("title_column"), "text", 52), c(w("lead_opd"), "code", 24)
    indicators = Section(
        w("s_indicators"), w("sheet_indicators"),
        (w("realization_rule", year=year), w("effectiveness_rule", year=year),
         w("achievement_rule")),
        (c(w("indicator"), "text", 54), c(w("numerator"), "count", 22),
         c(w("denominator"), "count", 22), c(w("value"), "percent", 24),
         c(w("target"), "percent", 24), c(w("achievement"), "percent", 28)),
        tuple((w(f.key.indicator.value), int(f.numerator), f.denominator, f.value, f.target,
               f.achievement) for f in report.indicators))
    signed = Section(
        w("s_signed", year=year), w("sheet_signed"), (),
        (c(w("number"), "text", 32), title, c(w("partners"), "text", 38),
         c(w("kind"), "code", 15), c(w("document_type"), "code", 15), opd,
         c(w("signed_on"), "date", 25), c(w("effective_until"), "date", 25)),
        tuple((s.facts.number, s.facts.title, ", ".join(s.partners), s.facts.kind.value,
               s.facts.document_type.value, s.facts.lead_opd, s.facts.signed_on,
               s.facts.in_force_until) for s in report.signed))
    follow_up = Section(
        w("s_follow_up"), w("sheet_follow_up"), (w("follow_up_note", year=year, day=day),),
        (c(w("lead_opd"), "code", 40), c(w("in_force"), "count", 24),
         c(w("followed_up"), "count", 28), c(w("not_followed_up"), "count", 30),
         c(w("share"), "percent", 28), c(w("sleeping_count"), "count", 24)),
        tuple((a.lead_opd, a.in_force, a.followed_up, a.in_force - a.followed_up, a.share,
               a.sleeping) for a in report.follow_up))
    sleeping = Section(
        w("s_sleeping"), w("sheet_sleeping"),
        (w("sleeping_note", days=report.sleeping_after_days, day=day),),
        (title, opd, c(w("document_type"), "code", 16), c(w("signed_on"), "date", 20),
         c(w("last_activity"), "date", 22), c(w("days_quiet"), "count", 22)),
        tuple((s.facts.title, s.facts.lead_opd, s.facts.document_type.value,
               s.facts.signed_on, s.last_activity_on, s.days_without_activity)
              for s in report.sleeping))
    evaluations = Section(
        w("s_evaluations", year=year), w("sheet_evaluations"), (),
        (c(w("evaluated_on"), "date", 20), c(w("title_column"), "text", 46), opd,
         c(w("score"), "count", 16), c(w("recommendation"), "code", 24),
         c(w("note"), "text", 46)),
        tuple((e.evaluation.on, e.facts.title, e.facts.lead_opd, e.evaluation.score,
               w(e.evaluation.recommendation), e.evaluation.note)
              for e in report.evaluations))
    return [indicators, signed, follow_up, sleeping, evaluations,
            _evidence(w("s_evidence_realization"), w("sheet_evidence_realization"),
                      report.realization, w),
            _evidence(w("s_evidence_effectiveness"), w("sheet_evidence_effectiveness"),
                      report.effectiveness, w), *_planning(report, w), _partners(report, w)]


def _planning(report: Report, w: Words) -> list[Section]:
    """Mapping, priorities and value: per agency (the province first), per priority."""
    found = report.planning
    if found is None:
        return []
    c = Column
    amounts = (c(w("value_cash"), "rupiah", 34), c(w("value_in_kind"), "rupiah", 34),
               c(w("revenue"), "rupiah", 34))
    mapped = (c(w("items_mapped"), "count", 20), c(w("items_mapped_realised"), "count", 22))
    agencies = Section(
        w("s_planning_agencies"), w("sheet_planning_agencies"),
        (w("planning_note", year=report.year),),
        (c(w("lead_opd"), "code", 30), *mapped, *amounts),
        tuple((w("province_row") if r.code == "" else r.code, r.items_mapped,
               r.items_realised, r.value_cash, r.value_in_kind, r.revenue)
              for r in (found.province, *found.agencies)))
    priorities = Section(
        w("s_planning_priorities"), w("sheet_planning_priorities"),
        (w("priorities_note", year=report.year),),
        (c(w("priority"), "code", 26), c(w("priority_name"), "text", 34),
         c(w("realization_short"), "percent", 20), c(w("effectiveness_short"), "percent", 20),
         c(w("agreements_count"), "count", 16), *mapped, *amounts),
        tuple((r.code, r.name, r.realization, r.effectiveness, r.agreements, r.items_mapped,
               r.items_realised, r.value_cash, r.value_in_kind, r.revenue)
              for r in found.priorities))
    return [agencies, priorities]


def _partners(report: Report, w: Words) -> Section:
    """The partners with agreements that count in the year, a merged one's in the partner
    it was merged into."""
    c = Column
    return Section(
        w("s_partners", year=report.year), w("sheet_partners"),
        (w("partners_note", year=report.year),),
        (c(w("partner"), "text", 52), c(w("category"), "text", 34),
         c(w("country"), "code", 14), c(w("signed_count"), "count", 22),
         c(w("in_force"), "count", 18), c(w("value_total"), "rupiah", 36),
         c(w("revenue"), "rupiah", 34)),
        tuple((r.name, w.text.get(f"category_{r.category}", r.category), r.country,
               r.signed, r.in_force, r.value, r.revenue) for r in report.partners))


def _evidence(heading: str, sheet: str, proof: Evidence, w: Words) -> Section:
    rows = tuple((w(status), i.title, i.lead_opd, w(i.reason.value),
                  None if i.event is None else w.event(i.event.type),
                  None if i.event is None else i.event.date,
                  None if i.event is None else i.event.position)
                 for status, items in (("counted", proof.counted),
                                       ("excluded", proof.excluded)) for i in items)
    return Section(
        heading, sheet,
        (w("evidence_note", counted=w.number(len(proof.counted)),
           excluded=w.number(len(proof.excluded))),),
        (Column(w("status"), "code", 20), Column(w("title_column"), "text", 50),
         Column(w("lead_opd"), "code", 22), Column(w("reason"), "text", 30),
         Column(w("event"), "code", 22), Column(w("event_date"), "date", 18),
         Column(w("event_position"), "code", 12)), rows)
