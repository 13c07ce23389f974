"""The one table of the agreement's actions (docs/domain.md#lifecycle): for each command,
its action name, the stages it is allowed in, the function that decides it, and its HTTP
route (``POST /agreements/{id}/<path>``).

Adding a command touches its contract (``contracts/commands.py``, ``contracts/events.py``),
its decision (a function here beside the others, and its arm in ``evolve``) and one row
of :data:`ACTIONS`; the decider, the stage check and the HTTP routes read this table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from contracts import commands as c
from contracts.common import ContractModel, Stage
from contracts.events import AgreementEventData
from services.agreements.domain import after_signing as after
from services.agreements.domain import archive
from services.agreements.domain import before_signing as before
from services.agreements.domain.context import DecisionContext
from services.agreements.domain.errors import StageConflict
from services.agreements.domain.signing import sign
from services.agreements.domain.state import AgreementState

S = Stage
C = TypeVar("C", bound=c.AgreementCommand)

BEFORE_SIGNING = frozenset({
    S.PROPOSED, S.IN_REVIEW, S.REVISION_REQUESTED, S.DRAFTING, S.IN_DISCUSSION,
    S.AWAITING_APPROVAL, S.READY_TO_SIGN,
})
RECORDING = frozenset({S.SIGNED, S.TERMINATED, S.EXPIRED})
"""Records entered late: accepted after the end too, when dated inside the in-force period."""


@dataclass(frozen=True)
class Route:
    """``POST /agreements/{agreement_id}/<path>`` with a body of ``body``."""

    path: str
    body: type[ContractModel]
    body_required: bool
    summary: str


@dataclass(frozen=True)
class Action(Generic[C]):
    """One action on an existing agreement (a row of :data:`ACTIONS`)."""

    command: type[C]
    name: str
    """As in the HTTP interface and the refusals (``sign``, ``request-revision`` …)."""
    stages: frozenset[Stage]
    decision: Callable[[C, AgreementState, DecisionContext], AgreementEventData]
    route: Route | None
    """None for an action routed with more path parameters than the agreement id."""

    def decide(self, command: c.AgreementCommand, state: AgreementState,
               ctx: DecisionContext) -> AgreementEventData:
        """The event of ``command`` (which must be this action's) in ``state``."""
        if not isinstance(command, self.command):
            raise TypeError(f"{type(command).__name__} is not a {self.command.__name__}")
        return self.decision(command, state, ctx)


class AnyAction(Protocol):
    """An :class:`Action` of any command, as the table holds them."""

    @property
    def command(self) -> type[c.AgreementCommand]: ...
    @property
    def name(self) -> str: ...
    @property
    def stages(self) -> frozenset[Stage]: ...
    @property
    def route(self) -> Route | None: ...
    def decide(self, command: c.AgreementCommand, state: AgreementState,
               ctx: DecisionContext) -> AgreementEventData: ...


_ROWS = (
    Action(c.StartReview, "review", frozenset({S.PROPOSED}), before.start_review,
           Route("review", c.NoteBody, False, "Start the review (penelaahan)")),
    Action(c.RequestRevision, "request-revision", frozenset({S.IN_REVIEW}),
           before.request_revision,
           Route("request-revision", c.ReasonBody, True, "Ask for a revision")),
    Action(c.ResubmitAgreement, "resubmit", frozenset({S.REVISION_REQUESTED}), before.resubmit,
           Route("resubmit", c.NoteBody, False, "Resubmit after revision")),
    Action(c.RejectAgreement, "reject", frozenset({S.IN_REVIEW}), before.reject,
           Route("reject", c.ReasonBody, True, "Reject the proposal")),
    Action(c.WithdrawAgreement, "withdraw", BEFORE_SIGNING, before.withdraw,
           Route("withdraw", c.OptionalReasonBody, False, "Withdraw before signing")),
    Action(c.DraftAgreement, "draft", frozenset({S.IN_REVIEW, S.DRAFTING}), before.draft,
           Route("draft", c.DraftBody, True, "Record a draft (penyusunan naskah)")),
    Action(c.DiscussAgreement, "discuss", frozenset({S.DRAFTING, S.IN_DISCUSSION}),
           before.discuss,
           Route("discuss", c.DiscussBody, True, "Record a discussion (pembahasan naskah)")),
    Action(c.ApproveAgreement, "approve", frozenset({S.AWAITING_APPROVAL}), before.approve,
           Route("approve", c.ApproveBody, True, "Record one required approval")),
    Action(c.SignAgreement, "sign", frozenset({S.READY_TO_SIGN}), sign,
           Route("sign", c.SignBody, True, "Record the signing")),
    Action(c.SetFollowUpPlan, "plan", frozenset({S.SIGNED}), after.set_plan,
           Route("plan", c.PlanBody, True, "Set or replace the follow-up plan")),
    Action(c.RecordFollowUp, "follow-up", RECORDING, after.record_follow_up,
           Route("follow-ups", c.FollowUpBody, True, "Record a follow-up activity")),
    Action(c.CompleteMilestone, "complete-milestone", RECORDING, after.complete_milestone,
           None),  # POST /agreements/{id}/milestones/{milestone_id}/complete
    Action(c.EvaluateAgreement, "evaluate", RECORDING, after.evaluate,
           Route("evaluate", c.EvaluateBody, True, "Record an evaluation (monev)")),
    Action(c.TerminateAgreement, "terminate", frozenset({S.SIGNED}), after.terminate,
           Route("terminate", c.TerminateBody, True, "Terminate")),
    Action(c.ExpireAgreement, "expire", frozenset({S.SIGNED}), after.expire,
           Route("expire", c.ExpireBody, False, "Record expiry after effective_until")),
    Action(c.AttachDocument, "attach-document", frozenset(S), archive.attach,
           None),  # POST /agreements/{id}/documents (multipart)
    Action(c.UnpublishDocument, "unpublish-document", frozenset(S), archive.unpublish,
           None),  # POST /documents/{document_id}/unpublish
)
ACTIONS: tuple[AnyAction, ...] = _ROWS
BY_COMMAND: dict[type[c.AgreementCommand], AnyAction] = {a.command: a for a in ACTIONS}


def action_for(command: c.AgreementCommand) -> AnyAction:
    """The row of a command's action."""
    try:
        return BY_COMMAND[type(command)]
    except KeyError:
        raise TypeError(f"no action decides {type(command).__name__}") from None


def action_of(command: c.AgreementCommand) -> str:
    """The action a command stands for (``sign``, ``request-revision`` …)."""
    return action_for(command).name


def ensure_stage(command: c.AgreementCommand, state: AgreementState) -> None:
    """Refuse (409) an action that the state's stage does not allow."""
    action = action_for(command)
    if state.stage not in action.stages:
        raise StageConflict(f"{action.name} is not allowed in stage {state.stage}")
