"""Builders shared by the agreement tests: commands from the contract's examples and
agreements brought to a given stage. (No tests here.)"""

from __future__ import annotations

from datetime import date
from typing import Any, TypeVar
from uuid import UUID

from contracts.commands import (
    AgreementCommand,
    ApproveAgreement,
    DiscussAgreement,
    DraftAgreement,
    ExpireAgreement,
    ProposeAgreement,
    RejectAgreement,
    RequestRevision,
    SetFollowUpPlan,
    SignAgreement,
    StartReview,
    TerminateAgreement,
    WithdrawAgreement,
)
from contracts.common import Authority, DiscussionOutcome, Partner, PartnerCategory, Stage
from contracts.events import AgreementEventData
from contracts.examples import example_of
from services.agreements.domain import (
    AgreementState,
    DecisionContext,
    DomainError,
    decide,
    evolve,
    replay,
)

C = TypeVar("C", bound=AgreementCommand)

AGREEMENT_ID = UUID("3f1c6a52-8f4e-4f55-9d1e-3f4a2b1c0d9e")
PARENT_ID = UUID("0b7e4b6c-1111-4c2e-9a55-2d7d0c3b9f10")
# Example dates: proposed 2021-01-11, discussed 2021-03-02, approved 2021-04-01,
# signed 2021-04-20, in force 2021-04-20 .. 2024-04-19, terminated 2022-01-31.
TODAY = date(2022, 2, 1)
CTX = DecisionContext(today=TODAY)
AFTER_END = DecisionContext(today=date(2024, 4, 20))


def partner(category: PartnerCategory, country: str = "ID", name: str = "Mitra") -> Partner:
    """A partner of the given category."""
    return Partner(name=name, category=category, country=country)


def propose_cmd(**overrides: Any) -> ProposeAgreement:
    """The contract's example proposal (KSDPK with a third party, a PKS without parent)."""
    values: dict[str, Any] = {"agreement_id": AGREEMENT_ID}
    values.update(overrides)
    return example_of(ProposeAgreement, **values)


def cmd(model: type[C], **overrides: Any) -> C:
    """The contract's example of ``model``, acting on ``AGREEMENT_ID``."""
    values: dict[str, Any] = {"agreement_id": AGREEMENT_ID, "expected_version": None}
    values.update(overrides)
    return example_of(model, **values)


def events_of(state: AgreementState | None, command: Any,
              ctx: DecisionContext = CTX) -> list[AgreementEventData]:
    """The events ``command`` causes."""
    return decide(command, state, ctx)


def run(state: AgreementState | None, *commands: Any,
        ctx: DecisionContext = CTX) -> AgreementState:
    """The state after deciding and applying every command in turn."""
    for command in commands:
        for event in decide(command, state, ctx):
            state = evolve(state, event)
    assert state is not None
    return state


def discuss(outcome: DiscussionOutcome, **overrides: Any) -> DiscussAgreement:
    """A discussion with this outcome."""
    return cmd(DiscussAgreement, outcome=outcome, **overrides)


PLAN = cmd(SetFollowUpPlan)  # one milestone: m1, due 2021-06-30

_PATHS: dict[Stage, tuple[Stage | None, list[Any]]] = {
    Stage.PROPOSED: (None, [propose_cmd()]),
    Stage.IN_REVIEW: (Stage.PROPOSED, [cmd(StartReview)]),
    Stage.REVISION_REQUESTED: (Stage.IN_REVIEW, [cmd(RequestRevision)]),
    Stage.REJECTED: (Stage.IN_REVIEW, [cmd(RejectAgreement)]),
    Stage.WITHDRAWN: (Stage.PROPOSED, [cmd(WithdrawAgreement)]),
    Stage.DRAFTING: (Stage.IN_REVIEW, [cmd(DraftAgreement)]),
    Stage.IN_DISCUSSION: (Stage.DRAFTING, [discuss(DiscussionOutcome.CONTINUE)]),
    Stage.READY_TO_SIGN: (Stage.IN_DISCUSSION, [discuss(DiscussionOutcome.AGREED)]),
    Stage.SIGNED: (Stage.READY_TO_SIGN, [cmd(SignAgreement), PLAN]),
    Stage.TERMINATED: (Stage.SIGNED, [cmd(TerminateAgreement)]),
    Stage.EXPIRED: (Stage.SIGNED, [cmd(ExpireAgreement)]),
}


def history(stage: Stage, **propose_overrides: Any) -> list[AgreementEventData]:
    """The events that bring the example agreement to ``stage``.

    SIGNED (and later) agreements have a plan with milestone m1; AWAITING_APPROVAL is
    reached by an agreement that burdens the budget (DPRD required). ``agreement_id``
    (default ``AGREEMENT_ID``) and the other proposal fields may be overridden.
    """
    before: Stage | None
    if stage == Stage.AWAITING_APPROVAL:
        propose_overrides.setdefault("burdens_budget", True)
        before, commands = Stage.IN_DISCUSSION, [discuss(DiscussionOutcome.AGREED)]
    else:
        before, commands = _PATHS[stage]
    if before is None:
        return decide(propose_cmd(**propose_overrides), None, CTX)
    events = history(before, **propose_overrides)
    state = replay(events)
    ctx = AFTER_END if stage == Stage.EXPIRED else CTX
    for command in commands:
        assert state is not None
        new = decide(command.model_copy(update={"agreement_id": state.id}), state, ctx)
        events.extend(new)
        state = replay(events)
    return events


def agreement_in(stage: Stage, **propose_overrides: Any) -> AgreementState:
    """The example agreement in ``stage`` (see :func:`history`)."""
    state = replay(history(stage, **propose_overrides))
    assert state is not None
    return state


def approve(authority: Authority, **overrides: Any) -> ApproveAgreement:
    """An approval by ``authority``."""
    return cmd(ApproveAgreement, authority=authority, **overrides)


def with_commands(stage: Stage, commands: Any) -> tuple[list[AgreementEventData],
                                                       AgreementState]:
    """The history of the example agreement in ``stage`` followed by the events of each of
    ``commands`` that the decider accepts (refused ones are skipped), and the state."""
    events = history(stage)
    state = replay(events)
    assert state is not None
    for command in commands:
        try:
            new = decide(command, state, CTX)
        except DomainError:
            continue
        events.extend(new)
        for event in new:
            state = evolve(state, event)
    return events, state
