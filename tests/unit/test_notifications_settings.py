"""Settings of the notifications service: lists from the environment, clear refusals."""

from __future__ import annotations

import pytest

from plumbing.errors import ConfigError
from plumbing.settings import load_settings
from services.notifications.settings import NotificationsSettings


def test_defaults_point_at_a_local_mail_catcher_and_the_design_day_counts() -> None:
    settings = load_settings(NotificationsSettings)
    assert (settings.smtp_host, settings.smtp_port, settings.http_port) == (
        "127.0.0.1", 1025, 8002)
    policy = settings.policy()
    assert (policy.plan_due_days, policy.sleeping_after_days, policy.escalation_after_days,
            policy.expiry_notice_days) == (30, 90, 180, (90, 60, 30, 7, 0))


def test_lists_are_comma_separated_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KERJASAMA_SECRETARIAT_EMAILS", "biro.pemotda@jabarprov.go.id, "
                       "tkksd@jabarprov.go.id")
    monkeypatch.setenv("KERJASAMA_EXPIRY_NOTICE_DAYS", "30,0")
    monkeypatch.setenv("KERJASAMA_NOTIFICATIONS_PORT", "9002")
    settings = load_settings(NotificationsSettings)
    assert settings.secretariat_emails == ["biro.pemotda@jabarprov.go.id",
                                           "tkksd@jabarprov.go.id"]
    assert settings.policy().expiry_notice_days == (30, 0)
    assert settings.http_port == 9002


@pytest.mark.parametrize(("variable", "value", "says"), [
    ("KERJASAMA_EXPIRY_NOTICE_DAYS", "45,7", "KERJASAMA_EXPIRY_NOTICE_DAYS: each must be"),
    ("KERJASAMA_SLEEPING_ESCALATION_DAYS", "60", "must be more than"),
    ("KERJASAMA_SMTP_PORT", "abc", "KERJASAMA_SMTP_PORT"),
])
def test_a_bad_value_is_refused_naming_the_variable(
        monkeypatch: pytest.MonkeyPatch, variable: str, value: str, says: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=says):
        load_settings(NotificationsSettings)
