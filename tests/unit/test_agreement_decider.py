"""The lifecycle table of docs/domain.md#lifecycle, and the actions before signing."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from contracts.commands import (
    CompleteMilestone,
    DiscussAgreement,
    DraftAgreement,
    EvaluateAgreement,
    ExpireAgreement,
    RecordFollowUp,
    RejectAgreement,
    RequestRevision,
    ResubmitAgreement,
    SetFollowUpPlan,
    SignAgreement,
    StartReview,
    TerminateAgreement,
    WithdrawAgreement,
)
from contracts.common import (
    Authority,
    DiscussionOutcome,
    Kind,
    PartnerCategory,
    SignatoryRole,
    Stage,
)
from contracts.events import AgreementApprovalGranted, AgreementDiscussed
from services.agreements.domain import (
    AgreementNotFound,
    ApprovalAlreadyGranted,
    ApprovalNotRequired,
    InvalidDates,
    StageConflict,
    decide,
)
from tests.unit.test_agreement_builders import (
    AFTER_END,
    AGREEMENT_ID,
    CTX,
    TODAY,
    agreement_in,
    approve,
    cmd,
    discuss,
    partner,
    run,
)

S = Stage
BEFORE_SIGNING = {S.PROPOSED, S.IN_REVIEW, S.REVISION_REQUESTED, S.DRAFTING, S.IN_DISCUSSION,
                  S.AWAITING_APPROVAL, S.READY_TO_SIGN}
RECORDS = {S.SIGNED, S.TERMINATED, S.EXPIRED}

# action -> (command, {from stage: to stage}); written out independently of the domain.
TABLE: dict[str, tuple[Any, dict[Stage, Stage]]] = {
    "review": (cmd(StartReview), {S.PROPOSED: S.IN_REVIEW}),
    "request-revision": (cmd(RequestRevision), {S.IN_REVIEW: S.REVISION_REQUESTED}),
    "resubmit": (cmd(ResubmitAgreement), {S.REVISION_REQUESTED: S.IN_REVIEW}),
    "reject": (cmd(RejectAgreement), {S.IN_REVIEW: S.REJECTED}),
    "draft": (cmd(DraftAgreement), {S.IN_REVIEW: S.DRAFTING, S.DRAFTING: S.DRAFTING}),
    "discuss": (discuss(DiscussionOutcome.CONTINUE),
                {S.DRAFTING: S.IN_DISCUSSION, S.IN_DISCUSSION: S.IN_DISCUSSION}),
    "approve": (approve(Authority.DPRD), {S.AWAITING_APPROVAL: S.READY_TO_SIGN}),
    "sign": (cmd(SignAgreement), {S.READY_TO_SIGN: S.SIGNED}),
    "plan": (cmd(SetFollowUpPlan), {S.SIGNED: S.SIGNED}),
    "follow-up": (cmd(RecordFollowUp), {s: s for s in RECORDS}),
    "complete-milestone": (cmd(CompleteMilestone), {s: s for s in RECORDS}),
    "evaluate": (cmd(EvaluateAgreement), {s: s for s in RECORDS}),
    "terminate": (cmd(TerminateAgreement), {S.SIGNED: S.TERMINATED}),
    "expire": (cmd(ExpireAgreement), {S.SIGNED: S.EXPIRED}),
    "withdraw": (cmd(WithdrawAgreement), dict.fromkeys(BEFORE_SIGNING, S.WITHDRAWN)),
}


@pytest.mark.parametrize("stage", list(Stage))
@pytest.mark.parametrize("action", list(TABLE))
def test_each_action_moves_only_between_the_stages_of_the_table(
        action: str, stage: Stage) -> None:
    command, moves = TABLE[action]
    state = agreement_in(stage)
    if stage in moves:
        (event,) = decide(command, state, AFTER_END)
        assert (event.agreement_id, event.version) == (AGREEMENT_ID, state.version + 1)
        assert event.stage == moves[stage]
    else:
        with pytest.raises(StageConflict) as refused:
            decide(command, state, AFTER_END)
        assert str(refused.value) == f"{action} is not allowed in stage {stage}"
        assert refused.value.status == 409


def test_acting_on_an_agreement_that_does_not_exist_is_not_found() -> None:
    with pytest.raises(AgreementNotFound, match=f"agreement {AGREEMENT_ID} does not exist"):
        decide(cmd(StartReview), None, CTX)


def test_stage_is_checked_before_the_rules() -> None:
    signed_in_future = cmd(SignAgreement, signed_on=TODAY + timedelta(days=9))
    with pytest.raises(StageConflict, match="sign is not allowed in stage PROPOSED"):
        decide(signed_in_future, agreement_in(Stage.PROPOSED), CTX)


def test_revision_request_and_resubmission_go_back_to_review() -> None:
    state = run(agreement_in(Stage.IN_REVIEW), cmd(RequestRevision, reason="Lengkapi kajian"))
    assert (state.stage, state.last_reason) == (Stage.REVISION_REQUESTED, "Lengkapi kajian")
    assert run(state, cmd(ResubmitAgreement)).stage == Stage.IN_REVIEW


@pytest.mark.parametrize(("outcome", "expected"), [
    (DiscussionOutcome.CONTINUE, Stage.IN_DISCUSSION),
    (DiscussionOutcome.NEEDS_REVISION, Stage.DRAFTING),
    (DiscussionOutcome.AGREED, Stage.READY_TO_SIGN),
])
def test_discussion_outcome_decides_the_next_stage(
        outcome: DiscussionOutcome, expected: Stage) -> None:
    (event,) = decide(discuss(outcome), agreement_in(Stage.IN_DISCUSSION), CTX)
    assert isinstance(event, AgreementDiscussed)
    assert (event.outcome, event.stage) == (outcome, expected)


def test_agreed_draft_that_burdens_the_budget_awaits_dprd_approval() -> None:
    state = agreement_in(Stage.DRAFTING, burdens_budget=True)
    (event,) = decide(discuss(DiscussionOutcome.AGREED), state, CTX)
    assert event.stage == Stage.AWAITING_APPROVAL


def test_discussion_cannot_be_dated_in_the_future() -> None:
    held_on = TODAY + timedelta(days=1)
    with pytest.raises(InvalidDates, match=f"held_on {held_on} is in the future"):
        decide(cmd(DiscussAgreement, held_on=held_on),
               agreement_in(Stage.DRAFTING), CTX)


def test_discussion_cannot_be_held_before_the_proposal() -> None:
    with pytest.raises(InvalidDates, match="held_on 2021-01-10 is before proposed_on "
                       "2021-01-11"):
        decide(cmd(DiscussAgreement, held_on=date(2021, 1, 10)),
               agreement_in(Stage.DRAFTING), CTX)


def _foreign_awaiting_approval() -> Any:
    return agreement_in(Stage.AWAITING_APPROVAL, kind=Kind.KSDPL,
                        partner=partner(PartnerCategory.FOREIGN_REGIONAL_GOVERNMENT, "KR"))


def test_foreign_agreement_waits_for_every_required_approval() -> None:
    state = _foreign_awaiting_approval()
    (event,) = decide(approve(Authority.DPRD), state, CTX)
    assert isinstance(event, AgreementApprovalGranted)
    assert event.stage == Stage.AWAITING_APPROVAL
    assert event.pending_approvals == [Authority.CENTRAL_GOVERNMENT]
    state = run(state, approve(Authority.DPRD))
    (event,) = decide(approve(Authority.CENTRAL_GOVERNMENT), state, CTX)
    assert isinstance(event, AgreementApprovalGranted)
    assert (event.stage, event.pending_approvals) == (Stage.READY_TO_SIGN, [])


def test_repeated_approval_conflicts() -> None:
    state = run(_foreign_awaiting_approval(), approve(Authority.DPRD))
    late = approve(Authority.DPRD, approved_on=TODAY + timedelta(days=5))  # 409 before 422
    with pytest.raises(ApprovalAlreadyGranted, match="DPRD has already approved") as refused:
        decide(late, state, CTX)
    assert refused.value.status == 409


def test_approval_that_is_not_required_is_refused() -> None:
    state = agreement_in(Stage.AWAITING_APPROVAL)  # burdens the budget: DPRD only
    with pytest.raises(ApprovalNotRequired, match="CENTRAL_GOVERNMENT approval is not "
                       r"required for this agreement \(required: DPRD\)") as refused:
        decide(approve(Authority.CENTRAL_GOVERNMENT), state, CTX)
    assert refused.value.status == 422


def test_approval_cannot_be_dated_in_the_future() -> None:
    approved_on = TODAY + timedelta(days=1)
    with pytest.raises(InvalidDates, match=f"approved_on {approved_on} is in the future"):
        decide(approve(Authority.DPRD, approved_on=approved_on),
               agreement_in(Stage.AWAITING_APPROVAL), CTX)


def test_approval_cannot_precede_the_proposal() -> None:
    with pytest.raises(InvalidDates, match="approved_on 2020-12-31 is before proposed_on"):
        decide(approve(Authority.DPRD, approved_on=date(2020, 12, 31)),
               agreement_in(Stage.AWAITING_APPROVAL), CTX)


def test_withdrawal_keeps_its_reason_and_ends_the_agreement() -> None:
    state = run(agreement_in(Stage.READY_TO_SIGN), cmd(WithdrawAgreement, reason="Batal"))
    assert (state.stage, state.last_reason) == (Stage.WITHDRAWN, "Batal")


def test_signed_agreement_counts_one_version_per_accepted_command() -> None:
    state = agreement_in(Stage.SIGNED)
    assert state.version == 7  # propose, review, draft, discuss x2, sign, plan
    assert state.signatory is not None and state.signatory.role == SignatoryRole.GOVERNOR
