"""Old history: an event-driven notice about something that happened more than
``notice_late_days`` before its event was recorded is skipped, not sent (pure)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import pytest

from contracts.common import Stage
from contracts.events import (
    AgreementProposed,
    AgreementRejected,
    AgreementRevisionRequested,
    AgreementSigned,
)
from contracts.examples import example_of
from plumbing import clock
from plumbing.errors import ConfigError
from plumbing.settings import load_settings
from services.notifications.domain import (
    AgreementView,
    Policy,
    Rule,
    due_reminders,
    event_notices,
    evolve,
)
from services.notifications.settings import NotificationsSettings

AID = uuid4()
SIGNED_ON = date(2021, 4, 20)
PROPOSED_ON = date(2021, 1, 11)
POLICY = Policy()


def proposed() -> AgreementProposed:
    return example_of(AgreementProposed, agreement_id=AID, version=1, proposed_on=PROPOSED_ON)


def signed() -> AgreementSigned:
    return example_of(AgreementSigned, agreement_id=AID, version=6, stage=Stage.SIGNED,
                      signed_on=SIGNED_ON, effective_from=SIGNED_ON,
                      effective_until=date(2026, 4, 19))


def signing_recorded(on: date,
                     policy: Policy = POLICY) -> tuple[AgreementView, str | None]:
    """The view after a signing recorded on ``on``, and why its plan request is skipped."""
    view = evolve(evolve(None, proposed(), PROPOSED_ON), signed(), on)
    [notice] = event_notices(view, signed(), uuid4(), policy, on)
    assert notice.rule == Rule.FOLLOW_UP_PLAN_REQUESTED
    return view, notice.skipped


def test_a_signing_recorded_exactly_30_days_later_is_told_and_31_days_later_is_not() -> None:
    assert signing_recorded(SIGNED_ON + timedelta(days=30))[1] is None
    assert signing_recorded(SIGNED_ON + timedelta(days=31))[1] == (
        "entered 31 days after it happened (signed 2021-04-20); notices of old history "
        "(more than 30 days) are not sent")


def test_the_reason_names_the_days_and_the_business_date() -> None:
    _, reason = signing_recorded(date(2026, 2, 1))
    assert reason is not None and reason.startswith(
        "entered 1,748 days after it happened (signed 2021-04-20)")


def recorded_day(time: datetime) -> date:
    """The business day of an event's time, as the service takes it: the shared clock's."""
    return clock.to_wib(time).date()


def test_the_days_are_counted_in_wib_from_the_events_time() -> None:
    # 16:59:59 UTC is 23:59:59 WIB on 20 May (30 days); 17:00 UTC is already 21 May in WIB
    last_moment = recorded_day(datetime(2021, 5, 20, 16, 59, 59, tzinfo=UTC))
    first_late = recorded_day(datetime(2021, 5, 20, 17, 0, tzinfo=UTC))
    assert (last_moment, first_late) == (date(2021, 5, 20), date(2021, 5, 21))
    assert signing_recorded(last_moment)[1] is None
    assert signing_recorded(first_late)[1] is not None
    assert recorded_day(datetime(2021, 5, 21, 0, 30)) == date(2021, 5, 21)  # naive: WIB


def test_the_business_day_of_an_event_has_one_definition_the_shared_clocks() -> None:
    # the WIB zone and the day of an instant live in plumbing.clock; a second copy in the
    # service (its domain may not import plumbing) could drift from the clock every
    # other process dates by
    service = Path(__file__).resolve().parents[2] / "services/notifications"
    copies = [str(path.relative_to(service)) for path in sorted(service.rglob("*.py"))
              if re.search(r"ZoneInfo|Asia/Jakarta|astimezone", path.read_text("utf-8"))]
    assert copies == []


def test_a_proposal_is_dated_by_its_proposed_on() -> None:
    view = evolve(None, proposed(), PROPOSED_ON)
    for recorded_on, skipped in ((PROPOSED_ON + timedelta(days=30), False),
                                 (PROPOSED_ON + timedelta(days=31), True)):
        [notice] = event_notices(view, proposed(), uuid4(), Policy(), recorded_on)
        assert notice.rule == Rule.PROPOSAL_RECEIVED
        assert (notice.skipped is not None) == skipped
    [notice] = event_notices(view, proposed(), uuid4(), Policy(), date(2026, 11, 30))
    assert notice.skipped is not None and "(proposed 2021-01-11)" in notice.skipped


def test_events_without_a_business_date_are_never_old_history() -> None:
    view = evolve(None, proposed(), PROPOSED_ON)
    years_later = date(2026, 11, 30)
    for data in (example_of(AgreementRevisionRequested, agreement_id=AID),
                 example_of(AgreementRejected, agreement_id=AID)):
        [notice] = event_notices(evolve(view, data, years_later), data, uuid4(), Policy(),
                                 years_later)
        assert notice.skipped is None


def test_the_late_days_are_a_setting() -> None:
    recorded_on = SIGNED_ON + timedelta(days=10)
    assert signing_recorded(recorded_on, Policy(notice_late_days=10))[1] is None
    assert signing_recorded(recorded_on, Policy(notice_late_days=9))[1] is not None
    assert signing_recorded(SIGNED_ON, Policy(notice_late_days=0))[1] is None


def test_the_setting_is_read_from_the_environment_and_a_bad_value_is_refused(
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings(NotificationsSettings).policy().notice_late_days == 30
    monkeypatch.setenv("KERJASAMA_NOTICE_LATE_DAYS", "45")
    assert load_settings(NotificationsSettings).policy().notice_late_days == 45
    for bad in ("-1", "a month"):
        monkeypatch.setenv("KERJASAMA_NOTICE_LATE_DAYS", bad)
        with pytest.raises(ConfigError, match="KERJASAMA_NOTICE_LATE_DAYS"):
            load_settings(NotificationsSettings)
    with pytest.raises(ValueError, match="notice_late_days"):
        Policy(notice_late_days=-1)


def test_a_skipped_plan_request_names_the_date_it_would_have_named_and_is_never_reminded(
) -> None:
    entered = date(2026, 11, 30)
    view, skipped = signing_recorded(entered)
    assert skipped is not None
    [notice] = event_notices(view, signed(), uuid4(), Policy(), entered)
    assert notice.due_on == date(2021, 5, 20)  # signing + 30 days, as it would have said
    for day in (entered, entered + timedelta(days=30), entered + timedelta(days=365)):
        assert Rule.FOLLOW_UP_PLAN_MISSING not in {
            n.rule for n in due_reminders(view, day, Policy())}


def test_a_told_plan_request_gives_the_agencies_30_days_from_when_they_are_told() -> None:
    on_time, _ = signing_recorded(SIGNED_ON)
    late, _ = signing_recorded(SIGNED_ON + timedelta(days=20))
    [timely] = event_notices(on_time, signed(), uuid4(), Policy(), SIGNED_ON)
    [told_late] = event_notices(late, signed(), uuid4(), Policy(),
                                SIGNED_ON + timedelta(days=20))
    assert (timely.due_on, told_late.due_on) == (date(2021, 5, 20), date(2021, 6, 9))
