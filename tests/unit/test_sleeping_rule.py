"""One meaning of "sleeping document": the agreements flag, the reporting figure and the
notifications warning agree on every generated history (docs/domain.md#sleeping-documents).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from uuid import uuid4

from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.common import DocumentType, Kind, Stage
from contracts.sleeping import SLEEPING_AFTER_DAYS, sleeping_on
from services.agreements.domain import is_sleeping
from services.notifications.domain.agreement import AgreementView
from services.notifications.domain.rules import Policy, Rule
from services.notifications.domain.schedule import _sleeping
from services.reporting.domain.facts import AgreementFacts
from services.reporting.domain.timely import sleeping
from tests.unit.test_agreement_builders import agreement_in

START = date(2021, 1, 1)


@st.composite
def histories(draw: st.DrawFn) -> dict[str, object]:
    """A signed agreement, its follow-ups, a child's signing and maybe its termination,
    everything dated on or before ``today``."""
    signed = START + timedelta(days=draw(st.integers(0, 400)))
    until = signed + timedelta(days=draw(st.integers(1, 1500)))
    today = signed + timedelta(days=draw(st.integers(0, 1800)))
    def on_or_before(last: date) -> st.SearchStrategy[date]:
        return st.integers(0, max(0, (last - signed).days)).map(
            lambda n: signed + timedelta(days=n))

    follow_ups = draw(st.lists(on_or_before(min(today, until)), max_size=4))
    child = draw(st.none() | on_or_before(today))
    terminated = draw(st.none() | on_or_before(min(today, until)))
    if terminated is not None:
        follow_ups = [d for d in follow_ups if d <= terminated]
    return {"signed": signed, "until": until, "today": today, "follow_ups": follow_ups,
            "child": child, "terminated": terminated}


def agreements_says(h: dict[str, object]) -> bool:
    base = agreement_in(Stage.SIGNED)
    follow_ups = h["follow_ups"]
    assert isinstance(follow_ups, list)
    state = replace(base, signed_on=h["signed"], effective_from=h["signed"],
                    effective_until=h["until"], last_follow_up_on=max(follow_ups, default=None),
                    last_milestone_completed_on=None, terminated_on=h["terminated"],
                    stage=Stage.TERMINATED if h["terminated"] else Stage.SIGNED)
    return is_sleeping(state, h["today"], last_child_signed_on=h["child"])  # type: ignore[arg-type]


def reporting_says(h: dict[str, object]) -> bool:
    follow_ups = h["follow_ups"]
    assert isinstance(follow_ups, list)
    facts = AgreementFacts(
        id=uuid4(), title="PKS", kind=Kind.KSDPK, document_type=DocumentType.PKS,
        lead_opd="DISKUK", plan_year=2021, proposed_on=START,
        stage=Stage.TERMINATED if h["terminated"] else Stage.SIGNED, version=9,
        signed_on=h["signed"], effective_from=h["signed"], effective_until=h["until"],  # type: ignore[arg-type]
        terminated_on=h["terminated"], activity_dates=tuple(sorted(set(follow_ups))))  # type: ignore[arg-type]
    child = h["child"]
    return sleeping(facts, [child] if isinstance(child, date) else [], h["today"]) is not None  # type: ignore[arg-type]


def notifications_warn(h: dict[str, object]) -> bool:
    follow_ups = h["follow_ups"]
    assert isinstance(follow_ups, list)
    view = AgreementView(
        id=uuid4(), title="PKS", kind="KSDPK", document_type="PKS", partner_name="blibli.com",
        partner_country="ID", lead_opd="DISKUK", supporting_opds=(),
        stage=Stage.TERMINATED if h["terminated"] else Stage.SIGNED, version=9,
        proposed_on=START, recorded_on=START, signed_on=h["signed"],  # type: ignore[arg-type]
        signing_recorded_on=h["signed"], effective_from=h["signed"],  # type: ignore[arg-type]
        effective_until=h["until"], last_follow_up_on=max(follow_ups, default=None),  # type: ignore[arg-type]
        ended_on=h["terminated"], last_child_signed_on=h["child"])  # type: ignore[arg-type]
    notices = _sleeping(view, h["today"], Policy())  # type: ignore[arg-type]
    return any(n.rule == Rule.SLEEPING_WARNING for n in notices)


@settings(max_examples=400, deadline=None)
@given(histories())
def test_every_service_calls_the_same_agreements_sleeping(h: dict[str, object]) -> None:
    said = {"agreements": agreements_says(h), "reporting": reporting_says(h),
            "notifications": notifications_warn(h)}
    assert len(set(said.values())) == 1, (said, h)


def test_the_rule_itself() -> None:
    signed = date(2021, 4, 20)
    quiet = {"signed_on": signed, "in_force": True}
    assert sleeping_on(signed + timedelta(days=89), **quiet, activities=()) is None
    found = sleeping_on(signed + timedelta(days=SLEEPING_AFTER_DAYS), **quiet, activities=())
    assert found is not None and (found.last_activity_on, found.days) == (signed, 90)
    later = signed + timedelta(days=200)  # an activity after the day is not known on it
    assert sleeping_on(signed + timedelta(days=100), **quiet, activities=(later,)) is not None
    assert sleeping_on(signed + timedelta(days=100), signed_on=signed, in_force=False,
                       activities=()) is None
    terminated = signed + timedelta(days=100)  # a termination is activity
    assert sleeping_on(terminated, **quiet, activities=(terminated,)) is None
