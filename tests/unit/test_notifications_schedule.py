"""Time-driven notification rules (pure): what is due on a given business date."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from uuid import uuid4

import pytest

from contracts.common import Stage
from services.notifications.domain import (
    AgreementView,
    Audience,
    Notice,
    PlannedMilestone,
    Policy,
    Rule,
    due_reminders,
    semester_of,
)

POLICY = Policy()
SIGNED = date(2021, 4, 20)


def view(**changes: object) -> AgreementView:
    base = AgreementView(
        id=uuid4(), title="Galeri UMKM Juara di blibli.com", kind="KSDPK",
        document_type="PKS", partner_name="blibli.com", partner_country="ID",
        lead_opd="DISKUK", supporting_opds=("DISKOMINFO",), stage=Stage.SIGNED, version=5,
        proposed_on=date(2021, 1, 11), recorded_on=date(2021, 1, 11), number="027/88",
        signed_on=SIGNED, signing_recorded_on=SIGNED, effective_from=SIGNED,
        effective_until=date(2024, 4, 19), has_plan=True)
    return replace(base, **changes)  # type: ignore[arg-type]


def rules(v: AgreementView, day: date) -> list[Rule]:
    return [n.rule for n in due_reminders(v, day, POLICY)]


def milestone_notices(v: AgreementView, day: date) -> list[Notice]:
    return [n for n in due_reminders(v, day, POLICY) if n.rule.value.startswith("milestone")]


def test_no_plan_thirty_days_after_signing_reminds_agency_and_secretariat() -> None:
    v = view(has_plan=False)
    assert Rule.FOLLOW_UP_PLAN_MISSING not in rules(v, date(2021, 5, 19))
    [notice] = [n for n in due_reminders(v, date(2021, 5, 20), POLICY)
                if n.rule == Rule.FOLLOW_UP_PLAN_MISSING]
    assert notice.due_on == date(2021, 5, 20)
    assert notice.audiences == (Audience.LEAD_AGENCY, Audience.SECRETARIAT)
    assert Rule.FOLLOW_UP_PLAN_MISSING not in rules(view(), date(2021, 5, 20))


def test_a_milestone_is_announced_seven_days_ahead_then_reported_overdue() -> None:
    m = PlannedMilestone("m1", "Galeri dibuka", date(2021, 6, 30), known_on=SIGNED)
    v = view(milestones=(m,))
    assert milestone_notices(v, date(2021, 6, 22)) == []
    [soon] = milestone_notices(v, date(2021, 6, 23))
    assert (soon.rule, soon.due_on, soon.occasion) == (
        Rule.MILESTONE_DUE_SOON, date(2021, 6, 30), "m1@2021-06-30")
    assert [n.rule for n in milestone_notices(v, date(2021, 6, 30))] == [
        Rule.MILESTONE_DUE_SOON]
    [overdue] = milestone_notices(v, date(2021, 7, 1))
    assert overdue.rule == Rule.MILESTONE_OVERDUE
    assert Audience.SECRETARIAT in overdue.audiences
    done = view(milestones=(replace(m, completed_on=date(2021, 6, 29)),))
    assert milestone_notices(done, date(2021, 7, 1)) == []


def test_a_replanned_due_date_is_a_new_occasion() -> None:
    m = PlannedMilestone("m1", "Galeri dibuka", date(2021, 8, 31), known_on=SIGNED)
    [notice] = milestone_notices(view(milestones=(m,)), date(2021, 8, 25))
    assert notice.occasion == "m1@2021-08-31"


def test_sleeping_warning_at_90_days_escalation_at_180_to_the_regional_secretary() -> None:
    v = view()
    assert Rule.SLEEPING_WARNING not in rules(v, SIGNED + timedelta(days=89))
    assert rules(v, SIGNED + timedelta(days=90)) == [Rule.SLEEPING_WARNING]
    notices = due_reminders(v, SIGNED + timedelta(days=180), POLICY)
    escalation = next(n for n in notices if n.rule == Rule.SLEEPING_ESCALATION)
    assert Audience.REGIONAL_SECRETARY in escalation.audiences
    assert Audience.LEAD_AGENCY not in escalation.audiences
    assert escalation.occasion == SIGNED.isoformat()
    assert escalation.facts["days"] == 180


@pytest.mark.parametrize("activity", ["follow_up", "milestone", "child"])
def test_any_follow_up_activity_restarts_the_sleeping_count(activity: str) -> None:
    later = SIGNED + timedelta(days=60)
    v = {"follow_up": view(last_follow_up_on=later),
         "milestone": view(milestones=(PlannedMilestone("m1", "x", later, SIGNED, later),)),
         "child": view(last_child_signed_on=later)}[activity]
    assert Rule.SLEEPING_WARNING not in rules(v, SIGNED + timedelta(days=90))
    [warning] = [n for n in due_reminders(v, later + timedelta(days=90), POLICY)
                 if n.rule == Rule.SLEEPING_WARNING]
    assert warning.occasion == later.isoformat()


def test_no_sleeping_warning_outside_the_validity_period_or_after_termination() -> None:
    assert rules(view(effective_from=date(2022, 1, 1)), date(2021, 8, 1)) == []
    assert rules(view(stage=Stage.TERMINATED), date(2021, 8, 1)) == []


def test_expiry_is_announced_at_90_60_30_7_and_0_days_and_only_the_latest_reached() -> None:
    until = date(2024, 4, 19)
    v = view(last_follow_up_on=until - timedelta(days=10))
    seen = {}
    for days_before in range(100, -2, -1):
        day = until - timedelta(days=days_before)
        seen[days_before] = [r for r in rules(v, day) if r.value.startswith("expiry")]
    assert seen[91] == []
    assert seen[90] == seen[61] == [Rule.EXPIRY_90_DAYS]
    assert seen[60] == [Rule.EXPIRY_60_DAYS]
    assert seen[30] == [Rule.EXPIRY_30_DAYS]
    assert seen[7] == seen[1] == [Rule.EXPIRY_7_DAYS]
    assert seen[0] == [Rule.EXPIRY_TODAY]
    assert seen[-1] == []


def test_an_evaluation_is_asked_each_semester_unless_one_was_recorded() -> None:
    v = view(last_follow_up_on=date(2021, 6, 10))
    assert Rule.EVALUATION_DUE not in rules(v, date(2021, 6, 15))
    [notice] = [n for n in due_reminders(v, date(2021, 6, 16), POLICY)
                if n.rule == Rule.EVALUATION_DUE]
    assert (notice.due_on, notice.facts["semester"]) == (date(2021, 6, 30), 1)
    evaluated = view(last_follow_up_on=date(2021, 6, 10), evaluations=(date(2021, 3, 1),))
    assert Rule.EVALUATION_DUE not in rules(evaluated, date(2021, 6, 16))
    assert Rule.EVALUATION_DUE in rules(evaluated, date(2021, 12, 17))
    assert semester_of(date(2021, 7, 1)) == (date(2021, 7, 1), date(2021, 12, 31))


def test_reminders_due_before_the_facts_were_recorded_are_not_sent() -> None:
    entered = date(2023, 6, 1)  # signed two years before it was entered
    old = view(signing_recorded_on=entered, has_plan=True, milestones=(
        PlannedMilestone("m1", "old", date(2021, 6, 30), known_on=entered),
        PlannedMilestone("m2", "soon", date(2023, 6, 5), known_on=entered)))
    assert rules(old, entered) == []
    # the sleeping count starts when the signing became known; its plan was never asked
    # for (old history, the late entries' digest lists it), so its absence is not reminded
    no_plan = replace(old, has_plan=False, milestones=())
    for days in (0, 29, 30, 31, 365):
        assert Rule.FOLLOW_UP_PLAN_MISSING not in rules(no_plan, entered + timedelta(days=days))
    assert Rule.SLEEPING_WARNING not in rules(no_plan, entered + timedelta(days=89))
    assert Rule.SLEEPING_WARNING in rules(no_plan, entered + timedelta(days=90))
    # the overdue reminder of a milestone entered before it fell due is sent
    assert Rule.MILESTONE_OVERDUE in rules(old, date(2023, 6, 6))


def test_a_signing_entered_late_but_within_the_late_days_counts_the_plan_from_its_entry(
) -> None:
    entered = SIGNED + timedelta(days=30)  # at the limit: the agencies were asked
    late = view(signing_recorded_on=entered, has_plan=False)
    assert Rule.FOLLOW_UP_PLAN_MISSING not in rules(late, entered + timedelta(days=29))
    assert Rule.FOLLOW_UP_PLAN_MISSING in rules(late, entered + timedelta(days=30))


def test_a_policy_refuses_expiry_days_without_a_rule() -> None:
    with pytest.raises(ValueError, match="expiry notices"):
        Policy(expiry_notice_days=(45,))
