"""The notification rules of docs/domain.md#notices: what is said, to whom, on which occasion.

A :class:`Notice` is one thing to tell: a rule, the occasion it is about (the event id
for event-driven rules, a date for time-driven ones) and the audiences. The pair
(rule, occasion) is the notice's identity within an agreement: it fires once.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from uuid import UUID

from contracts.common import add_days
from contracts.events import (
    AgreementEventData,
    AgreementProposed,
    AgreementRejected,
    AgreementRevisionRequested,
    AgreementSigned,
)
from contracts.kpi import Indicator, KpiUpdated
from contracts.roles import PROVINCE
from services.notifications.domain.agreement import AgreementView
from services.notifications.domain.lateness import old_history


class Rule(enum.StrEnum):
    """Why a notice is sent; the values are stable (delivery log, metrics, templates)."""

    PROPOSAL_RECEIVED = "proposal_received"
    REVISION_REQUESTED = "revision_requested"
    PROPOSAL_REJECTED = "proposal_rejected"
    FOLLOW_UP_PLAN_REQUESTED = "follow_up_plan_requested"
    FOLLOW_UP_PLAN_MISSING = "follow_up_plan_missing"
    MILESTONE_DUE_SOON = "milestone_due_soon"
    MILESTONE_OVERDUE = "milestone_overdue"
    SLEEPING_WARNING = "sleeping_warning"
    SLEEPING_ESCALATION = "sleeping_escalation"
    EXPIRY_90_DAYS = "expiry_90_days"
    EXPIRY_60_DAYS = "expiry_60_days"
    EXPIRY_30_DAYS = "expiry_30_days"
    EXPIRY_7_DAYS = "expiry_7_days"
    EXPIRY_TODAY = "expiry_0_days"
    EVALUATION_DUE = "evaluation_due"
    FIGURE_RESTATED = "figure_restated"
    MAPPING_DUE = "mapping_due"
    MAPPING_MISSING = "mapping_missing"
    LATE_ENTRIES_DIGEST = "late_entries_digest"


EXPIRY_RULES: Mapping[int, Rule] = {
    90: Rule.EXPIRY_90_DAYS, 60: Rule.EXPIRY_60_DAYS, 30: Rule.EXPIRY_30_DAYS,
    7: Rule.EXPIRY_7_DAYS, 0: Rule.EXPIRY_TODAY,
}


class Audience(enum.StrEnum):
    """Who a notice is for; resolved to contacts by the service."""

    LEAD_AGENCY = "lead_agency"
    SUPPORTING_AGENCIES = "supporting_agencies"
    SECRETARIAT = "secretariat"
    REGIONAL_SECRETARY = "regional_secretary"
    NAMED_AGENCIES = "named_agencies"
    """The agencies the notice names itself (:attr:`Notice.agencies`)."""


@dataclass(frozen=True)
class Policy:
    """The day counts of the rules (settings of the service)."""

    plan_due_days: int = 30
    milestone_notice_days: int = 7
    sleeping_after_days: int = 90
    escalation_after_days: int = 180
    expiry_notice_days: tuple[int, ...] = (90, 60, 30, 7, 0)
    evaluation_notice_days: int = 14
    notice_late_days: int = 30
    """An event-driven notice about something that happened more than this many days
    before the event was recorded is not sent (old history)."""

    @property
    def expiring_soon_days(self) -> int:
        """How far ahead the late entries' digest looks for an end of validity: the
        earliest expiry notice (90 days by default)."""
        return max(self.expiry_notice_days, default=90)

    def __post_init__(self) -> None:
        unknown = set(self.expiry_notice_days) - set(EXPIRY_RULES)
        if unknown:
            raise ValueError(f"expiry notices exist for {sorted(EXPIRY_RULES)} days before "
                             f"the end, not {sorted(unknown)}")
        if self.escalation_after_days <= self.sleeping_after_days:
            raise ValueError("the escalation must come after the sleeping-document warning")
        if self.notice_late_days < 0:
            raise ValueError(f"notice_late_days must be 0 or more, not {self.notice_late_days}")


@dataclass(frozen=True)
class Notice:
    """One thing to tell about an agreement (or a figure, or a year's mapping), once per
    (rule, occasion)."""

    rule: Rule
    occasion: str
    audiences: tuple[Audience, ...]
    due_on: date | None = None
    """What the notice asks for is due by this date (None: nothing has a deadline)."""
    facts: Mapping[str, str | int | None] = field(default_factory=dict)
    agencies: tuple[str, ...] = ()
    """The agency codes of :attr:`Audience.NAMED_AGENCIES` (a notice about no agreement)."""
    skipped: str | None = None
    """Why the notice is recorded but not sent (old history); None: it is sent."""
    items: tuple[Mapping[str, str | int | None], ...] = ()
    """The entries of a notice that lists several things (the late entries' digest)."""


def plan_due_on(view: AgreementView, policy: Policy) -> date | None:
    """When the follow-up plan is due: ``plan_due_days`` after signing.

    A signing recorded after the fact, but within ``notice_late_days``, gets the days from
    the day it was recorded: nobody could have been asked before. One recorded later still
    is old history: its agencies are not asked (:func:`event_notices`), and the date is
    the one the request would have named at the time.
    """
    if view.signed_on is None:
        return None
    if view.entered_late(policy.notice_late_days):
        return add_days(view.signed_on, policy.plan_due_days)
    start = max(view.signed_on, view.signing_recorded_on or view.signed_on)
    return add_days(start, policy.plan_due_days)


def event_notices(view: AgreementView, data: AgreementEventData, event_id: UUID,
                  policy: Policy, recorded_on: date) -> list[Notice]:
    """The notices an event recorded on the business date ``recorded_on`` gives rise to;
    ``view`` is the view after the event. A notice about something that happened (its
    business date: proposed, signed) more than ``notice_late_days`` before is marked
    skipped (:func:`~services.notifications.domain.lateness.old_history`); an event
    without a business date (a revision request, a rejection) is never old history."""
    occasion = str(event_id)
    if isinstance(data, AgreementProposed):
        return [Notice(Rule.PROPOSAL_RECEIVED, occasion, (Audience.SECRETARIAT,),
                       facts={"proposed_on": data.proposed_on.isoformat()},
                       skipped=old_history("proposed", data.proposed_on, recorded_on,
                                           policy.notice_late_days))]
    if isinstance(data, AgreementRevisionRequested):
        return [Notice(Rule.REVISION_REQUESTED, occasion, (Audience.LEAD_AGENCY,),
                       facts={"reason": data.reason})]
    if isinstance(data, AgreementRejected):
        return [Notice(Rule.PROPOSAL_REJECTED, occasion, (Audience.LEAD_AGENCY,),
                       facts={"reason": data.reason})]
    if isinstance(data, AgreementSigned):
        return [Notice(Rule.FOLLOW_UP_PLAN_REQUESTED, occasion,
                       (Audience.LEAD_AGENCY, Audience.SUPPORTING_AGENCIES),
                       due_on=plan_due_on(view, policy),
                       facts={"signed_on": data.signed_on.isoformat(),
                              "number": data.number},
                       skipped=old_history("signed", data.signed_on, recorded_on,
                                           policy.notice_late_days))]
    return []


HEADLINE_INDICATORS = frozenset({Indicator.REALIZATION, Indicator.EFFECTIVENESS})
"""The figures the province reports; a restatement of one is told to the secretariat."""


def _shown(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def restatement_notice(data: KpiUpdated, recorded_on: date) -> Notice | None:
    """The notice of a restated headline figure of the province, once per figure and
    business day (the day it was recorded, in WIB); None for any other update."""
    if (not data.restated or data.scope != PROVINCE
            or data.indicator not in HEADLINE_INDICATORS):
        return None
    occasion = f"{data.indicator.value}/{data.year}/{PROVINCE}/{recorded_on.isoformat()}"
    return Notice(Rule.FIGURE_RESTATED, occasion, (Audience.SECRETARIAT,), facts={
        "indicator": data.indicator.value, "year": data.year,
        "previous_value": _shown(data.previous_value), "value": _shown(data.value),
        "numerator": _shown(float(data.numerator)), "denominator": data.denominator,
        "target": None if data.target is None else _shown(data.target),
        "revision": data.revision, "as_of_position": data.as_of_position,
        "recorded_on": recorded_on.isoformat()})
