"""Bearer tokens: development keys, JWKS keys, and every way a token is refused."""

from __future__ import annotations

import json
import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from plumbing.auth import Authenticator, Unauthenticated, ensure_dev_key, mint_dev_token
from plumbing.errors import ConfigError


def dev(tmp_path: Path) -> tuple[Authenticator, bytes]:
    key = ensure_dev_key(tmp_path / "dev-key")
    return Authenticator.from_files(jwks_file=None, dev_key_file=tmp_path / "dev-key",
                                    issuer="kerjasama", audience="kerjasama"), key


def test_a_development_token_names_its_subject_and_roles(tmp_path: Path) -> None:
    auth, key = dev(tmp_path)
    principal = auth.verify(mint_dev_token(key, "staf.diskuk", ["opd:DISKUK"]))
    assert principal.subject == "staf.diskuk" and principal.roles == {"opd:DISKUK"}
    assert (tmp_path / "dev-key").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("change", ["issuer", "audience", "expired", "key", "roles"])
def test_a_token_with_anything_wrong_is_refused(tmp_path: Path, change: str) -> None:
    auth, key = dev(tmp_path)
    claims = {"sub": "x", "roles": ["tkksd"], "iss": "kerjasama", "aud": "kerjasama",
              "exp": int(time.time()) + 60}
    if change == "issuer":
        claims["iss"] = "someone-else"
    elif change == "audience":
        claims["aud"] = "another-system"
    elif change == "expired":
        claims["exp"] = int(time.time()) - 60
    elif change == "key":
        key = b"k" * 48
    else:
        claims["roles"] = "tkksd"
    with pytest.raises(Unauthenticated):
        auth.verify(jwt.encode(claims, key, algorithm="HS256"))


def test_an_issuers_rs256_token_is_checked_against_its_jwks(tmp_path: Path) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": [{**jwk, "kid": "k1",
                                                              "alg": "RS256"}]}))
    auth = Authenticator.from_files(jwks_file=tmp_path / "jwks.json", dev_key_file=None,
                                    issuer="https://sso.jabarprov.go.id", audience="kerjasama")
    claims = {"sub": "sekda", "roles": ["sekda"], "iss": "https://sso.jabarprov.go.id",
              "aud": "kerjasama", "exp": int(time.time()) + 60}
    token = jwt.encode(claims, private, algorithm="RS256", headers={"kid": "k1"})
    assert auth.verify(token).roles == {"sekda"}
    with pytest.raises(Unauthenticated):  # an HS256 token signed with the public key
        auth.verify(jwt.encode(claims, b"p" * 48, algorithm="HS256", headers={"kid": "k1"}))


def test_without_keys_or_with_a_placeholder_a_service_does_not_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="KERJASAMA_AUTH_JWKS_FILE or KERJASAMA_AUTH_DEV"):
        Authenticator.from_files(jwks_file=None, dev_key_file=None, issuer="i", audience="a")
    (tmp_path / "jwks.json").write_text("CHANGE-ME")
    with pytest.raises(ConfigError, match="KERJASAMA_AUTH_JWKS_FILE"):
        Authenticator.from_files(jwks_file=tmp_path / "jwks.json", dev_key_file=None,
                                 issuer="i", audience="a")
