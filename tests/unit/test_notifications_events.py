"""The notifications service's agreement view and event-driven rules (pure)."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from contracts.common import Stage
from contracts.events import (
    AgreementFollowUpRecorded,
    AgreementMilestoneCompleted,
    AgreementPlanSet,
    AgreementProposed,
    AgreementRejected,
    AgreementRevisionRequested,
    AgreementSigned,
    AgreementTerminated,
)
from contracts.examples import example_of
from services.notifications.domain import (
    Audience,
    Policy,
    Rule,
    UnknownAgreement,
    event_notices,
    evolve,
)

AID = uuid4()
RECORDED = date(2021, 4, 20)


def proposed() -> AgreementProposed:
    return example_of(AgreementProposed, agreement_id=AID, version=1,
                      supporting_opds=["DISKOMINFO"])


def signed(**changes: object) -> AgreementSigned:
    return example_of(AgreementSigned, agreement_id=AID, version=6, stage=Stage.SIGNED,
                      signed_on=date(2021, 4, 20), effective_from=date(2021, 4, 20),
                      effective_until=date(2024, 4, 19), **changes)


def plan(*milestones: tuple[str, str], version: int) -> AgreementPlanSet:
    return example_of(AgreementPlanSet, agreement_id=AID, version=version, stage=Stage.SIGNED,
                      milestones=[{"id": i, "title": i, "due_on": d} for i, d in milestones])


def test_a_proposal_tells_the_secretariat_and_a_revision_or_rejection_the_agency() -> None:
    v = evolve(None, proposed(), RECORDED)
    [notice] = event_notices(v, proposed(), uuid4(), Policy(), RECORDED)
    assert (notice.rule, notice.audiences) == (Rule.PROPOSAL_RECEIVED, (Audience.SECRETARIAT,))
    for data, rule in ((example_of(AgreementRevisionRequested, agreement_id=AID),
                        Rule.REVISION_REQUESTED),
                       (example_of(AgreementRejected, agreement_id=AID),
                        Rule.PROPOSAL_REJECTED)):
        [notice] = event_notices(evolve(v, data, RECORDED), data, uuid4(), Policy(),
                                  RECORDED)
        assert notice.rule == rule and notice.audiences == (Audience.LEAD_AGENCY,)
        assert notice.facts["reason"] == getattr(data, "reason")  # noqa: B009


def test_signing_asks_the_agencies_for_a_plan_within_30_days_of_signing() -> None:
    event_id = uuid4()
    v = evolve(evolve(None, proposed(), RECORDED), signed(), RECORDED)
    [notice] = event_notices(v, signed(), event_id, Policy(), RECORDED)
    assert notice.rule == Rule.FOLLOW_UP_PLAN_REQUESTED
    assert notice.occasion == str(event_id)
    assert notice.due_on == date(2021, 5, 20)
    assert notice.audiences == (Audience.LEAD_AGENCY, Audience.SUPPORTING_AGENCIES)


def test_a_signing_entered_late_within_the_late_days_gives_30_days_from_its_entry() -> None:
    entered = date(2021, 5, 20)  # 30 days after signing: still told
    v = evolve(evolve(None, proposed(), entered), signed(), entered)
    [notice] = event_notices(v, signed(), uuid4(), Policy(), entered)
    assert notice.skipped is None
    assert notice.due_on == date(2021, 6, 19)


def test_the_view_follows_plans_completions_follow_ups_and_termination() -> None:
    v = evolve(evolve(None, proposed(), RECORDED), signed(), RECORDED)
    v = evolve(v, plan(("m1", "2021-06-30"), ("m2", "2021-09-30"), version=7), RECORDED)
    v = evolve(v, example_of(AgreementMilestoneCompleted, agreement_id=AID, version=8,
                             stage=Stage.SIGNED, milestone_id="m1", on=date(2021, 6, 28)),
               date(2021, 6, 28))
    replanned = plan(("m1", "2021-06-30"), ("m2", "2021-10-31"), ("m3", "2021-12-31"),
                     version=9)
    v = evolve(v, replanned, date(2021, 7, 1))
    assert [(m.id, m.due_on.isoformat(), m.known_on.isoformat(), m.completed_on)
            for m in v.milestones] == [
        ("m1", "2021-06-30", "2021-04-20", date(2021, 6, 28)),
        ("m2", "2021-10-31", "2021-07-01", None),
        ("m3", "2021-12-31", "2021-07-01", None)]
    v = evolve(v, example_of(AgreementFollowUpRecorded, agreement_id=AID, version=10,
                             stage=Stage.SIGNED, on=date(2021, 8, 2)), date(2021, 8, 2))
    assert max(d for d in v.activities() if d is not None) == date(2021, 8, 2)
    v = evolve(v, example_of(AgreementTerminated, agreement_id=AID, version=11,
                             stage=Stage.TERMINATED, on=date(2021, 9, 1)), date(2021, 9, 1))
    assert (v.stage, v.ended_on, v.version) == (Stage.TERMINATED, date(2021, 9, 1), 11)
    assert not v.in_force_on(date(2021, 9, 2))


def test_an_event_before_the_proposal_is_refused() -> None:
    with pytest.raises(UnknownAgreement):
        evolve(None, signed(), RECORDED)
