"""Settings come from KERJASAMA_* variables (or their files in KERJASAMA_SECRETS_DIR); a bad
value names its variable."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import Field

from plumbing.errors import ConfigError
from plumbing.settings import BaseServiceSettings, Port, PostgresUrl, load_settings
from plumbing.urls import redact, vhost_of, with_vhost


class AgreementsLikeSettings(BaseServiceSettings):
    agreements_database_url: PostgresUrl = (
        "postgresql://postgres@127.0.0.1:5432/kerjasama_agreements"
    )
    http_port: Port = 8001


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AMQP_URL", "RABBITMQ_MANAGEMENT_URL", "HTTP_HOST", "HTTP_PORT", "LOG_LEVEL",
                 "AGREEMENTS_DATABASE_URL", "SECRETS_DIR", "AGREEMENTS_PORT"):
        monkeypatch.delenv(f"KERJASAMA_{name}", raising=False)


def test_defaults_work_against_local_services() -> None:
    settings = load_settings(AgreementsLikeSettings)
    assert settings.amqp_url == "amqp://guest:guest@127.0.0.1:5672/"
    assert settings.amqp_vhost == "/"
    assert settings.rabbitmq_management_url == "http://guest:guest@127.0.0.1:15672"
    assert settings.http_host == "127.0.0.1"
    assert settings.http_port == 8001
    assert settings.log_level == "INFO"
    assert settings.agreements_database_url.endswith("/kerjasama_agreements")


def test_environment_overrides_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KERJASAMA_AMQP_URL", "amqp://svc:secret@rabbit:5672/kerjasama")
    monkeypatch.setenv("KERJASAMA_AGREEMENTS_DATABASE_URL", "postgresql://db/agreements")
    monkeypatch.setenv("KERJASAMA_HTTP_PORT", "9001")
    monkeypatch.setenv("KERJASAMA_LOG_LEVEL", "debug")
    settings = load_settings(AgreementsLikeSettings)
    assert settings.amqp_vhost == "kerjasama"
    assert settings.agreements_database_url == "postgresql://db/agreements"
    assert settings.http_port == 9001
    assert settings.log_level == "DEBUG"


def test_bad_port_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KERJASAMA_HTTP_PORT", "eighty")
    with pytest.raises(ConfigError) as caught:
        load_settings(AgreementsLikeSettings)
    assert "KERJASAMA_HTTP_PORT: " in str(caught.value)
    assert "'eighty'" in str(caught.value)


def test_each_bad_variable_gets_one_line_and_passwords_stay_hidden(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KERJASAMA_AMQP_URL", "http://svc:hunter2@rabbit/")
    monkeypatch.setenv("KERJASAMA_AGREEMENTS_DATABASE_URL", "mysql://db/agreements")
    monkeypatch.setenv("KERJASAMA_HTTP_PORT", "70000")
    with pytest.raises(ConfigError) as caught:
        load_settings(AgreementsLikeSettings)
    lines = str(caught.value).splitlines()[1:]
    assert sorted(line.split(":")[0].strip() for line in lines) == [
        "KERJASAMA_AGREEMENTS_DATABASE_URL", "KERJASAMA_AMQP_URL", "KERJASAMA_HTTP_PORT",
    ]
    assert "amqp://" in str(caught.value) and "postgresql://" in str(caught.value)
    assert "hunter2" not in str(caught.value)


class WithMapping(BaseServiceSettings):
    names: dict[str, str] = Field(default_factory=dict)


def test_a_mapping_that_is_not_json_names_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KERJASAMA_NAMES", "{signed: kerjasama_signed}")
    with pytest.raises(ConfigError, match=r"KERJASAMA_NAMES: expected JSON \(Expecting"):
        load_settings(WithMapping)
    monkeypatch.setenv("KERJASAMA_NAMES", '{"signed": "kerjasama_signed"}')
    assert load_settings(WithMapping).names == {"signed": "kerjasama_signed"}


def test_required_setting_without_default_says_it_is_not_set() -> None:
    class NeedsSecret(BaseServiceSettings):
        webhook_secret: str

    with pytest.raises(ConfigError, match="KERJASAMA_WEBHOOK_SECRET: required but not set"):
        load_settings(NeedsSecret)


@pytest.mark.parametrize(
    ("url", "vhost"),
    [
        ("amqp://guest:guest@127.0.0.1:5672/", "/"),
        ("amqp://guest:guest@127.0.0.1:5672", "/"),
        ("amqp://h/%2F", "/"),
        ("amqp://h/kerjasama-test-1234abcd", "kerjasama-test-1234abcd"),
        ("amqps://h/a%2Fb?heartbeat=30", "a/b"),
    ],
)
def test_vhost_is_the_decoded_path_of_the_amqp_url(url: str, vhost: str) -> None:
    assert vhost_of(url) == vhost
    assert vhost_of(with_vhost(url, vhost)) == vhost


def test_redact_hides_only_the_password() -> None:
    assert redact("amqp://svc:s3cret@rabbit:5672/v") == "amqp://svc:***@rabbit:5672/v"
    assert redact("postgresql://postgres@db/x") == "postgresql://postgres@db/x"


def test_an_aliased_variable_is_named_as_it_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    from services.agreements.settings import AgreementsSettings

    monkeypatch.setenv("KERJASAMA_AGREEMENTS_PORT", "abc")
    with pytest.raises(ConfigError, match=r"^invalid configuration:\n  KERJASAMA_AGREEMENTS_PORT:"):
        load_settings(AgreementsSettings)


class AliasedPortSettings(BaseServiceSettings):
    http_port: Port = Field(8001, validation_alias="KERJASAMA_AGREEMENTS_PORT")


def secrets(directory: Path, **files: str) -> Path:
    directory.mkdir(exist_ok=True)
    for name, value in files.items():
        (directory / name).write_text(value)
    return directory


def test_each_setting_can_come_from_a_file_named_like_its_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = secrets(tmp_path / "secrets",
                        KERJASAMA_AMQP_URL="amqp://svc:from-file@rabbit:5672/kerjasama\n",
                        KERJASAMA_AGREEMENTS_DATABASE_URL="postgresql://svc:pw@db/agreements",
                        KERJASAMA_AGREEMENTS_PORT="9101")
    monkeypatch.setenv("KERJASAMA_SECRETS_DIR", str(directory))
    settings = load_settings(AgreementsLikeSettings)
    assert settings.amqp_url == "amqp://svc:from-file@rabbit:5672/kerjasama"
    assert settings.agreements_database_url == "postgresql://svc:pw@db/agreements"
    assert load_settings(AliasedPortSettings).http_port == 9101
    monkeypatch.delenv("KERJASAMA_SECRETS_DIR")
    assert load_settings(AgreementsLikeSettings).amqp_url.startswith("amqp://guest:")


def test_a_variable_set_in_the_environment_wins_over_its_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = secrets(tmp_path / "secrets", KERJASAMA_LOG_LEVEL="ERROR",
                        KERJASAMA_HTTP_PORT="9001")
    monkeypatch.setenv("KERJASAMA_SECRETS_DIR", str(directory))
    monkeypatch.setenv("KERJASAMA_LOG_LEVEL", "debug")
    settings = load_settings(AgreementsLikeSettings)
    assert (settings.log_level, settings.http_port) == ("DEBUG", 9001)


def test_a_bad_value_in_a_file_names_its_variable_and_hides_the_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = secrets(tmp_path / "secrets", KERJASAMA_AMQP_URL="http://svc:hunter2@rabbit/")
    monkeypatch.setenv("KERJASAMA_SECRETS_DIR", str(directory))
    with pytest.raises(ConfigError, match=r"\n  KERJASAMA_AMQP_URL: must be a URL") as caught:
        load_settings(AgreementsLikeSettings)
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize("kind", ["missing", "a file"])
def test_a_secrets_directory_that_cannot_be_read_stops_the_service_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    path = tmp_path / "secrets"
    if kind == "a file":
        path.write_text("KERJASAMA_AMQP_URL=amqp://x\n")
    monkeypatch.setenv("KERJASAMA_SECRETS_DIR", str(path))
    with pytest.raises(ConfigError, match=rf"^KERJASAMA_SECRETS_DIR: cannot read the "
                       rf"directory {path}: "):
        load_settings(AgreementsLikeSettings)
