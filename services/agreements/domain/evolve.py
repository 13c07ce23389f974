"""``evolve``: fold one event into the state; ``replay``: fold a whole stream."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date

from contracts.events import (
    AgreementApprovalGranted,
    AgreementDiscussed,
    AgreementDocumentAttached,
    AgreementDocumentUnpublished,
    AgreementEvaluated,
    AgreementEventData,
    AgreementExpired,
    AgreementFollowUpRecorded,
    AgreementMilestoneCompleted,
    AgreementPlanSet,
    AgreementProposed,
    AgreementRejected,
    AgreementRevisionRequested,
    AgreementSigned,
    AgreementTerminated,
    AgreementWithdrawn,
)
from services.agreements.domain.archive import attached, unpublished
from services.agreements.domain.state import AgreementState, Evaluation, PlannedMilestone


def _latest(current: date | None, new: date) -> date:
    return new if current is None else max(current, new)


def _created(event: AgreementProposed) -> AgreementState:
    return AgreementState(
        id=event.agreement_id, version=event.version, stage=event.stage,
        title=event.title, kind=event.kind, document_type=event.document_type,
        partner=event.partner, partner_id=event.partner_id,
        co_partners=tuple(event.co_partners),
        lead_opd=event.lead_opd, supporting_opds=tuple(event.supporting_opds),
        objective=event.objective, sector=event.sector,
        burdens_budget=event.burdens_budget, plan_year=event.plan_year,
        proposed_on=event.proposed_on, parent_id=event.parent_id, renews_id=event.renews_id,
        required_approvals=frozenset(event.required_approvals),
        priority=event.priority, mapping_item_id=event.mapping_item_id,
        value_cash=event.value_cash, value_in_kind=event.value_in_kind,
    )


def _applied(state: AgreementState, event: AgreementEventData) -> AgreementState:
    """The event's own changes; version and stage are set by ``evolve``."""
    match event:
        case AgreementRevisionRequested() | AgreementRejected():
            return replace(state, last_reason=event.reason)
        case AgreementWithdrawn():
            return replace(state, last_reason=event.reason)
        case AgreementDiscussed():
            return replace(state, last_discussed_on=_latest(state.last_discussed_on,
                                                            event.held_on))
        case AgreementApprovalGranted():
            return replace(state, granted_approvals=state.granted_approvals | {event.authority})
        case AgreementSigned():
            return replace(state, number=event.number, signed_on=event.signed_on,
                           signatory=event.signatory, effective_from=event.effective_from,
                           effective_until=event.effective_until)
        case AgreementPlanSet():
            done = {m.id: m.completed_on for m in state.milestones if m.completed}
            plan = tuple(PlannedMilestone(m.id, m.title, m.due_on, m.budget, done.get(m.id))
                         for m in event.milestones)
            return replace(state, milestones=plan)
        case AgreementFollowUpRecorded():
            return replace(state, follow_ups=state.follow_ups + 1,
                           last_follow_up_on=_latest(state.last_follow_up_on, event.on),
                           revenue=state.revenue + (event.revenue or 0))
        case AgreementMilestoneCompleted():
            plan = tuple(replace(m, completed_on=event.on) if m.id == event.milestone_id else m
                         for m in state.milestones)
            return replace(state, milestones=plan, last_milestone_completed_on=_latest(
                state.last_milestone_completed_on, event.on))
        case AgreementEvaluated():
            return replace(state, evaluations=(*state.evaluations, Evaluation(
                event.on, event.score, event.recommendation)),
                last_evaluated_on=_latest(state.last_evaluated_on, event.on))
        case AgreementTerminated():
            return replace(state, terminated_on=event.on, last_reason=event.reason)
        case AgreementExpired():
            return replace(state, expired_on=event.on)
        case AgreementDocumentAttached():
            return attached(state, event)
        case AgreementDocumentUnpublished():
            return unpublished(state, event)
        case _:
            return state


def evolve(state: AgreementState | None, event: AgreementEventData) -> AgreementState:
    """The state after ``event``: pure, and the only way a state changes.

    Raises ``ValueError`` when the event does not belong after ``state`` (another
    stream, a version that does not follow, a proposal of an existing agreement).
    """
    if state is None:
        if not isinstance(event, AgreementProposed):
            raise ValueError(f"{type(event).__name__} cannot start a stream")
        if event.version != 1:
            raise ValueError(f"a stream starts at version 1, not {event.version}")
        return _created(event)
    if isinstance(event, AgreementProposed):
        raise ValueError(f"agreement {state.id} was already proposed")
    if event.agreement_id != state.id:
        raise ValueError(f"event of agreement {event.agreement_id} applied to {state.id}")
    if event.version != state.version + 1:
        raise ValueError(f"event version {event.version} does not follow {state.version}")
    return replace(_applied(state, event), version=event.version, stage=event.stage)


def replay(events: Iterable[AgreementEventData]) -> AgreementState | None:
    """The state after every event of one stream, in order (``None`` for no events)."""
    state: AgreementState | None = None
    for event in events:
        state = evolve(state, event)
    return state
