"""Webhook secrets at rest, their keys, and the development-only relaxations of webhooks."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

from plumbing.errors import ConfigError
from plumbing.settings import load_settings
from services.notifications.adapters.secret_box import (
    SecretBox,
    SecretUnreadable,
    development_box,
    parse_keys,
    secret_box_from,
)
from services.notifications.settings import NotificationsSettings
from services.supervisor import local_webhook_keys

CONTEXT = "contact DISKUK webhook https://hooks.example.org/kerjasama"


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def _box(*keys: str) -> SecretBox:
    return SecretBox(parse_keys(",".join(keys), "KERJASAMA_WEBHOOK_SECRET_KEYS"),
                     "KERJASAMA_WEBHOOK_SECRET_KEYS")


def test_a_sealed_secret_does_not_show_the_secret_and_opens_with_its_key() -> None:
    box = _box(_key())
    sealed = box.seal("rahasia-diskuk-2021", CONTEXT)
    assert "rahasia" not in sealed and sealed.startswith("v1.")
    assert box.seal("rahasia-diskuk-2021", CONTEXT) != sealed  # a fresh nonce each time
    assert box.open(sealed, CONTEXT) == "rahasia-diskuk-2021"


def test_a_secret_copied_to_another_webhook_does_not_open() -> None:
    box = _box(_key())
    sealed = box.seal("rahasia-diskuk-2021", CONTEXT)
    with pytest.raises(SecretUnreadable, match="changed or copied"):
        box.open(sealed, "contact DISHUB webhook https://hooks.example.org/kerjasama")


def test_keys_rotate_the_first_seals_and_every_one_opens() -> None:
    old, new = _key(), _key()
    sealed_by_old = _box(old).seal("rahasia-diskuk-2021", CONTEXT)
    rotated = _box(new, old)
    assert rotated.open(sealed_by_old, CONTEXT) == "rahasia-diskuk-2021"
    assert not rotated.is_current(sealed_by_old)
    assert rotated.is_current(rotated.seal("rahasia-diskuk-2021", CONTEXT))
    with pytest.raises(SecretUnreadable, match="not among the keys of "
                       "KERJASAMA_WEBHOOK_SECRET_KEYS"):
        _box(new).open(sealed_by_old, CONTEXT)


@pytest.mark.parametrize("text", ["", "not base64!", base64.b64encode(b"short").decode(),
                                  _key() + "," + base64.b64encode(b"x" * 16).decode()])
def test_a_malformed_key_is_refused_naming_the_setting(text: str) -> None:
    with pytest.raises(ConfigError, match=r"^KERJASAMA_WEBHOOK_SECRET_KEYS: "):
        parse_keys(text, "KERJASAMA_WEBHOOK_SECRET_KEYS")


def test_keys_are_read_from_a_file_one_a_line(tmp_path: Path) -> None:
    first, second = _key(), _key()
    path = tmp_path / "webhook-keys"
    path.write_text(f"{first}\n{second}\n", encoding="utf-8")
    box = secret_box_from(load_settings(NotificationsSettings, webhook_secret_keys_file=path))
    assert box.keys == (base64.b64decode(first), base64.b64decode(second))
    assert box.setting == "KERJASAMA_WEBHOOK_SECRET_KEYS_FILE"


def test_outside_development_a_key_is_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KERJASAMA_ENVIRONMENT", "production")
    settings = load_settings(NotificationsSettings)
    with pytest.raises(ConfigError, match=r"KERJASAMA_WEBHOOK_SECRET_KEYS_FILE .* must be set"):
        secret_box_from(settings)
    key = _key()
    box = secret_box_from(load_settings(NotificationsSettings, webhook_secret_keys=key))
    assert box.keys == (base64.b64decode(key),)


def test_an_unreadable_key_file_is_named(tmp_path: Path) -> None:
    settings = load_settings(NotificationsSettings,
                             webhook_secret_keys_file=tmp_path / "missing")
    with pytest.raises(ConfigError, match="KERJASAMA_WEBHOOK_SECRET_KEYS_FILE: cannot read"):
        secret_box_from(settings)


def test_development_without_a_key_uses_a_random_key_of_the_process() -> None:
    box = secret_box_from(load_settings(NotificationsSettings))
    assert box == development_box() and len(box.keys[0]) == 32


@pytest.mark.parametrize("variable", ["KERJASAMA_WEBHOOK_ALLOW_HTTP",
                                      "KERJASAMA_WEBHOOK_ALLOW_PRIVATE_ADDRESSES"])
def test_a_webhook_relaxation_outside_development_is_a_configuration_error(
        monkeypatch: pytest.MonkeyPatch, variable: str) -> None:
    monkeypatch.setenv(variable, "true")
    assert load_settings(NotificationsSettings).address_rules() != \
        load_settings(NotificationsSettings, environment="development",
                      **{variable.removeprefix("KERJASAMA_").lower(): False}).address_rules()
    monkeypatch.setenv("KERJASAMA_ENVIRONMENT", "production")
    with pytest.raises(ConfigError, match=f"{variable} is allowed only when development is "
                       "declared"):
        load_settings(NotificationsSettings)


def test_a_development_run_keeps_its_webhook_key_in_a_file_of_its_own(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("KERJASAMA_WEBHOOK_SECRET_KEYS", "KERJASAMA_WEBHOOK_SECRET_KEYS_FILE"):
        monkeypatch.delenv(variable, raising=False)
    first, again = local_webhook_keys(tmp_path), local_webhook_keys(tmp_path)
    path = tmp_path / ".run" / "notifications" / "webhook-secret-keys"
    assert first == again == {"KERJASAMA_WEBHOOK_SECRET_KEYS_FILE": str(path)}
    assert path.stat().st_mode & 0o777 == 0o600
    box = secret_box_from(load_settings(NotificationsSettings, webhook_secret_keys_file=path))
    assert len(box.keys) == 1 and box.setting == "KERJASAMA_WEBHOOK_SECRET_KEYS_FILE"
    monkeypatch.setenv("KERJASAMA_ENVIRONMENT", "production")
    assert local_webhook_keys(tmp_path) == {}
