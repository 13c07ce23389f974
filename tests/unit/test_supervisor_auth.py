"""./scripts/run is a development run: it declares it, says so, and uses a local key."""

from __future__ import annotations

from pathlib import Path

import pytest

from plumbing.auth import authenticator_from
from plumbing.settings import BaseServiceSettings, load_settings
from services import supervisor


@pytest.fixture
def clean(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("KERJASAMA_ENVIRONMENT", "KERJASAMA_AUTH_JWKS_FILE",
                 "KERJASAMA_AUTH_DEV_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_a_local_run_declares_development_and_says_so(
        clean: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("INFO", "services.supervisor"):  # the step, with --verbose
        supervisor.local_auth(tmp_path)
    assert "development run: KERJASAMA_ENVIRONMENT=development" in caplog.text
    key = tmp_path / ".run" / "auth" / "dev-key"
    # where everything is, at the end of the start: how to get a token, and its key
    assert (f"tokens         .venv/bin/kerjasama token --role tkksd  (signed with the "
            f"development key {key})") in supervisor.directory([])
    assert key.stat().st_mode & 0o777 == 0o600
    settings = load_settings(BaseServiceSettings)  # what each service it starts reads
    assert settings.development and settings.auth_dev_key_file == key
    authenticator_from(settings)  # the services accept the development key


def test_a_run_declared_otherwise_gets_no_development_key(
        clean: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clean.setenv("KERJASAMA_ENVIRONMENT", "production")
    supervisor.local_auth(tmp_path)
    assert "not a development run" in capsys.readouterr().err
    assert not (tmp_path / ".run" / "auth" / "dev-key").exists()
