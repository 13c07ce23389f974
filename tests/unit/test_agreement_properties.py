"""Properties of the decider over random command sequences, valid and invalid alike.

Whatever the commands, an accepted one moves the agreement only as the lifecycle table
allows (an independent copy of docs/domain.md#lifecycle below), adds exactly one version per event,
and replaying every accepted event gives the state built step by step. A refused
command is refused for its stage exactly when the table forbids the action.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts.commands import (
    AgreementCommand,
    ApproveAgreement,
    AttachDocument,
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
    UnpublishDocument,
    WithdrawAgreement,
)
from contracts.common import (
    Authority,
    DiscussionOutcome,
    DocumentType,
    Kind,
    Milestone,
    Partner,
    PartnerCategory,
    Recommendation,
    Signatory,
    SignatoryRole,
    Stage,
)
from contracts.documents import DocumentKind
from contracts.events import AgreementEventData
from services.agreements.domain import (
    AgreementAlreadyExists,
    AgreementNotFound,
    AgreementState,
    DecisionContext,
    DomainError,
    StageConflict,
    add_years,
    decide,
    evolve,
    replay,
)
from tests.unit.test_agreement_builders import (
    AGREEMENT_ID,
    PARENT_ID,
    TODAY,
    agreement_in,
    cmd,
    history,
    propose_cmd,
)

S = Stage
PRE = [S.PROPOSED, S.IN_REVIEW, S.REVISION_REQUESTED, S.DRAFTING, S.IN_DISCUSSION,
       S.AWAITING_APPROVAL, S.READY_TO_SIGN]
# (from stage, action) -> stages it may lead to; discuss is keyed by its outcome.
ALLOWED: dict[tuple[Stage | None, str], set[Stage]] = {
    (None, "propose"): {S.PROPOSED},
    (S.PROPOSED, "review"): {S.IN_REVIEW},
    (S.IN_REVIEW, "request-revision"): {S.REVISION_REQUESTED},
    (S.REVISION_REQUESTED, "resubmit"): {S.IN_REVIEW},
    (S.IN_REVIEW, "reject"): {S.REJECTED},
    (S.IN_REVIEW, "draft"): {S.DRAFTING},
    (S.DRAFTING, "draft"): {S.DRAFTING},
    (S.AWAITING_APPROVAL, "approve"): {S.AWAITING_APPROVAL, S.READY_TO_SIGN},
    (S.READY_TO_SIGN, "sign"): {S.SIGNED},
    (S.SIGNED, "plan"): {S.SIGNED},
    (S.SIGNED, "terminate"): {S.TERMINATED},
    (S.SIGNED, "expire"): {S.EXPIRED},
    **{(s, "withdraw"): {S.WITHDRAWN} for s in PRE},
    **{(s, f"discuss:{o}"): t for s in (S.DRAFTING, S.IN_DISCUSSION) for o, t in (
        ("CONTINUE", {S.IN_DISCUSSION}), ("NEEDS_REVISION", {S.DRAFTING}),
        ("AGREED", {S.AWAITING_APPROVAL, S.READY_TO_SIGN}))},
    **{(s, a): {s} for s in (S.SIGNED, S.TERMINATED, S.EXPIRED)
       for a in ("follow-up", "complete-milestone", "evaluate")},
    **{(s, a): {s} for s in Stage for a in ("attach-document", "unpublish-document")},
}
ACTION: dict[type[Any], str] = {
    ProposeAgreement: "propose", StartReview: "review", RequestRevision: "request-revision",
    ResubmitAgreement: "resubmit", RejectAgreement: "reject", DraftAgreement: "draft",
    DiscussAgreement: "discuss", ApproveAgreement: "approve", SignAgreement: "sign",
    SetFollowUpPlan: "plan", RecordFollowUp: "follow-up",
    CompleteMilestone: "complete-milestone", EvaluateAgreement: "evaluate",
    TerminateAgreement: "terminate", ExpireAgreement: "expire", WithdrawAgreement: "withdraw",
    AttachDocument: "attach-document", UnpublishDocument: "unpublish-document",
}
PARENTS = [None, agreement_in(S.SIGNED, agreement_id=PARENT_ID, document_type=DocumentType.MOU),
           agreement_in(S.DRAFTING, agreement_id=PARENT_ID, document_type=DocumentType.MOU)]
IDS = st.sampled_from(["m1", "m1", "m2", "m3", "m4"])
TEXT = st.just("Catatan")
DOCUMENT_IDS = st.sampled_from([UUID(int=n) for n in range(1, 6)])


@dataclass(frozen=True)
class Ago:
    """A date given as days before the step's ``today`` (negative: in the future)."""

    days: int


DAY = st.integers(-5, 500).map(Ago)
Spec = tuple[type[Any], dict[str, Any]]


def _key(command: Any) -> str:
    action = ACTION[type(command)]
    return f"discuss:{command.outcome}" if action == "discuss" else action


def _spec(model: type[Any], **fields: st.SearchStrategy[Any]) -> st.SearchStrategy[Spec]:
    return st.fixed_dictionaries(fields).map(lambda values: (model, values))


def _build(spec: Spec, today: date) -> Any:
    """The command of ``spec``, its dates resolved against ``today``."""
    model, fields = spec
    values: dict[str, Any] = {
        k: today - timedelta(days=v.days) if isinstance(v, Ago) else v
        for k, v in fields.items()}
    if model is SignAgreement:
        values["effective_until"] = values["effective_from"] + timedelta(
            days=values.pop("validity_days"))
    if model is not ProposeAgreement:
        values["agreement_id"] = AGREEMENT_ID
    return model(command_id="c", **values)


_PARTNER = st.builds(Partner, name=st.sampled_from(["Mitra A", "Mitra B"]),
                     category=st.sampled_from(PartnerCategory),
                     country=st.sampled_from(["ID", "KR"]))
_MILESTONE = st.builds(Milestone, id=IDS, title=TEXT,
                       due_on=st.dates(date(2021, 1, 1), date(2026, 1, 1)))
COMMANDS: dict[str, st.SearchStrategy[Spec]] = {
    "propose": _spec(
        ProposeAgreement, agreement_id=st.just(AGREEMENT_ID), title=TEXT,
        kind=st.sampled_from(Kind), document_type=st.sampled_from(DocumentType),
        partner=_PARTNER, co_partners=st.lists(_PARTNER, max_size=2),
        lead_opd=st.just("DISKUK"), objective=TEXT, sector=TEXT, burdens_budget=st.booleans(),
        proposed_on=st.none() | DAY, parent_id=st.sampled_from([None, None, PARENT_ID]),
        supporting_opds=st.lists(st.sampled_from(["DISKUK", "BAPPEDA"]), max_size=3)),
    "review": _spec(StartReview),
    "request-revision": _spec(RequestRevision, reason=TEXT),
    "resubmit": _spec(ResubmitAgreement),
    "reject": _spec(RejectAgreement, reason=TEXT),
    "draft": _spec(DraftAgreement, note=TEXT),
    "discuss": _spec(DiscussAgreement, held_on=DAY, summary=TEXT,
                     outcome=st.sampled_from(DiscussionOutcome)),
    "approve": _spec(ApproveAgreement, authority=st.sampled_from(Authority), approved_on=DAY),
    "sign": _spec(SignAgreement, number=st.just("1/2021"), signed_on=DAY,
                  signatory=st.builds(Signatory, name=TEXT,
                                      role=st.sampled_from(SignatoryRole)),
                  effective_from=DAY, validity_days=st.integers(-30, 2000)),
    "plan": _spec(SetFollowUpPlan, milestones=st.lists(
        _MILESTONE, min_size=1, max_size=3, unique_by=lambda m: m.id) | st.lists(
        _MILESTONE, min_size=2, max_size=3)),
    "follow-up": _spec(RecordFollowUp, on=DAY, summary=TEXT, milestone_id=st.none() | IDS),
    "complete-milestone": _spec(CompleteMilestone, on=DAY, milestone_id=IDS),
    "evaluate": _spec(EvaluateAgreement, on=DAY, score=st.integers(1, 5),
                      recommendation=st.sampled_from(Recommendation)),
    "terminate": _spec(TerminateAgreement, on=DAY, reason=TEXT),
    "expire": _spec(ExpireAgreement, on=st.none() | DAY),
    "withdraw": _spec(WithdrawAgreement),
    "attach-document": _spec(
        AttachDocument, document_id=DOCUMENT_IDS, kind=st.sampled_from(DocumentKind),
        sha256=st.sampled_from(["a" * 64, "b" * 64]), size=st.integers(1, 10**7),
        media_type=st.just("application/pdf"), filename=st.just("naskah.pdf"),
        public=st.booleans(), supersedes=st.none() | DOCUMENT_IDS),
    "unpublish-document": _spec(UnpublishDocument, document_id=DOCUMENT_IDS,
                                reason=st.none() | TEXT),
}
# actions the table allows from each stage (None: no agreement yet)
LIKELY: dict[Stage | None, list[str]] = {}
for (_from, _action) in ALLOWED:
    LIKELY.setdefault(_from, []).append(_action.split(":")[0])


def _check_accepted(state: AgreementState | None, command: Any,
                    events: list[AgreementEventData]) -> AgreementState:
    before = None if state is None else state.stage
    allowed = ALLOWED.get((before, _key(command)))
    assert allowed is not None, f"{_key(command)} accepted in stage {before}"
    version = 0 if state is None else state.version
    for event in events:
        version += 1
        assert (event.agreement_id, event.version) == (AGREEMENT_ID, version)
        assert event.stage in allowed, f"{_key(command)}: {before} -> {event.stage}"
        state = evolve(state, event)
        assert (state.stage, state.version) == (event.stage, event.version)
    assert state is not None and len(events) == 1
    if _key(command) in {"approve", "discuss:AGREED"}:
        waiting = bool(state.required_approvals - state.granted_approvals)
        assert state.stage == (S.AWAITING_APPROVAL if waiting else S.READY_TO_SIGN)
    return state


def _check_refused(state: AgreementState | None, command: Any, error: DomainError) -> None:
    if isinstance(command, ProposeAgreement):
        assert (state is None) != isinstance(error, AgreementAlreadyExists), error
    elif state is None:
        assert isinstance(error, AgreementNotFound), error
    else:
        forbidden = (state.stage, _key(command)) not in ALLOWED
        assert forbidden == isinstance(error, StageConflict), f"{state.stage}: {error!r}"


# One command per action, to try every action the table forbids at each visited state.
EXAMPLES: list[AgreementCommand] = [
    cmd(model) for model in ACTION if issubclass(model, AgreementCommand)]


def _check_forbidden(state: AgreementState | None, ctx: DecisionContext) -> None:
    if state is None:
        for command in EXAMPLES:
            with pytest.raises(AgreementNotFound):
                decide(command, None, ctx)
        return
    with pytest.raises(AgreementAlreadyExists):
        decide(propose_cmd(), state, ctx)
    for command in EXAMPLES:
        if (state.stage, _key(command)) not in ALLOWED:
            with pytest.raises(StageConflict):
                decide(command, state, ctx)


def _check_archive(state: AgreementState, before: AgreementState | None) -> None:
    """Documents are unique; a version chain links documents of one kind both ways; a
    document is published only if public; the signed text of a signed agreement is never
    added to without superseding."""
    by_id = {d.id: d for d in state.documents}
    assert len(by_id) == len(state.documents)
    for document in state.documents:
        if document.superseded_by is not None:
            newer = by_id[document.superseded_by]
            assert (newer.supersedes, newer.kind) == (document.id, document.kind)
        assert not document.published or document.public
    if before is not None and before.stage in {S.SIGNED, S.TERMINATED, S.EXPIRED}:
        def current_signed(s: AgreementState) -> int:
            return sum(d.current and d.kind is DocumentKind.SIGNED for d in s.documents)
        assert current_signed(state) <= max(current_signed(before), 1)


def _check_invariants(state: AgreementState) -> None:
    assert state.granted_approvals <= state.required_approvals
    ids = [m.id for m in state.milestones]
    assert len(ids) == len(set(ids))
    if state.effective_from is not None and state.effective_until is not None:
        assert state.effective_from <= state.effective_until
        assert state.effective_until <= add_years(state.effective_from, 5)


# Sequences start from nothing or from the example agreement in each stage (with the
# date it got there), so that every stage is explored, not only the ones chance reaches.
STARTS: dict[str, tuple[list[AgreementEventData], date]] = {
    "nothing": ([], date(2021, 1, 15)),
    **{stage.value: (history(stage), date(2024, 4, 20) if stage == S.EXPIRED else TODAY)
       for stage in Stage},
}


@pytest.mark.parametrize("start", list(STARTS))
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), steps=st.integers(4, 20), parent=st.sampled_from(PARENTS))
def test_random_commands_follow_the_lifecycle_and_replay_to_the_same_state(
        start: str, data: st.DataObject, steps: int, parent: AgreementState | None) -> None:
    accepted, today = list(STARTS[start][0]), STARTS[start][1]
    state = replay(accepted)
    for _ in range(steps):
        today += timedelta(days=data.draw(st.integers(0, 240), label="days pass"))
        likely = sorted(set(LIKELY.get(None if state is None else state.stage, [])))
        biased = bool(likely) and data.draw(st.integers(0, 4), label="bias") > 0
        action = data.draw(st.sampled_from(likely if biased else list(COMMANDS)),
                           label="action")
        command = _build(data.draw(COMMANDS[action], label=action), today)
        ctx = DecisionContext(today=today, parent=parent)
        _check_forbidden(state, ctx)
        try:
            events = decide(command, state, ctx)
        except DomainError as error:
            _check_refused(state, command, error)
            continue
        assert decide(command, state, ctx) == events  # pure
        before, state = state, _check_accepted(state, command, events)
        _check_invariants(state)
        _check_archive(state, before)
        accepted.extend(events)
    assert replay(accepted) == state
