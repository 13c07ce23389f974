"""Sleeping documents: signed, in force, and no activity for 90 days."""

from __future__ import annotations

from datetime import date, timedelta

from contracts.commands import CompleteMilestone, RecordFollowUp
from contracts.common import Stage
from services.agreements.domain import SLEEPING_AFTER_DAYS, is_sleeping
from tests.unit.test_agreement_builders import agreement_in, cmd, run

SIGNED_ON = date(2021, 4, 20)  # in force 2021-04-20 .. 2024-04-19


def _day(n: int, start: date = SIGNED_ON) -> date:
    return start + timedelta(days=n)


def test_signed_agreement_without_activity_sleeps_after_90_days() -> None:
    state = agreement_in(Stage.SIGNED)
    assert SLEEPING_AFTER_DAYS == 90
    assert not is_sleeping(state, _day(89))
    assert is_sleeping(state, _day(90))


def test_follow_up_restarts_the_count() -> None:
    follow_up = _day(60)
    state = run(agreement_in(Stage.SIGNED), cmd(RecordFollowUp, on=follow_up))
    assert not is_sleeping(state, _day(90))
    assert not is_sleeping(state, _day(89, follow_up))
    assert is_sleeping(state, _day(90, follow_up))


def test_milestone_completion_restarts_the_count() -> None:
    completed = _day(70)
    state = run(agreement_in(Stage.SIGNED), cmd(CompleteMilestone, on=completed))
    assert not is_sleeping(state, _day(89, completed))
    assert is_sleeping(state, _day(90, completed))


def test_signing_of_a_child_agreement_restarts_the_count() -> None:
    state = agreement_in(Stage.SIGNED)
    child_signed = _day(80)
    assert not is_sleeping(state, _day(120), last_child_signed_on=child_signed)
    assert is_sleeping(state, _day(90, child_signed), last_child_signed_on=child_signed)


def test_older_records_entered_late_do_not_hide_newer_activity() -> None:
    state = run(agreement_in(Stage.SIGNED), cmd(RecordFollowUp, on=_day(60)),
                cmd(RecordFollowUp, on=_day(10)))
    assert state.last_follow_up_on == _day(60)
    assert not is_sleeping(state, _day(100))


def test_threshold_can_be_set() -> None:
    state = agreement_in(Stage.SIGNED)
    assert not is_sleeping(state, _day(179), after_days=180)
    assert is_sleeping(state, _day(180), after_days=180)


def test_agreement_not_in_force_does_not_sleep() -> None:
    state = agreement_in(Stage.SIGNED)
    assert is_sleeping(state, date(2024, 4, 19))
    assert not is_sleeping(state, date(2024, 4, 20))
    assert not is_sleeping(state, date(2021, 4, 19))


def test_only_signed_agreements_sleep() -> None:
    for stage in (Stage.READY_TO_SIGN, Stage.TERMINATED, Stage.EXPIRED):
        assert not is_sleeping(agreement_in(stage), date(2022, 1, 30))
