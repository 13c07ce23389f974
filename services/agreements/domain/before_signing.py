"""Deciding the actions before signing: review, revision, drafting, discussion, approvals.

One function per command; the stage was checked by the caller (:mod:`.actions`)."""

from __future__ import annotations

from typing import Any

from contracts.commands import (
    ApproveAgreement,
    DiscussAgreement,
    DraftAgreement,
    RejectAgreement,
    RequestRevision,
    ResubmitAgreement,
    StartReview,
    WithdrawAgreement,
)
from contracts.common import Authority, DiscussionOutcome, Stage
from contracts.events import (
    AgreementApprovalGranted,
    AgreementDiscussed,
    AgreementDrafted,
    AgreementRejected,
    AgreementResubmitted,
    AgreementReviewStarted,
    AgreementRevisionRequested,
    AgreementWithdrawn,
)
from services.agreements.domain.context import DecisionContext
from services.agreements.domain.errors import ApprovalAlreadyGranted, ApprovalNotRequired
from services.agreements.domain.rules import not_before, not_in_future, one_of
from services.agreements.domain.state import AgreementState


def discuss(command: DiscussAgreement, state: AgreementState,
            ctx: DecisionContext) -> AgreementDiscussed:
    """A discussion (pembahasan naskah) is recorded; its outcome sets the next stage."""
    not_in_future("held_on", command.held_on, ctx.today)
    not_before("held_on", command.held_on, "proposed_on", state.proposed_on)
    match command.outcome:
        case DiscussionOutcome.CONTINUE:
            stage = Stage.IN_DISCUSSION
        case DiscussionOutcome.NEEDS_REVISION:
            stage = Stage.DRAFTING
        case DiscussionOutcome.AGREED:
            stage = Stage.AWAITING_APPROVAL if state.pending_approvals else Stage.READY_TO_SIGN
    return AgreementDiscussed(
        agreement_id=state.id, version=state.version + 1, stage=stage,
        held_on=command.held_on, summary=command.summary, outcome=command.outcome)


def approve(command: ApproveAgreement, state: AgreementState,
            ctx: DecisionContext) -> AgreementApprovalGranted:
    """One required authority approves; signing is next once none is pending."""
    authority = command.authority
    if authority in state.granted_approvals:
        raise ApprovalAlreadyGranted(f"{authority} has already approved this agreement")
    if authority not in state.required_approvals:
        needed = one_of(a for a in Authority if a in state.required_approvals)
        raise ApprovalNotRequired(
            f"{authority} approval is not required for this agreement (required: {needed})")
    not_in_future("approved_on", command.approved_on, ctx.today)
    not_before("approved_on", command.approved_on, "proposed_on", state.proposed_on)
    pending = [a for a in Authority if a in state.pending_approvals - {authority}]
    return AgreementApprovalGranted(
        agreement_id=state.id, version=state.version + 1,
        stage=Stage.AWAITING_APPROVAL if pending else Stage.READY_TO_SIGN,
        authority=authority, approved_on=command.approved_on, pending_approvals=pending)


def _next(state: AgreementState) -> dict[str, Any]:
    return {"agreement_id": state.id, "version": state.version + 1}


def start_review(command: StartReview, state: AgreementState,
                 ctx: DecisionContext) -> AgreementReviewStarted:
    """The secretariat starts the review (penelaahan)."""
    return AgreementReviewStarted(**_next(state), stage=Stage.IN_REVIEW, note=command.note)


def request_revision(command: RequestRevision, state: AgreementState,
                     ctx: DecisionContext) -> AgreementRevisionRequested:
    """The reviewer asks the proposer for a revision."""
    return AgreementRevisionRequested(**_next(state), stage=Stage.REVISION_REQUESTED,
                                      reason=command.reason)


def resubmit(command: ResubmitAgreement, state: AgreementState,
             ctx: DecisionContext) -> AgreementResubmitted:
    """The proposer resubmits after a revision."""
    return AgreementResubmitted(**_next(state), stage=Stage.IN_REVIEW, note=command.note)


def reject(command: RejectAgreement, state: AgreementState,
           ctx: DecisionContext) -> AgreementRejected:
    """The reviewer rejects the proposal."""
    return AgreementRejected(**_next(state), stage=Stage.REJECTED, reason=command.reason)


def draft(command: DraftAgreement, state: AgreementState,
          ctx: DecisionContext) -> AgreementDrafted:
    """A draft of the text is recorded (penyusunan naskah)."""
    return AgreementDrafted(**_next(state), stage=Stage.DRAFTING, note=command.note)


def withdraw(command: WithdrawAgreement, state: AgreementState,
             ctx: DecisionContext) -> AgreementWithdrawn:
    """The proposer withdraws before signing."""
    return AgreementWithdrawn(**_next(state), stage=Stage.WITHDRAWN, reason=command.reason)
