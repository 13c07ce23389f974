"""``kerjasama token`` prints a token the services accept; ``kerjasama keys`` makes keys."""

from __future__ import annotations

import json
import os
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from plumbing.auth import Authenticator, Unauthenticated
from services.cli import main


def dev_verifier() -> Authenticator:
    return Authenticator.from_files(
        jwks_file=None, dev_key_file=Path(os.environ["KERJASAMA_AUTH_DEV_KEY_FILE"]),
        issuer="kerjasama", audience="kerjasama", development=True)


def jwks_verifier(jwks: Path) -> Authenticator:
    return Authenticator.from_files(jwks_file=jwks, dev_key_file=None, issuer="kerjasama",
                                    audience="kerjasama", development=False)


def printed(capsys: pytest.CaptureFixture[str]) -> str:
    return capsys.readouterr().out.strip()


def lifetime(token: str) -> int:
    claims = jwt.decode(token, options={"verify_signature": False})
    return int(claims["exp"]) - int(claims["iat"])


@pytest.mark.parametrize(("argv", "roles"), [
    (["token", "--role", "opd:DISKUK", "--subject", "staf"], {"opd:DISKUK"}),
    (["--role", "sekda", "token", "--subject", "staf"], {"sekda"}),
    (["token", "--subject", "staf"], {"tkksd", "sekda"}),
])
def test_the_printed_token_carries_the_roles_asked_for(
        argv: list[str], roles: set[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 0
    principal = dev_verifier().verify(printed(capsys))
    assert (principal.subject, principal.roles) == ("staf", roles)


def test_without_a_key_the_token_command_says_what_to_set(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        tmp_path: Path) -> None:
    monkeypatch.setenv("KERJASAMA_AUTH_DEV_KEY_FILE", str(tmp_path / "missing"))
    assert main(["token"]) == 1
    assert "KERJASAMA_AUTH_DEV_KEY_FILE" in capsys.readouterr().err


def test_the_token_command_mints_within_the_lifetime_cap(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "--hours", "876000"]) == 1  # a century
    assert "KERJASAMA_AUTH_MAX_TOKEN_LIFETIME_SECONDS" in capsys.readouterr().err
    assert main(["token"]) == 0
    token = printed(capsys)
    assert lifetime(token) == 12 * 3600
    dev_verifier().verify(token)
    monkeypatch.setenv("KERJASAMA_AUTH_MAX_TOKEN_LIFETIME_SECONDS", "3600")
    assert main(["token"]) == 0  # the default shrinks to the cap
    assert lifetime(printed(capsys)) == 3600
    assert main(["token", "--hours", "2"]) == 1


def test_keys_init_makes_the_keys_a_deployment_uses_and_keeps_them(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keys", "init", str(tmp_path)]) == 0
    jwks = tmp_path / "public" / "jwks.json"
    first = jwks.read_text()
    private = [tmp_path / "operator" / "operator.jwk", tmp_path / "notifications" /
               "service.jwk", tmp_path / "reporting" / "service.jwk"]
    for path in private:
        assert path.stat().st_mode & 0o777 == 0o600
    assert all("d" not in key for key in json.loads(first)["keys"])
    capsys.readouterr()

    assert main(["token", "--key-file", str(private[0]), "--role", "tkksd",
                 "--subject", "operator"]) == 0
    assert jwks_verifier(jwks).verify(printed(capsys)).roles == {"tkksd"}
    assert main(["token", "--key-file", str(private[1]), "--role", "tkksd"]) == 0
    with pytest.raises(Unauthenticated, match="may not sign"):  # a service key is limited
        jwks_verifier(jwks).verify(printed(capsys))

    assert main(["keys", "init", str(tmp_path)]) == 0  # a second start changes nothing
    assert jwks.read_text() == first
    assert printed(capsys).count("kept") == 5  # four signing keys and the checkpoint key
    assert (tmp_path / "agreements" / "checkpoint.pem").stat().st_mode & 0o777 == 0o600


def test_keys_trust_adds_an_identity_providers_keys(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert main(["keys", "init", str(tmp_path)]) == 0
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = tmp_path / "idp.pem"
    pem.write_bytes(private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    jwks = tmp_path / "public" / "jwks.json"
    assert main(["keys", "trust", str(pem), "--jwks", str(jwks)]) == 0
    assert len(json.loads(jwks.read_text())["keys"]) == 5  # operator, 3 services, the IdP
    key_file = tmp_path / "idp-private.pem"
    key_file.write_bytes(private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    capsys.readouterr()
    monkeypatch.setenv("KERJASAMA_AUTH_SIGNING_KEY_FILE", str(key_file))  # RS256 from a PEM
    assert main(["token", "--role", "sekda"]) == 0
    assert jwks_verifier(jwks).verify(printed(capsys)).roles == {"sekda"}
