"""The stage table of docs/domain.md#lifecycle: in which stages each action is allowed."""

from __future__ import annotations

from contracts.commands import (
    AgreementCommand,
    ApproveAgreement,
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
from contracts.common import Stage
from services.agreements.domain.errors import StageConflict
from services.agreements.domain.state import AgreementState

S = Stage

BEFORE_SIGNING = frozenset({
    S.PROPOSED, S.IN_REVIEW, S.REVISION_REQUESTED, S.DRAFTING, S.IN_DISCUSSION,
    S.AWAITING_APPROVAL, S.READY_TO_SIGN,
})
# Records entered late: accepted after the end too, when dated inside the in-force period.
RECORDING = frozenset({S.SIGNED, S.TERMINATED, S.EXPIRED})

# command -> (action name as in the HTTP interface, stages it is allowed in)
ACTIONS: dict[type[AgreementCommand], tuple[str, frozenset[Stage]]] = {
    StartReview: ("review", frozenset({S.PROPOSED})),
    RequestRevision: ("request-revision", frozenset({S.IN_REVIEW})),
    ResubmitAgreement: ("resubmit", frozenset({S.REVISION_REQUESTED})),
    RejectAgreement: ("reject", frozenset({S.IN_REVIEW})),
    DraftAgreement: ("draft", frozenset({S.IN_REVIEW, S.DRAFTING})),
    DiscussAgreement: ("discuss", frozenset({S.DRAFTING, S.IN_DISCUSSION})),
    ApproveAgreement: ("approve", frozenset({S.AWAITING_APPROVAL})),
    SignAgreement: ("sign", frozenset({S.READY_TO_SIGN})),
    SetFollowUpPlan: ("plan", frozenset({S.SIGNED})),
    RecordFollowUp: ("follow-up", RECORDING),
    CompleteMilestone: ("complete-milestone", RECORDING),
    EvaluateAgreement: ("evaluate", RECORDING),
    TerminateAgreement: ("terminate", frozenset({S.SIGNED})),
    ExpireAgreement: ("expire", frozenset({S.SIGNED})),
    WithdrawAgreement: ("withdraw", BEFORE_SIGNING),
}


def action_of(command: AgreementCommand) -> str:
    """The action a command stands for (``sign``, ``request-revision`` …)."""
    return ACTIONS[type(command)][0]


def ensure_stage(command: AgreementCommand, state: AgreementState) -> None:
    """Refuse (409) an action that the state's stage does not allow."""
    action, stages = ACTIONS[type(command)]
    if state.stage not in stages:
        raise StageConflict(f"{action} is not allowed in stage {state.stage}")
