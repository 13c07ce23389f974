"""Deciding the actions before signing: review, revision, drafting, discussion, approvals."""

from __future__ import annotations

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
    AgreementEventData,
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

PreSigningCommand = (
    StartReview | RequestRevision | ResubmitAgreement | RejectAgreement | DraftAgreement
    | DiscussAgreement | ApproveAgreement | WithdrawAgreement
)


def _discussed(command: DiscussAgreement, state: AgreementState,
               ctx: DecisionContext) -> AgreementDiscussed:
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


def _approved(command: ApproveAgreement, state: AgreementState,
              ctx: DecisionContext) -> AgreementApprovalGranted:
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


def decide_before_signing(command: PreSigningCommand, state: AgreementState,
                          ctx: DecisionContext) -> AgreementEventData:
    """The event of an action before signing; the stage was checked by the caller."""
    header = {"agreement_id": state.id, "version": state.version + 1}
    match command:
        case StartReview():
            return AgreementReviewStarted(**header, stage=Stage.IN_REVIEW, note=command.note)
        case RequestRevision():
            return AgreementRevisionRequested(**header, stage=Stage.REVISION_REQUESTED,
                                              reason=command.reason)
        case ResubmitAgreement():
            return AgreementResubmitted(**header, stage=Stage.IN_REVIEW, note=command.note)
        case RejectAgreement():
            return AgreementRejected(**header, stage=Stage.REJECTED, reason=command.reason)
        case DraftAgreement():
            return AgreementDrafted(**header, stage=Stage.DRAFTING, note=command.note)
        case WithdrawAgreement():
            return AgreementWithdrawn(**header, stage=Stage.WITHDRAWN, reason=command.reason)
        case DiscussAgreement():
            return _discussed(command, state, ctx)
        case ApproveAgreement():
            return _approved(command, state, ctx)
