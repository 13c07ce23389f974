"""After signing: the plan, follow-ups, milestones, evaluations (also entered late), the end."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from contracts.commands import (
    CompleteMilestone,
    EvaluateAgreement,
    ExpireAgreement,
    RecordFollowUp,
    SetFollowUpPlan,
    SignAgreement,
    TerminateAgreement,
)
from contracts.common import Milestone, Recommendation, Stage
from contracts.events import AgreementExpired, AgreementPlanSet
from services.agreements.domain import (
    DecisionContext,
    DuplicateMilestone,
    Evaluation,
    InvalidDates,
    MilestoneAlreadyCompleted,
    NotYetExpired,
    PlannedMilestone,
    UnknownMilestone,
    decide,
)
from tests.unit.test_agreement_builders import AFTER_END, CTX, TODAY, agreement_in, cmd, run

# The example agreement: signed 2021-04-20, in force 2021-04-20 .. 2024-04-19,
# terminated 2022-01-31; its plan has milestone m1 due 2021-06-30.
END = date(2024, 4, 19)


def _milestone(mid: str, due: date = date(2021, 9, 30)) -> Milestone:
    return Milestone(id=mid, title=f"Tahap {mid}", due_on=due)


def _plan(*ids: str) -> SetFollowUpPlan:
    return cmd(SetFollowUpPlan, milestones=[_milestone(i) for i in ids])


def _follow_up(on: date, **overrides: Any) -> RecordFollowUp:
    return cmd(RecordFollowUp, on=on, **overrides)


def test_plan_lists_the_milestones_with_due_dates_and_budget() -> None:
    state = agreement_in(Stage.SIGNED)
    assert state.milestones == (PlannedMilestone("m1", "Galeri UMKM Juara dibuka",
                                                 date(2021, 6, 30), 150000000, None),)


def test_plan_cannot_repeat_a_milestone_id() -> None:
    with pytest.raises(DuplicateMilestone, match="milestone id m2 appears more than once"):
        decide(_plan("m2", "m3", "m2"), agreement_in(Stage.SIGNED), CTX)


def test_new_plan_keeps_completed_milestones_and_replaces_the_others() -> None:
    state = run(agreement_in(Stage.SIGNED), _plan("m1", "m2"),
                cmd(CompleteMilestone, milestone_id="m2", on=date(2021, 6, 1)))
    (event,) = decide(_plan("m3", "m1"), state, CTX)
    assert isinstance(event, AgreementPlanSet)
    assert [m.id for m in event.milestones] == ["m2", "m3", "m1"]
    after = run(state, _plan("m3", "m1"))
    assert [(m.id, m.completed_on) for m in after.milestones] == [
        ("m2", date(2021, 6, 1)), ("m3", None), ("m1", None)]


def test_plan_cannot_reuse_the_id_of_a_completed_milestone() -> None:
    state = run(agreement_in(Stage.SIGNED), cmd(CompleteMilestone))
    with pytest.raises(DuplicateMilestone, match="milestone m1 is already completed"):
        decide(_plan("m1"), state, CTX)


def test_follow_up_is_counted_and_its_latest_date_kept() -> None:
    state = run(agreement_in(Stage.SIGNED), _follow_up(date(2021, 8, 1)),
                _follow_up(date(2021, 5, 10)))
    assert (state.follow_ups, state.last_follow_up_on) == (2, date(2021, 8, 1))
    assert state.stage == Stage.SIGNED


def test_follow_up_for_an_unplanned_milestone_is_refused() -> None:
    with pytest.raises(UnknownMilestone, match="milestone m9 is not in the follow-up plan"):
        decide(_follow_up(date(2021, 5, 10), milestone_id="m9"), agreement_in(Stage.SIGNED),
               CTX)


def test_follow_up_cannot_be_dated_in_the_future() -> None:
    tomorrow = TODAY + timedelta(days=1)
    with pytest.raises(InvalidDates, match=f"follow-up date {tomorrow} is in the future"):
        decide(_follow_up(tomorrow), agreement_in(Stage.SIGNED), CTX)


def test_follow_up_cannot_precede_signing_and_validity() -> None:
    with pytest.raises(InvalidDates, match="follow-up date 2021-04-19 is before "
                       "effective_from 2021-04-20"):
        decide(_follow_up(date(2021, 4, 19)), agreement_in(Stage.SIGNED), CTX)


def test_follow_up_between_signing_and_start_of_validity_is_accepted() -> None:
    starts_later = run(agreement_in(Stage.READY_TO_SIGN), cmd(
        SignAgreement, signed_on=date(2021, 4, 20), effective_from=date(2021, 5, 1),
        effective_until=date(2022, 4, 30)))
    preparation = _follow_up(date(2021, 4, 25), milestone_id=None)
    assert decide(preparation, starts_later, CTX)[0].stage == Stage.SIGNED
    with pytest.raises(InvalidDates, match="follow-up date 2021-04-19 is before signed_on "
                       "2021-04-20"):
        decide(_follow_up(date(2021, 4, 19), milestone_id=None), starts_later, CTX)


@pytest.mark.parametrize(("stage", "inside", "outside"), [
    (Stage.TERMINATED, date(2022, 1, 31), date(2022, 2, 1)),
    (Stage.EXPIRED, END, END + timedelta(days=1)),
])
def test_records_entered_late_are_accepted_inside_the_in_force_period(
        stage: Stage, inside: date, outside: date) -> None:
    state = agreement_in(stage)
    for command in (_follow_up(inside), cmd(CompleteMilestone, on=inside),
                    cmd(EvaluateAgreement, on=inside)):
        (event,) = decide(command, state, AFTER_END)
        assert (event.stage, event.version) == (stage, state.version + 1)
    with pytest.raises(InvalidDates, match=f"follow-up date {outside} is after .*, the last "
                       f"day in force of this {stage} agreement"):
        decide(_follow_up(outside), state, AFTER_END)


def test_completing_a_milestone_records_its_date() -> None:
    state = run(agreement_in(Stage.SIGNED), cmd(CompleteMilestone, on=date(2021, 6, 28)))
    assert state.milestones[0].completed_on == date(2021, 6, 28)
    assert state.last_milestone_completed_on == date(2021, 6, 28)


def test_completing_an_unknown_milestone_is_refused() -> None:
    with pytest.raises(UnknownMilestone, match="milestone m7 is not in the follow-up plan") \
            as refused:
        decide(cmd(CompleteMilestone, milestone_id="m7"), agreement_in(Stage.SIGNED), CTX)
    assert refused.value.status == 422


def test_completing_a_milestone_twice_conflicts() -> None:
    state = run(agreement_in(Stage.SIGNED), cmd(CompleteMilestone, on=date(2021, 6, 28)))
    with pytest.raises(MilestoneAlreadyCompleted, match="milestone m1 was already completed "
                       "on 2021-06-28") as refused:
        decide(cmd(CompleteMilestone, on=TODAY + timedelta(days=3)), state, CTX)
    assert refused.value.status == 409


def test_completion_cannot_be_dated_in_the_future() -> None:
    with pytest.raises(InvalidDates, match=r"completion date .* is in the future"):
        decide(cmd(CompleteMilestone, on=TODAY + timedelta(days=1)),
               agreement_in(Stage.SIGNED), CTX)


def test_evaluations_are_kept_in_order() -> None:
    state = run(agreement_in(Stage.SIGNED),
                cmd(EvaluateAgreement, on=date(2021, 12, 15), score=4),
                cmd(EvaluateAgreement, on=date(2021, 7, 1), score=2,
                    recommendation=Recommendation.STOP))
    assert state.evaluations == (Evaluation(date(2021, 12, 15), 4, Recommendation.CONTINUE),
                                 Evaluation(date(2021, 7, 1), 2, Recommendation.STOP))
    assert state.last_evaluated_on == date(2021, 12, 15)


def test_evaluation_cannot_be_dated_in_the_future() -> None:
    with pytest.raises(InvalidDates, match=r"evaluation date .* is in the future"):
        decide(cmd(EvaluateAgreement, on=TODAY + timedelta(days=1)),
               agreement_in(Stage.SIGNED), CTX)


def test_termination_ends_the_agreement_on_its_date() -> None:
    state = agreement_in(Stage.TERMINATED)
    assert (state.terminated_on, state.in_force_until) == (date(2022, 1, 31), date(2022, 1, 31))
    assert state.last_reason == "Mitra menghentikan program"


@pytest.mark.parametrize(("on", "problem"), [
    (TODAY + timedelta(days=1), "is in the future"),
    (date(2021, 4, 19), "is before signed_on 2021-04-20"),
    (date(2024, 4, 20), "is after effective_until 2024-04-19"),
])
def test_termination_date_must_lie_between_signing_and_the_end(on: date, problem: str) -> None:
    late = DecisionContext(today=date(2024, 5, 1)) if on.year == 2024 else CTX
    with pytest.raises(InvalidDates, match=f"termination date {on} {problem}"):
        decide(cmd(TerminateAgreement, on=on), agreement_in(Stage.SIGNED), late)


def test_agreement_still_in_force_cannot_expire() -> None:
    with pytest.raises(NotYetExpired, match="in force until 2024-04-19; it can be expired "
                       "from 2024-04-20") as refused:
        decide(cmd(ExpireAgreement), agreement_in(Stage.SIGNED), DecisionContext(END))
    assert refused.value.status == 409


def test_agreement_expires_the_day_after_its_last_day_in_force() -> None:
    (event,) = decide(cmd(ExpireAgreement), agreement_in(Stage.SIGNED), AFTER_END)
    assert isinstance(event, AgreementExpired)
    assert (event.stage, event.on, event.effective_until) == (Stage.EXPIRED, AFTER_END.today,
                                                              END)
    assert agreement_in(Stage.EXPIRED).expired_on == AFTER_END.today


def test_expiry_recorded_late_keeps_its_own_date() -> None:
    ctx = DecisionContext(date(2024, 6, 1))
    (event,) = decide(cmd(ExpireAgreement, on=date(2024, 4, 21)), agreement_in(Stage.SIGNED),
                      ctx)
    assert isinstance(event, AgreementExpired) and event.on == date(2024, 4, 21)


@pytest.mark.parametrize(("on", "problem"), [
    (date(2024, 4, 19), "is not after effective_until 2024-04-19"),
    (date(2024, 6, 2), "is in the future"),
])
def test_expiry_date_must_follow_the_last_day_in_force(on: date, problem: str) -> None:
    with pytest.raises(InvalidDates, match=f"expiry date {on} {problem}"):
        decide(cmd(ExpireAgreement, on=on), agreement_in(Stage.SIGNED),
               DecisionContext(date(2024, 6, 1)))
