"""The notifications service's own view of an agreement, built from its events.

:func:`evolve` is pure: the previous view (``None`` before the first event), the event's
data and the business date the event was recorded give the next view. The view keeps
only what the rules and the message texts need, and for each fact the date it became
known, so that a reminder falling due before its facts were recorded is never sent.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from uuid import UUID

from contracts.common import Stage
from contracts.events import (
    AgreementEvaluated,
    AgreementEventData,
    AgreementExpired,
    AgreementFollowUpRecorded,
    AgreementMilestoneCompleted,
    AgreementPlanSet,
    AgreementProposed,
    AgreementSigned,
    AgreementTerminated,
)
from services.notifications.domain.lateness import is_old_history


class UnknownAgreement(Exception):
    """Raised when an event names an agreement whose proposal was never applied."""


@dataclass(frozen=True)
class PlannedMilestone:
    """A milestone of the follow-up plan; ``known_on``: when this due date was recorded."""

    id: str
    title: str
    due_on: date
    known_on: date
    completed_on: date | None = None


@dataclass(frozen=True)
class AgreementView:
    """What the rules know about one agreement."""

    id: UUID
    title: str
    kind: str
    document_type: str
    partner_name: str
    partner_country: str
    lead_opd: str
    supporting_opds: tuple[str, ...]
    stage: Stage
    version: int
    proposed_on: date
    recorded_on: date
    parent_id: UUID | None = None
    number: str | None = None
    signed_on: date | None = None
    signing_recorded_on: date | None = None
    effective_from: date | None = None
    effective_until: date | None = None
    has_plan: bool = False
    milestones: tuple[PlannedMilestone, ...] = ()
    last_follow_up_on: date | None = None
    evaluations: tuple[date, ...] = ()
    ended_on: date | None = None
    last_child_signed_on: date | None = None
    """Set when loaded for the scheduler (children are other streams); not evolved."""

    def in_force_on(self, day: date) -> bool:
        """Whether ``day`` lies in the validity period and the agreement is not ended."""
        return (self.stage == Stage.SIGNED and self.effective_from is not None
                and self.effective_until is not None
                and self.effective_from <= day <= self.effective_until)

    def entered_late(self, late_days: int) -> bool:
        """Whether the signing was recorded more than ``late_days`` days after
        ``signed_on`` (old history: its notices were skipped)."""
        return (self.signed_on is not None and self.signing_recorded_on is not None
                and is_old_history(self.signed_on, self.signing_recorded_on, late_days))

    def proposal_entered_late(self, late_days: int) -> bool:
        """Whether the proposal was recorded more than ``late_days`` days after
        ``proposed_on`` (old history: the secretariat was not told of it)."""
        return is_old_history(self.proposed_on, self.recorded_on, late_days)

    def activities(self) -> tuple[date | None, ...]:
        """The dates that count as activity besides the signing (contracts.sleeping): its
        follow-ups, milestone completions and a child's signing (a terminated agreement
        is no longer in force)."""
        return (self.last_follow_up_on, self.last_child_signed_on,
                *(m.completed_on for m in self.milestones))


def _start(data: AgreementProposed, recorded_on: date) -> AgreementView:
    return AgreementView(
        id=data.agreement_id, title=data.title, kind=data.kind.value,
        document_type=data.document_type.value, partner_name=data.partner.name,
        partner_country=data.partner.country, lead_opd=data.lead_opd,
        supporting_opds=tuple(data.supporting_opds), stage=data.stage, version=data.version,
        proposed_on=data.proposed_on, recorded_on=recorded_on, parent_id=data.parent_id)


def _plan(view: AgreementView, data: AgreementPlanSet, recorded_on: date) -> AgreementView:
    previous = {m.id: m for m in view.milestones}
    milestones = []
    for m in data.milestones:
        old = previous.get(m.id)
        known_on = old.known_on if old is not None and old.due_on == m.due_on else recorded_on
        milestones.append(PlannedMilestone(
            id=m.id, title=m.title, due_on=m.due_on, known_on=known_on,
            completed_on=old.completed_on if old is not None else None))
    return replace(view, has_plan=True, milestones=tuple(milestones))


def _complete(view: AgreementView, data: AgreementMilestoneCompleted) -> AgreementView:
    return replace(view, milestones=tuple(
        replace(m, completed_on=data.on) if m.id == data.milestone_id else m
        for m in view.milestones))


def _later(current: date | None, new: date) -> date:
    return new if current is None else max(current, new)


def evolve(view: AgreementView | None, data: AgreementEventData,
           recorded_on: date) -> AgreementView:
    """The view after ``data``, an event recorded on the business date ``recorded_on``."""
    if isinstance(data, AgreementProposed):
        return _start(data, recorded_on)
    if view is None:
        raise UnknownAgreement(f"agreement {data.agreement_id}: {type(data).__name__} "
                               "before its proposal")
    view = replace(view, stage=data.stage, version=data.version)
    if isinstance(data, AgreementSigned):
        return replace(view, number=data.number, signed_on=data.signed_on,
                       signing_recorded_on=recorded_on, effective_from=data.effective_from,
                       effective_until=data.effective_until)
    if isinstance(data, AgreementPlanSet):
        return _plan(view, data, recorded_on)
    if isinstance(data, AgreementFollowUpRecorded):
        return replace(view, last_follow_up_on=_later(view.last_follow_up_on, data.on))
    if isinstance(data, AgreementMilestoneCompleted):
        return _complete(view, data)
    if isinstance(data, AgreementEvaluated):
        return replace(view, evaluations=tuple(sorted({*view.evaluations, data.on})))
    if isinstance(data, AgreementTerminated | AgreementExpired):
        return replace(view, ended_on=data.on)
    return view
