"""The tokens a service presents to another: short-lived, minted again, never with a
development key outside development."""

from __future__ import annotations

from pathlib import Path

import httpx
import jwt
import pytest

from plumbing.agreements_client import BearerToken, agreements_token_from
from plumbing.auth import authenticator_from
from plumbing.errors import ConfigError
from plumbing.keys import add_to_jwks, generate_jwk, write_private
from plumbing.settings import ConsumerSettings
from plumbing.tokens import SERVICE_TOKEN_SECONDS, TokenSource, ensure_dev_key


def lifetime(token: str) -> int:
    claims = jwt.decode(token, options={"verify_signature": False})
    return int(claims["exp"]) - int(claims["iat"])


def test_a_consumer_presents_short_lived_tokens_the_agreements_service_accepts(
        tmp_path: Path) -> None:
    ensure_dev_key(tmp_path / "dev-key")
    settings = ConsumerSettings(auth_dev_key_file=tmp_path / "dev-key",
                                environment="development", agreements_signing_key_file=None,
                                agreements_token_file=None)
    token = agreements_token_from(settings, "reporting")()
    assert lifetime(token) == SERVICE_TOKEN_SECONDS
    principal = authenticator_from(settings).verify(token)  # the lifetime cap holds
    assert (principal.subject, principal.roles) == ("service:reporting", {"reporting"})


def test_a_short_lifetime_cap_shortens_the_service_tokens(tmp_path: Path) -> None:
    ensure_dev_key(tmp_path / "dev-key")
    settings = ConsumerSettings(auth_dev_key_file=tmp_path / "dev-key",
                                environment="development", agreements_signing_key_file=None,
                                agreements_token_file=None, auth_max_token_lifetime_seconds=120)
    token = agreements_token_from(settings, "notifications")()
    assert lifetime(token) == 120
    assert authenticator_from(settings).verify(token).subject == "service:notifications"


def test_a_token_source_mints_again_once_half_the_lifetime_has_passed() -> None:
    now = [1000.0]
    minted: list[int] = []

    def mint(seconds: int) -> str:
        minted.append(seconds)
        return f"token-{len(minted)}"

    source = TokenSource(mint, 600, clock=lambda: now[0])
    assert source() == source() == "token-1"
    now[0] += 299
    assert source() == "token-1"
    now[0] += 1
    assert source() == "token-2" and minted == [600, 600]


async def test_each_request_of_the_agreements_client_asks_for_the_current_token() -> None:
    tokens = iter(["first", "second"])
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["authorization"])
        return httpx.Response(200, json=[])

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer), base_url="http://a",
                                 auth=BearerToken(lambda: next(tokens))) as client:
        await client.get("/events")
        await client.get("/events")
    assert seen == ["Bearer first", "Bearer second"]


def test_a_consumer_signs_its_tokens_with_its_own_key(tmp_path: Path) -> None:
    jwk = generate_jwk(["reporting"])
    write_private(tmp_path / "service.jwk", jwk)
    add_to_jwks(tmp_path / "jwks.json", [jwk])
    settings = ConsumerSettings(auth_dev_key_file=None, environment="production",
                                auth_jwks_file=tmp_path / "jwks.json",
                                agreements_signing_key_file=tmp_path / "service.jwk")
    token = agreements_token_from(settings, "notifications")()
    assert jwt.get_unverified_header(token) == {"alg": "EdDSA", "kid": jwk["kid"],
                                                "typ": "JWT"}
    assert authenticator_from(settings).verify(token).roles == {"reporting"}


def test_a_service_refuses_a_development_key_unless_development_is_declared(
        tmp_path: Path) -> None:
    ensure_dev_key(tmp_path / "dev-key")
    settings = ConsumerSettings(auth_dev_key_file=tmp_path / "dev-key",
                                environment="production", agreements_signing_key_file=None,
                                agreements_token_file=None)
    for build in (lambda: authenticator_from(settings),
                  lambda: agreements_token_from(settings, "reporting")):
        with pytest.raises(ConfigError) as refused:
            build()
        assert "KERJASAMA_AUTH_DEV_KEY_FILE" in str(refused.value)
        assert "KERJASAMA_ENVIRONMENT=development" in str(refused.value)


def test_a_token_file_is_read_again_when_it_changes(tmp_path: Path) -> None:
    (tmp_path / "token").write_text("first\n")
    settings = ConsumerSettings(agreements_token_file=tmp_path / "token",
                                agreements_signing_key_file=None)
    source = agreements_token_from(settings, "reporting")
    assert source() == "first"
    (tmp_path / "token").write_text("second, rotated\n")
    assert source() == "second, rotated"
    with pytest.raises(ConfigError, match="KERJASAMA_AGREEMENTS_TOKEN_FILE"):
        agreements_token_from(ConsumerSettings(agreements_token_file=tmp_path / "missing",
                                               agreements_signing_key_file=None), "reporting")
