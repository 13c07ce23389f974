"""The yearly *Laporan Pelaksanaan Kerja Sama* (DESIGN §11) as data: every section
computed at once from one record of facts (:class:`.evaluation.Record`) at one feed
position, so that its figures, lists and evidence agree with each other and with
``GET /kpis?as_of_position=`` of that position."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from contracts.kpi import CheckpointRef, Indicator
from contracts.roles import PROVINCE
from services.reporting.domain.evaluation import Evidence, KpiRules, Record, evidence, figures
from services.reporting.domain.facts import AgreementFacts
from services.reporting.domain.figures import Figure, FigureKey, percent, target_of
from services.reporting.domain.report_partners import PartnerRow, partner_rows
from services.reporting.domain.report_planning import Planning, planning
from services.reporting.domain.timely import SleepingDocument, as_of, sleeping


@dataclass(frozen=True)
class Evaluation:
    """An evaluation (*monev*) of an agreement, as recorded."""

    agreement_id: UUID
    on: date
    score: int
    recommendation: str
    note: str | None = None


@dataclass(frozen=True)
class SignedAgreement:
    """An agreement signed in the year, with its partners as proposed."""

    facts: AgreementFacts
    partners: tuple[str, ...]


@dataclass(frozen=True)
class AgencyFollowUp:
    """Follow-up in the year of one lead agency's MOUs and PKS in force in it."""

    lead_opd: str
    in_force: int
    followed_up: int
    sleeping: int

    @property
    def share(self) -> float | None:
        """Followed up over in force, in percent (the agency's effectiveness)."""
        return percent(self.followed_up, self.in_force)


@dataclass(frozen=True)
class EvaluatedAgreement:
    """An evaluation of the year and the agreement it evaluates."""

    evaluation: Evaluation
    facts: AgreementFacts


@dataclass(frozen=True)
class Report:
    """Everything the yearly report states, from the record at ``position``."""

    year: int
    position: int
    day: date
    """The day the time-dependent parts (sleeping documents) are taken on."""
    generated_at: datetime
    checkpoint: CheckpointRef | None
    realization: Evidence
    effectiveness: Evidence
    targets: tuple[float, float] | None
    signed: tuple[SignedAgreement, ...]
    follow_up: tuple[AgencyFollowUp, ...]
    sleeping: tuple[SleepingDocument, ...]
    evaluations: tuple[EvaluatedAgreement, ...]
    sleeping_after_days: int = 90
    complete: bool = True
    """False while a parked stream may be missing from the province's figures."""
    planning: Planning | None = None
    """Mapping, priorities and value (None only for a report built without them)."""
    partners: tuple[PartnerRow, ...] = ()
    """The partners with agreements that count in the year."""

    @property
    def indicators(self) -> tuple[Figure, Figure]:
        """Realization and effectiveness against the year's targets, from the evidence."""
        return self._figure(self.realization), self._figure(self.effectiveness)

    def _figure(self, proof: Evidence) -> Figure:
        return Figure(proof.key, proof.numerator, proof.denominator,
                      target_of(proof.key.indicator, self.targets), complete=self.complete)

    @property
    def empty(self) -> bool:
        """Whether nothing at all is recorded for the year."""
        return not (self.realization.denominator or self.effectiveness.denominator
                    or self.signed or self.sleeping or self.evaluations or self.partners
                    or (self.planning is not None and self.planning.province.items_mapped))


def build(record: Record, year: int, *, position: int, today: date, generated_at: datetime,
          checkpoint: CheckpointRef | None, partners: Mapping[UUID, tuple[str, ...]],
          evaluations: Iterable[Evaluation], rules: KpiRules,
          complete: bool = True) -> Report:
    """The report of ``year`` from the record at ``position``; the time-dependent parts
    taken on :func:`~.timely.as_of` (``year``, ``today``), as ``/kpis`` takes them."""
    realization = evidence(record, FigureKey(Indicator.REALIZATION, year, PROVINCE), today,
                           rules)
    effectiveness = evidence(record, FigureKey(Indicator.EFFECTIVENESS, year, PROVINCE),
                             today, rules)
    day = as_of(year, today)
    asleep = _sleeping(record, year, today, rules) if date(year, 1, 1) <= today else []
    signed = sorted((f for f in record.agreements.values()
                     if f.signed_on is not None and f.signed_on.year == year),
                    key=lambda f: (f.signed_on, f.title, str(f.id)))
    evaluated = sorted((EvaluatedAgreement(e, record.agreements[e.agreement_id])
                        for e in evaluations
                        if e.on.year == year and e.agreement_id in record.agreements),
                       key=lambda e: (e.evaluation.on, e.facts.title, str(e.facts.id)))
    found = figures(record, year, today, rules)
    return Report(
        year=year, position=position, day=day, generated_at=generated_at,
        checkpoint=checkpoint, realization=realization, effectiveness=effectiveness,
        targets=record.targets.get(year),
        signed=tuple(SignedAgreement(f, partners.get(f.id, ())) for f in signed),
        follow_up=_follow_up(effectiveness, asleep), sleeping=tuple(asleep),
        evaluations=tuple(evaluated), sleeping_after_days=rules.sleeping_after_days,
        complete=complete, planning=planning(found, year, record.priorities.get(year, ())),
        partners=partner_rows(record.under(rules), year, found))


def _sleeping(record: Record, year: int, today: date,
              rules: KpiRules) -> list[SleepingDocument]:
    """The documents sleeping on the year's day, the longest quiet first."""
    day = as_of(year, today)
    children = record.child_signings()
    found = [s for f in record.under(rules).agreements.values() if f.signed_on is not None
             and (s := sleeping(f, [d for d, _ in children.get(f.id, ())], day,
                                rules.sleeping_after_days)) is not None]
    found.sort(key=lambda s: (-s.days_without_activity, s.facts.lead_opd, s.facts.title,
                              str(s.facts.id)))
    return found


def _follow_up(effectiveness: Evidence,
               asleep: Iterable[SleepingDocument]) -> tuple[AgencyFollowUp, ...]:
    """Per lead agency: its agreements in force in the year, those followed up in it (the
    effectiveness evidence) and its sleeping documents."""
    counts: dict[str, list[int]] = {}
    for items, column in ((effectiveness.counted, 1), (effectiveness.excluded, 0)):
        for item in items:
            row = counts.setdefault(item.lead_opd, [0, 0, 0])
            row[0] += 1
            row[1] += column
    for document in asleep:
        counts.setdefault(document.facts.lead_opd, [0, 0, 0])[2] += 1
    return tuple(AgencyFollowUp(opd, *counts[opd]) for opd in sorted(counts))
