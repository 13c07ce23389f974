"""Who is calling: bearer JWTs checked on every request but health, metrics and docs.

Tokens carry ``sub`` (the acting user, recorded with every event), ``roles`` and the
configured ``iss`` and ``aud``; ``exp`` is required. Keys come from a JWKS file
(``KERJASAMA_AUTH_JWKS_FILE``: the issuer's public keys, RS256/ES256/EdDSA) or, for local
development, a shared secret file (``KERJASAMA_AUTH_DEV_KEY_FILE``, HS256) with which
``kerjasama token`` mints tokens. With neither, a service refuses to start: nothing is
open by default.

Roles: ``opd:<CODE>`` (agency staff), ``tkksd`` (the TKKSD secretariat), ``sekda`` (the
regional secretary), ``governor`` (the governor's office), ``reporting`` (read-only
reporting consumers), ``operator`` (operations: parked streams), ``system:<name>`` (outside
systems).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from fastapi import FastAPI, Request
from starlette.types import ASGIApp, Receive, Scope, Send

from plumbing.errors import ConfigError
from plumbing.problems import problem

SECRETARIAT = "tkksd"
REGIONAL_SECRETARY = "sekda"
GOVERNOR_OFFICE = "governor"
REPORTING = "reporting"
OPERATOR = "operator"
PUBLIC_PATHS = ("/healthz", "/readyz", "/metrics", "/docs", "/docs/oauth2-redirect",
                "/openapi.json", "/redoc")
ASYMMETRIC = ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256", "EdDSA"]


def agency(code: str) -> str:
    """The role of an agency's staff."""
    return f"opd:{code}"


@dataclass(frozen=True)
class Principal:
    """An authenticated caller."""

    subject: str
    roles: frozenset[str]

    def has(self, *roles: str) -> bool:
        """Whether the caller holds any of ``roles``."""
        return not self.roles.isdisjoint(roles)


class Unauthenticated(Exception):
    """Raised when a request carries no valid bearer token."""


class Authenticator:
    """Verifies bearer tokens against the configured keys, issuer and audience."""

    def __init__(self, keys: jwt.PyJWKSet | bytes, *, issuer: str, audience: str) -> None:
        self._keys = keys
        self.issuer = issuer
        self.audience = audience

    @classmethod
    def from_files(cls, *, jwks_file: Path | None, dev_key_file: Path | None,
                   issuer: str, audience: str) -> Authenticator:
        """Keys from a JWKS file or a development secret; ConfigError naming the variable."""
        if jwks_file is not None:
            try:
                keys: jwt.PyJWKSet | bytes = jwt.PyJWKSet.from_json(
                    jwks_file.read_text(encoding="utf-8"))
            except (OSError, ValueError, jwt.PyJWKError, jwt.PyJWKSetError) as exc:
                raise ConfigError(f"KERJASAMA_AUTH_JWKS_FILE: cannot use {jwks_file}: "
                                  f"{exc}") from None
        elif dev_key_file is not None:
            keys = read_dev_key(dev_key_file)
        else:
            raise ConfigError("KERJASAMA_AUTH_JWKS_FILE or KERJASAMA_AUTH_DEV_KEY_FILE must be "
                              "set: requests are never served without authentication")
        return cls(keys, issuer=issuer, audience=audience)

    def verify(self, token: str) -> Principal:
        """The principal of a valid token; Unauthenticated saying why otherwise."""
        try:
            if isinstance(self._keys, bytes):
                key: Any = self._keys
                algorithms = ["HS256"]
            else:
                kid = jwt.get_unverified_header(token).get("kid")
                key = next((k.key for k in self._keys.keys if kid is None or k.key_id == kid),
                           None)
                if key is None:
                    raise Unauthenticated(f"no key with kid {kid!r}")
                algorithms = ASYMMETRIC
            claims = jwt.decode(token, key, algorithms=algorithms, audience=self.audience,
                                issuer=self.issuer,
                                options={"require": ["exp", "iss", "aud", "sub"]})
        except jwt.PyJWTError as exc:
            raise Unauthenticated(f"invalid token: {exc}") from None
        roles = claims.get("roles", [])
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise Unauthenticated("invalid token: roles must be a list of strings")
        return Principal(str(claims["sub"]), frozenset(roles))


def read_dev_key(path: Path) -> bytes:
    """The development signing secret in ``path``."""
    try:
        key = path.read_bytes().strip()
    except OSError as exc:
        raise ConfigError(f"KERJASAMA_AUTH_DEV_KEY_FILE: cannot read {path}: "
                          f"{exc.strerror}") from None
    if len(key) < 32:
        raise ConfigError(f"KERJASAMA_AUTH_DEV_KEY_FILE: {path} holds fewer than 32 bytes")
    return key


def ensure_dev_key(path: Path) -> bytes:
    """Read the development secret, creating it (random, private) when missing."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48) + "\n", encoding="utf-8")
    return read_dev_key(path)


def mint_dev_token(key: bytes, subject: str, roles: list[str], *, issuer: str = "kerjasama",
                   audience: str = "kerjasama", ttl_seconds: int = 12 * 3600) -> str:
    """A development token signed with the shared secret (HS256)."""
    now = int(time.time())
    return jwt.encode({"sub": subject, "roles": roles, "iss": issuer, "aud": audience,
                       "iat": now, "exp": now + ttl_seconds}, key, algorithm="HS256")


def principal_of(request: Request) -> Principal:
    """The caller of a request (set by the middleware of :func:`install_auth`)."""
    principal = getattr(request.state, "principal", None)
    if not isinstance(principal, Principal):
        raise RuntimeError("install_auth() was not called on this app")
    return principal


class AuthMiddleware:
    """Refuses requests without a valid bearer token with a 401 problem, before the app."""

    def __init__(self, app: ASGIApp, authenticator: Authenticator) -> None:
        self.app = app
        self.authenticator = authenticator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in PUBLIC_PATHS:
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        value = headers.get(b"authorization", b"").decode("latin-1")
        scheme, _, token = value.partition(" ")
        try:
            if scheme.lower() != "bearer" or not token.strip():
                raise Unauthenticated("an Authorization: Bearer <token> header is required")
            principal = self.authenticator.verify(token.strip())
        except Unauthenticated as exc:
            response = problem(401, "Unauthenticated", str(exc),
                               "urn:kerjasama:problem:unauthenticated",
                               headers={"WWW-Authenticate": 'Bearer realm="kerjasama"'})
            await response(scope, receive, send)
            return
        state: MutableMapping[str, Any] = scope.setdefault("state", {})
        state["principal"] = principal
        await self.app(scope, receive, send)


def install_auth(app: FastAPI, authenticator: Authenticator) -> None:
    """Authenticate every request to ``app`` but health, metrics and the API docs."""
    app.add_middleware(AuthMiddleware, authenticator=authenticator)
