"""Time-driven rules: the reminders due for an agreement on a business date.

:func:`due_reminders` is pure and is asked again every day (and after every event); the
service records each notice once per (rule, occasion), so asking twice never repeats a
reminder. Three principles hold for every rule:

- a reminder fires on its date or, if nobody asked that day, on the first day asked
  after it, as long as its condition still holds (a milestone completed meanwhile is
  not reminded);
- of a series (expiry at 90/60/30/7/0 days, milestone due soon then overdue) only the
  latest reached is sent, so a scheduler that was down does not send a burst;
- a reminder whose date lies before the facts it is about were recorded (the signing,
  the milestone's due date) is never sent: late entry of old agreements floods nobody.
"""

from __future__ import annotations

from datetime import date

from contracts.common import Stage, add_days
from contracts.sleeping import quiet_on
from services.notifications.domain.agreement import AgreementView, PlannedMilestone
from services.notifications.domain.rules import (
    EXPIRY_RULES,
    Audience,
    Notice,
    Policy,
    Rule,
    plan_due_on,
)

LEAD_AND_SECRETARIAT = (Audience.LEAD_AGENCY, Audience.SECRETARIAT)


def semester_of(day: date) -> tuple[date, date]:
    """First and last day of the semester (January to June, July to December) of ``day``."""
    if day.month <= 6:
        return date(day.year, 1, 1), date(day.year, 6, 30)
    return date(day.year, 7, 1), date(day.year, 12, 31)


def _plan_missing(view: AgreementView, today: date, policy: Policy) -> list[Notice]:
    due = plan_due_on(view, policy)
    if view.has_plan or due is None or today < due:
        return []
    if view.entered_late(policy.notice_late_days):
        return []  # never asked (old history): the late entries' digest lists it
    return [Notice(Rule.FOLLOW_UP_PLAN_MISSING, due.isoformat(), LEAD_AND_SECRETARIAT,
                   due_on=due, facts={"signed_on": _iso(view.signed_on)})]


def _milestone(m: PlannedMilestone, today: date, policy: Policy) -> list[Notice]:
    if m.completed_on is not None:
        return []
    occasion = f"{m.id}@{m.due_on.isoformat()}"
    facts: dict[str, str | int | None] = {"milestone_id": m.id, "milestone": m.title}
    if today > m.due_on:
        fires_on, rule, audiences = add_days(m.due_on, 1), Rule.MILESTONE_OVERDUE, \
            LEAD_AND_SECRETARIAT
    elif today >= add_days(m.due_on, -policy.milestone_notice_days):
        fires_on, rule = add_days(m.due_on, -policy.milestone_notice_days), \
            Rule.MILESTONE_DUE_SOON
        audiences = (Audience.LEAD_AGENCY, Audience.SUPPORTING_AGENCIES)
    else:
        return []
    if fires_on < m.known_on:
        return []
    return [Notice(rule, occasion, audiences, due_on=m.due_on, facts=facts)]


def _sleeping(view: AgreementView, today: date, policy: Policy) -> list[Notice]:
    # the shared rule (contracts.sleeping) gives the quiet spell; notices count it from
    # the day the signing was recorded at the earliest, so a late entry is not warned of
    # at once (docs/domain.md#late-entries)
    quiet = quiet_on(today, signed_on=view.signed_on, in_force=view.in_force_on(today),
                     activities=view.activities())
    if quiet is None:
        return []
    last = quiet.last_activity_on
    since = max(last, view.signing_recorded_on or last)
    days = (today - since).days
    facts: dict[str, str | int | None] = {"last_activity_on": last.isoformat(),
                                          "days": days}
    notices = []
    if days >= policy.sleeping_after_days:
        notices.append(Notice(Rule.SLEEPING_WARNING, since.isoformat(),
                              (Audience.LEAD_AGENCY, Audience.SUPPORTING_AGENCIES,
                               Audience.SECRETARIAT), facts=facts))
    if days >= policy.escalation_after_days:
        notices.append(Notice(Rule.SLEEPING_ESCALATION, since.isoformat(),
                              (Audience.REGIONAL_SECRETARY, Audience.SECRETARIAT),
                              facts=facts))
    return notices


def _expiry(view: AgreementView, today: date, policy: Policy) -> list[Notice]:
    until = view.effective_until
    if until is None or today > until:
        return []
    reached = [n for n in policy.expiry_notice_days if add_days(until, -n) <= today]
    if not reached:
        return []
    days = min(reached)
    if add_days(until, -days) < (view.signing_recorded_on or until):
        return []
    return [Notice(EXPIRY_RULES[days], until.isoformat(), LEAD_AND_SECRETARIAT,
                   due_on=until, facts={"days": days})]


def _evaluation(view: AgreementView, today: date, policy: Policy) -> list[Notice]:
    start, end = semester_of(today)
    fires_on = add_days(end, -policy.evaluation_notice_days)
    if today < fires_on or not view.in_force_on(fires_on):
        return []
    if fires_on < (view.signing_recorded_on or fires_on):
        return []
    if any(start <= on <= end for on in view.evaluations):
        return []
    semester = 1 if end.month == 6 else 2
    return [Notice(Rule.EVALUATION_DUE, end.isoformat(), LEAD_AND_SECRETARIAT, due_on=end,
                   facts={"semester": semester, "year": end.year})]


def due_reminders(view: AgreementView, today: date, policy: Policy) -> list[Notice]:
    """The time-driven notices due on ``today`` for a signed agreement (none otherwise)."""
    if view.stage != Stage.SIGNED or view.signed_on is None:
        return []
    notices = _plan_missing(view, today, policy)
    for milestone in view.milestones:
        notices += _milestone(milestone, today, policy)
    notices += _sleeping(view, today, policy)
    notices += _expiry(view, today, policy)
    notices += _evaluation(view, today, policy)
    return notices


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()
