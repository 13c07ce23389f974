"""``kerjasama token`` prints a development token the services accept."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from plumbing.auth import Authenticator
from services.cli import main


@pytest.mark.parametrize(("argv", "roles"), [
    (["token", "--role", "opd:DISKUK", "--subject", "staf"], {"opd:DISKUK"}),
    (["--role", "sekda", "token", "--subject", "staf"], {"sekda"}),
    (["token", "--subject", "staf"], {"tkksd", "sekda"}),
])
def test_the_printed_token_carries_the_roles_asked_for(
        argv: list[str], roles: set[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 0
    token = capsys.readouterr().out.strip()
    verifier = Authenticator.from_files(
        jwks_file=None, dev_key_file=Path(os.environ["KERJASAMA_AUTH_DEV_KEY_FILE"]),
        issuer="kerjasama", audience="kerjasama")
    principal = verifier.verify(token)
    assert (principal.subject, principal.roles) == ("staf", roles)


def test_without_a_key_the_token_command_says_what_to_set(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        tmp_path: Path) -> None:
    monkeypatch.setenv("KERJASAMA_AUTH_DEV_KEY_FILE", str(tmp_path / "missing"))
    assert main(["token"]) == 1
    assert "KERJASAMA_AUTH_DEV_KEY_FILE" in capsys.readouterr().err
