"""Deciding the actions after signing: plan, follow-up, milestones, evaluation, the end.

One function per command; the stage was checked by the caller (:mod:`.actions`)."""

from __future__ import annotations

from datetime import date

from contracts.commands import (
    CompleteMilestone,
    EvaluateAgreement,
    ExpireAgreement,
    RecordFollowUp,
    SetFollowUpPlan,
    TerminateAgreement,
)
from contracts.common import Milestone, Stage, add_days
from contracts.events import (
    AgreementEvaluated,
    AgreementExpired,
    AgreementFollowUpRecorded,
    AgreementMilestoneCompleted,
    AgreementPlanSet,
    AgreementTerminated,
)
from services.agreements.domain.context import DecisionContext
from services.agreements.domain.errors import (
    DuplicateMilestone,
    InvalidDates,
    MilestoneAlreadyCompleted,
    NotYetExpired,
    UnknownMilestone,
)
from services.agreements.domain.rules import not_before, not_in_future
from services.agreements.domain.state import AgreementState


def _signing_dates(state: AgreementState) -> tuple[date, date, date]:
    """``signed_on``, ``effective_from``, ``effective_until`` of a signed agreement."""
    if state.signed_on is None or state.effective_from is None or state.effective_until is None:
        raise ValueError(f"agreement {state.id} in stage {state.stage} has no signing dates")
    return state.signed_on, state.effective_from, state.effective_until


def check_record_date(name: str, on: date, state: AgreementState, ctx: DecisionContext) -> None:
    """A follow-up, completion or evaluation: not in the future, not before the agreement
    was signed or in force; after the end, inside the in-force period."""
    signed_on, effective_from, _ = _signing_dates(state)
    not_in_future(name, on, ctx.today)
    start, start_name = min((effective_from, "effective_from"), (signed_on, "signed_on"))
    not_before(name, on, start_name, start)
    until = state.in_force_until
    if state.stage != Stage.SIGNED and until is not None and on > until:
        raise InvalidDates(f"{name} {on} is after {until}, the last day in force of this "
                           f"{state.stage} agreement")


def _plan(command: SetFollowUpPlan, state: AgreementState) -> list[Milestone]:
    completed = [m for m in state.milestones if m.completed]
    done_ids = {m.id for m in completed}
    seen: set[str] = set()
    for milestone in command.milestones:
        if milestone.id in seen:
            raise DuplicateMilestone(f"milestone id {milestone.id} appears more than once "
                                     "in the plan")
        if milestone.id in done_ids:
            raise DuplicateMilestone(f"milestone {milestone.id} is already completed; "
                                     "a new milestone needs another id")
        seen.add(milestone.id)
    kept = [Milestone(id=m.id, title=m.title, due_on=m.due_on, budget=m.budget)
            for m in completed]
    return kept + list(command.milestones)


def complete_milestone(command: CompleteMilestone, state: AgreementState,
                       ctx: DecisionContext) -> AgreementMilestoneCompleted:
    """A milestone of the plan is completed."""
    milestone = state.milestone(command.milestone_id)
    if milestone is None:
        raise UnknownMilestone(f"milestone {command.milestone_id} is not in the follow-up plan")
    if milestone.completed_on is not None:
        raise MilestoneAlreadyCompleted(
            f"milestone {milestone.id} was already completed on {milestone.completed_on}")
    check_record_date("completion date", command.on, state, ctx)
    return AgreementMilestoneCompleted(
        agreement_id=state.id, version=state.version + 1, stage=state.stage,
        milestone_id=milestone.id, on=command.on)


def terminate(command: TerminateAgreement, state: AgreementState,
              ctx: DecisionContext) -> AgreementTerminated:
    """The agreement is terminated before its end."""
    signed_on, _, effective_until = _signing_dates(state)
    not_in_future("termination date", command.on, ctx.today)
    not_before("termination date", command.on, "signed_on", signed_on)
    if command.on > effective_until:
        raise InvalidDates(f"termination date {command.on} is after effective_until "
                           f"{effective_until}; the agreement had already ended")
    return AgreementTerminated(agreement_id=state.id, version=state.version + 1,
                               stage=Stage.TERMINATED, on=command.on, reason=command.reason)


def expire(command: ExpireAgreement, state: AgreementState,
           ctx: DecisionContext) -> AgreementExpired:
    """The agreement is recorded as expired, after its last day in force."""
    _, _, effective_until = _signing_dates(state)
    if ctx.today <= effective_until:
        raise NotYetExpired(f"the agreement is in force until {effective_until}; it can be "
                            f"expired from {add_days(effective_until, 1)}")
    on = command.on or ctx.today
    not_in_future("expiry date", on, ctx.today)
    if on <= effective_until:
        raise InvalidDates(f"expiry date {on} is not after effective_until "
                           f"{effective_until}, the last day in force")
    return AgreementExpired(agreement_id=state.id, version=state.version + 1,
                            stage=Stage.EXPIRED, on=on, effective_until=effective_until)


def set_plan(command: SetFollowUpPlan, state: AgreementState,
             ctx: DecisionContext) -> AgreementPlanSet:
    """The follow-up plan is set, or replaces the milestones not yet completed."""
    return AgreementPlanSet(agreement_id=state.id, version=state.version + 1,
                            stage=state.stage, milestones=_plan(command, state))


def record_follow_up(command: RecordFollowUp, state: AgreementState,
                     ctx: DecisionContext) -> AgreementFollowUpRecorded:
    """A follow-up activity is recorded (possibly late, inside the in-force period)."""
    if command.milestone_id is not None and state.milestone(command.milestone_id) is None:
        raise UnknownMilestone(f"milestone {command.milestone_id} is not in the follow-up plan")
    check_record_date("follow-up date", command.on, state, ctx)
    return AgreementFollowUpRecorded(
        agreement_id=state.id, version=state.version + 1, stage=state.stage,
        on=command.on, summary=command.summary, milestone_id=command.milestone_id,
        revenue=command.revenue)


def evaluate(command: EvaluateAgreement, state: AgreementState,
             ctx: DecisionContext) -> AgreementEvaluated:
    """An evaluation (monev) is recorded."""
    check_record_date("evaluation date", command.on, state, ctx)
    return AgreementEvaluated(
        agreement_id=state.id, version=state.version + 1, stage=state.stage,
        on=command.on, score=command.score, recommendation=command.recommendation,
        note=command.note)
