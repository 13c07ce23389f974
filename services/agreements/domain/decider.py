"""``decide``: what a command means for an agreement, as events (or a refused command)."""

from __future__ import annotations

from contracts.commands import (
    AgreementCommand,
    ApproveAgreement,
    Command,
    CompleteMilestone,
    DiscussAgreement,
    DraftAgreement,
    EvaluateAgreement,
    ExpireAgreement,
    ProposeAgreement,
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
from contracts.events import AgreementEventData
from services.agreements.domain.after_signing import decide_after_signing
from services.agreements.domain.before_signing import decide_before_signing
from services.agreements.domain.context import DecisionContext
from services.agreements.domain.errors import AgreementNotFound
from services.agreements.domain.lifecycle import ensure_stage
from services.agreements.domain.proposal import propose
from services.agreements.domain.signing import sign
from services.agreements.domain.state import AgreementState


def _existing(command: AgreementCommand, state: AgreementState | None) -> AgreementState:
    if state is None:
        raise AgreementNotFound(f"agreement {command.agreement_id} does not exist")
    if state.id != command.agreement_id:
        raise ValueError(f"command for agreement {command.agreement_id} decided on {state.id}")
    return state


def decide(
    command: Command, state: AgreementState | None, ctx: DecisionContext
) -> list[AgreementEventData]:
    """The events that ``command`` causes on the agreement in ``state``.

    Refuses with a :class:`DomainError`, checked in this order: the stage (409), then
    conflicts of the action itself (409), then the rules (422). Each event carries the
    agreement's version and stage after it. ``expected_version`` is the caller's concern.
    """
    if isinstance(command, ProposeAgreement):
        return list(propose(command, state, ctx))
    if not isinstance(command, AgreementCommand):
        raise TypeError(f"{type(command).__name__} is not an agreement command")
    current = _existing(command, state)
    ensure_stage(command, current)
    match command:
        case SignAgreement():
            return [sign(command, current, ctx)]
        case (StartReview() | RequestRevision() | ResubmitAgreement() | RejectAgreement()
              | DraftAgreement() | DiscussAgreement() | ApproveAgreement()
              | WithdrawAgreement()):
            return [decide_before_signing(command, current, ctx)]
        case (SetFollowUpPlan() | RecordFollowUp() | CompleteMilestone() | EvaluateAgreement()
              | TerminateAgreement() | ExpireAgreement()):
            return [decide_after_signing(command, current, ctx)]
    raise TypeError(f"no decision for {type(command).__name__}")
