"""Bearer tokens: development keys, JWKS keys, and every way a token is refused."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from plumbing.auth import MAX_SUBJECT_LENGTH, Authenticator, Unauthenticated
from plumbing.errors import ConfigError
from plumbing.keys import add_to_jwks, generate_jwk, read_signing_key, write_private
from plumbing.tokens import ensure_dev_key, mint_dev_token

DAY = 86400


def dev(tmp_path: Path, max_lifetime_seconds: int = DAY) -> tuple[Authenticator, bytes]:
    key = ensure_dev_key(tmp_path / "dev-key")
    return Authenticator.from_files(jwks_file=None, dev_key_file=tmp_path / "dev-key",
                                    issuer="kerjasama", audience="kerjasama",
                                    development=True,
                                    max_lifetime_seconds=max_lifetime_seconds), key


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"sub": "x", "roles": ["tkksd"], "iss": "kerjasama", "aud": "kerjasama",
            "iat": now, "exp": now + 60, **changes}


def test_a_development_token_names_its_subject_and_roles(tmp_path: Path) -> None:
    auth, key = dev(tmp_path)
    principal = auth.verify(mint_dev_token(key, "staf.diskuk", ["opd:DISKUK"]))
    assert principal.subject == "staf.diskuk" and principal.roles == {"opd:DISKUK"}
    assert (tmp_path / "dev-key").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("change", ["issuer", "audience", "expired", "key", "roles"])
def test_a_token_with_anything_wrong_is_refused(tmp_path: Path, change: str) -> None:
    auth, key = dev(tmp_path)
    token = claims()
    if change == "issuer":
        token["iss"] = "someone-else"
    elif change == "audience":
        token["aud"] = "another-system"
    elif change == "expired":
        token["exp"] = int(time.time()) - 60
    elif change == "key":
        key = b"k" * 48
    else:
        token["roles"] = "tkksd"
    with pytest.raises(Unauthenticated):
        auth.verify(jwt.encode(token, key, algorithm="HS256"))


@pytest.mark.parametrize("subject", ["", "   ", "\t", "staf\ndiskuk", "staf\n", "staf\x00",
                                     "a\u2028b", "s" * (MAX_SUBJECT_LENGTH + 1)])
def test_a_token_without_a_usable_subject_is_refused(tmp_path: Path, subject: str) -> None:
    auth, key = dev(tmp_path)
    with pytest.raises(Unauthenticated, match="subject"):
        auth.verify(jwt.encode(claims(sub=subject), key, algorithm="HS256"))
    assert auth.verify(jwt.encode(claims(sub="s" * MAX_SUBJECT_LENGTH), key,
                                  algorithm="HS256")).subject == "s" * MAX_SUBJECT_LENGTH


def test_a_token_living_longer_than_the_cap_is_refused(tmp_path: Path) -> None:
    auth, key = dev(tmp_path, max_lifetime_seconds=DAY)
    now = int(time.time())
    century = claims(iat=now, exp=now + 100 * 365 * DAY)
    with pytest.raises(Unauthenticated, match="longer than 86400 seconds"):
        auth.verify(jwt.encode(century, key, algorithm="HS256"))
    # without iat the lifetime is counted from now
    no_iat = {k: v for k, v in claims(exp=now + DAY + 120).items() if k != "iat"}
    with pytest.raises(Unauthenticated, match="longer than"):
        auth.verify(jwt.encode(no_iat, key, algorithm="HS256"))
    # an old iat does not stretch a long exp: exp - iat counts
    with pytest.raises(Unauthenticated, match="longer than"):
        auth.verify(jwt.encode(claims(iat=now - DAY, exp=now + 60), key, algorithm="HS256"))
    assert auth.verify(jwt.encode(claims(iat=now, exp=now + DAY), key, algorithm="HS256"))
    assert auth.verify(mint_dev_token(key, "staf", ["tkksd"], ttl_seconds=12 * 3600))


def test_a_token_issued_in_the_future_is_refused(tmp_path: Path) -> None:
    auth, key = dev(tmp_path)
    now = int(time.time())
    with pytest.raises(Unauthenticated, match="iat"):
        auth.verify(jwt.encode(claims(iat=now + 600, exp=now + 900), key, algorithm="HS256"))
    # a few seconds of clock difference between issuer and service are tolerated
    assert auth.verify(jwt.encode(claims(iat=now + 5, exp=now + 65), key, algorithm="HS256"))


def test_an_issuers_rs256_token_is_checked_against_its_jwks(tmp_path: Path) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": [{**jwk, "kid": "k1",
                                                              "alg": "RS256"}]}))
    auth = Authenticator.from_files(jwks_file=tmp_path / "jwks.json", dev_key_file=None,
                                    issuer="https://sso.jabarprov.go.id", audience="kerjasama",
                                    development=False)
    token = claims(sub="sekda", roles=["sekda"], iss="https://sso.jabarprov.go.id")
    signed = jwt.encode(token, private, algorithm="RS256", headers={"kid": "k1"})
    assert auth.verify(signed).roles == {"sekda"}
    with pytest.raises(Unauthenticated):  # an HS256 token signed with the public key
        auth.verify(jwt.encode(token, b"p" * 48, algorithm="HS256", headers={"kid": "k1"}))


def test_a_key_limited_to_some_roles_signs_no_other(tmp_path: Path) -> None:
    jwks = tmp_path / "jwks.json"
    for name, roles in (("operator", None), ("service", ["reporting"])):
        jwk = generate_jwk(roles)
        write_private(tmp_path / f"{name}.jwk", jwk)
        add_to_jwks(jwks, [jwk])
    auth = Authenticator.from_files(jwks_file=jwks, dev_key_file=None, issuer="kerjasama",
                                    audience="kerjasama", development=False)
    service = read_signing_key(tmp_path / "service.jwk", "VARIABLE")
    operator = read_signing_key(tmp_path / "operator.jwk", "VARIABLE")
    mint = {"issuer": "kerjasama", "audience": "kerjasama", "ttl_seconds": 600}
    assert auth.verify(service.mint("service:reporting", ["reporting"], **mint)).roles == {
        "reporting"}
    with pytest.raises(Unauthenticated, match="may not sign the roles"):
        auth.verify(service.mint("service:reporting", ["reporting", "tkksd"], **mint))
    assert auth.verify(operator.mint("operator", ["tkksd"], **mint)).roles == {"tkksd"}
    assert "d" not in json.loads(jwks.read_text())["keys"][0]


def test_a_development_key_is_refused_unless_development_is_declared(tmp_path: Path) -> None:
    ensure_dev_key(tmp_path / "dev-key")
    jwks = tmp_path / "jwks.json"
    add_to_jwks(jwks, [generate_jwk()])
    for jwks_file in (None, jwks):  # even next to a JWKS
        with pytest.raises(ConfigError) as refused:
            Authenticator.from_files(jwks_file=jwks_file, dev_key_file=tmp_path / "dev-key",
                                     issuer="i", audience="a", development=False)
        assert "KERJASAMA_AUTH_DEV_KEY_FILE" in str(refused.value)
        assert "KERJASAMA_ENVIRONMENT=development" in str(refused.value)


def test_without_keys_or_with_a_placeholder_a_service_does_not_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="KERJASAMA_AUTH_JWKS_FILE or KERJASAMA_AUTH_DEV"):
        Authenticator.from_files(jwks_file=None, dev_key_file=None, issuer="i", audience="a",
                                 development=False)
    (tmp_path / "jwks.json").write_text("CHANGE-ME")
    with pytest.raises(ConfigError, match="KERJASAMA_AUTH_JWKS_FILE"):
        Authenticator.from_files(jwks_file=tmp_path / "jwks.json", dev_key_file=None,
                                 issuer="i", audience="a", development=False)


def test_a_jwks_with_a_private_key_in_it_is_refused(tmp_path: Path) -> None:
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": [generate_jwk()]}))
    with pytest.raises(ConfigError, match="private"):
        Authenticator.from_files(jwks_file=tmp_path / "jwks.json", dev_key_file=None,
                                 issuer="i", audience="a", development=False)


class Spy:
    """An authenticator that records whether it was asked to decode anything."""

    def __init__(self, inner: Authenticator) -> None:
        self.inner, self.decoded = inner, 0

    def verify(self, token: str) -> Any:
        self.decoded += 1
        return self.inner.verify(token)


async def test_an_oversized_authorization_header_is_a_401_before_it_is_decoded(
        tmp_path: Path) -> None:
    from fastapi import FastAPI

    from plumbing.auth import MAX_TOKEN_BYTES, AuthMiddleware

    auth, key = dev(tmp_path)
    spy = Spy(auth)
    app = FastAPI()

    @app.get("/who")
    async def who() -> dict[str, str]:
        return {"ok": "yes"}

    app.add_middleware(AuthMiddleware, authenticator=spy)
    huge = "Bearer " + mint_dev_token(key, "staf", ["tkksd"]) + "." + "A" * 1_300_000
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as c:
        refused = await c.get("/who", headers={"Authorization": huge})
        assert refused.status_code == 401
        assert refused.headers["content-type"] == "application/problem+json"
        assert f"longer than {MAX_TOKEN_BYTES} bytes" in refused.json()["detail"]
        assert spy.decoded == 0
        good = await c.get("/who", headers={
            "Authorization": f"Bearer {mint_dev_token(key, 'staf', ['tkksd'])}"})
        assert good.status_code == 200 and spy.decoded == 1


def test_a_token_without_a_kid_is_checked_against_each_key_of_its_algorithm(
        tmp_path: Path) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwks = tmp_path / "jwks.json"
    add_to_jwks(jwks, [generate_jwk(), json.loads(RSAAlgorithm.to_jwk(private.public_key())),
                       generate_jwk()])
    auth = Authenticator.from_files(jwks_file=jwks, dev_key_file=None, issuer="kerjasama",
                                    audience="kerjasama", development=False)
    assert auth.verify(jwt.encode(claims(sub="sekda"), private, algorithm="RS256")).subject == (
        "sekda")
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(Unauthenticated, match="Signature verification failed"):
        auth.verify(jwt.encode(claims(), other, algorithm="RS256"))
