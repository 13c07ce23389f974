"""Who is calling: bearer JWTs checked on every request but health, metrics and docs.

Tokens carry ``sub`` (the acting user, recorded with every event: non-blank, at most
MAX_SUBJECT_LENGTH characters, no control character), ``roles`` and the configured ``iss``
and ``aud``; ``exp`` is required and a token may live at most
``KERJASAMA_AUTH_MAX_TOKEN_LIFETIME_SECONDS`` (from its ``iat``, else from now; an ``iat``
in the future is refused). Keys come from a JWKS file (``KERJASAMA_AUTH_JWKS_FILE``: public
keys, RS256/ES256/EdDSA, each maybe limited to some roles, see :mod:`plumbing.keys`) or, in
a declared development run only, a shared secret file (``KERJASAMA_AUTH_DEV_KEY_FILE``,
HS256) with which ``kerjasama token`` mints tokens. With neither, a service refuses to
start: nothing is open by default. An Authorization header longer than MAX_TOKEN_BYTES is
refused before it is decoded.

Roles: ``opd:<CODE>`` (agency staff), ``tkksd`` (the TKKSD secretariat), ``sekda`` (the
regional secretary), ``governor`` (the governor's office), ``reporting`` (read-only
reporting consumers), ``operator`` (operations: parked streams), ``system:<name>`` (outside
systems).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from fastapi import FastAPI, Request
from starlette.types import ASGIApp, Receive, Scope, Send

from contracts.common import NO_CONTROL
from contracts.roles import (
    agency_role,
)
from plumbing.errors import ConfigError
from plumbing.keys import PRIVATE_MEMBERS, ROLE_LIMIT, key_id
from plumbing.problems import problem
from plumbing.settings import BaseServiceSettings
from plumbing.tokens import (
    DEFAULT_MAX_TOKEN_LIFETIME_SECONDS,
    ensure_dev_key,
    mint_dev_token,
    read_dev_key,
    refuse_dev_key_outside_development,
)

__all__ = ["Authenticator", "Principal", "Unauthenticated", "agency", "authenticator_from",
           "ensure_dev_key", "install_auth", "mint_dev_token", "principal_of", "read_dev_key"]

PUBLIC_PATHS = ("/healthz", "/readyz", "/metrics", "/docs", "/docs/oauth2-redirect",
                "/openapi.json", "/redoc")
ASYMMETRIC = frozenset({"RS256", "RS384", "RS512", "ES256", "ES384", "PS256", "EdDSA"})
MAX_SUBJECT_LENGTH = 200
MAX_TOKEN_BYTES = 8192
"""Longest Authorization header read; a longer one is refused before it is decoded."""
LEEWAY_SECONDS = 30
"""Clock difference tolerated between the issuer and a service (``exp``, ``nbf``, ``iat``)."""
_CLEAN = re.compile(NO_CONTROL)


agency = agency_role


@dataclass(frozen=True)
class Principal:
    """An authenticated caller."""

    subject: str
    roles: frozenset[str]

    def has(self, *roles: str) -> bool:
        """Whether the caller holds any of ``roles``."""
        return not self.roles.isdisjoint(roles)


@dataclass(frozen=True)
class TrustedKey:
    """A public key of the JWKS, and the roles its tokens are limited to (None: any)."""

    kid: str
    algorithm: str
    key: Any
    roles: frozenset[str] | None = None


class Unauthenticated(Exception):
    """Raised when a request carries no valid bearer token."""


def load_jwks(path: Path) -> list[TrustedKey]:
    """The public keys of a JWKS file; ConfigError naming KERJASAMA_AUTH_JWKS_FILE."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        entries = document["keys"]
        if not isinstance(entries, list) or not entries:
            raise ValueError("'keys' is not a non-empty list")
        keys = []
        for entry in entries:
            if PRIVATE_MEMBERS & set(entry):
                raise ValueError(f"key {entry.get('kid')!r} holds private or secret key "
                                 "material; a JWKS holds public keys only")
            parsed = jwt.PyJWK(entry)
            if parsed.algorithm_name not in ASYMMETRIC:
                raise ValueError(f"key {entry.get('kid')!r}: algorithm "
                                 f"{parsed.algorithm_name} is not accepted")
            limit = entry.get(ROLE_LIMIT)
            if limit is not None and not isinstance(limit, list):
                raise ValueError(f"key {entry.get('kid')!r}: {ROLE_LIMIT} is not a list")
            keys.append(TrustedKey(key_id(entry), parsed.algorithm_name, parsed.key,
                                   None if limit is None else frozenset(map(str, limit))))
    except (OSError, ValueError, TypeError, KeyError, jwt.PyJWKError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else exc
        raise ConfigError(f"KERJASAMA_AUTH_JWKS_FILE: cannot use {path}: {why}") from None
    return keys


class Authenticator:
    """Verifies bearer tokens against the configured keys, issuer, audience and lifetime."""

    def __init__(self, keys: list[TrustedKey] | bytes, *, issuer: str, audience: str,
                 max_lifetime_seconds: int = DEFAULT_MAX_TOKEN_LIFETIME_SECONDS) -> None:
        self._keys = keys
        self.issuer = issuer
        self.audience = audience
        self.max_lifetime_seconds = max_lifetime_seconds

    @classmethod
    def from_files(cls, *, jwks_file: Path | None, dev_key_file: Path | None, issuer: str,
                   audience: str, development: bool,
                   max_lifetime_seconds: int = DEFAULT_MAX_TOKEN_LIFETIME_SECONDS
                   ) -> Authenticator:
        """Keys from a JWKS file or (development only) a development secret.

        ConfigError naming the variable: no keys, unusable keys, or a development key
        outside a declared development run (even next to a JWKS).
        """
        if dev_key_file is not None:
            refuse_dev_key_outside_development(development)
        keys: list[TrustedKey] | bytes
        if jwks_file is not None:
            keys = load_jwks(jwks_file)
        elif dev_key_file is not None:
            keys = read_dev_key(dev_key_file)
        else:
            raise ConfigError("KERJASAMA_AUTH_JWKS_FILE or KERJASAMA_AUTH_DEV_KEY_FILE must be "
                              "set: requests are never served without authentication")
        return cls(keys, issuer=issuer, audience=audience,
                   max_lifetime_seconds=max_lifetime_seconds)

    def _candidates(self, token: str) -> list[tuple[Any, str, TrustedKey | None]]:
        if isinstance(self._keys, bytes):
            return [(self._keys, "HS256", None)]
        header = jwt.get_unverified_header(token)
        kid, algorithm = header.get("kid"), header.get("alg")
        found = [k for k in self._keys if kid is None or k.kid == kid]
        if not found:
            raise Unauthenticated(f"invalid token: no key with kid {kid!r}")
        # each key verifies its own algorithm only (no HS256 with a public key, no confusion)
        return [(k.key, k.algorithm, k) for k in found if k.algorithm == algorithm] or [
            (found[0].key, found[0].algorithm, found[0])]

    def _decode(self, token: str) -> tuple[dict[str, Any], TrustedKey | None]:
        failure: jwt.PyJWTError | None = None
        for key, algorithm, trusted in self._candidates(token):
            try:
                claims = jwt.decode(token, key, algorithms=[algorithm],
                                    audience=self.audience, issuer=self.issuer,
                                    leeway=LEEWAY_SECONDS,
                                    options={"require": ["exp", "iss", "aud", "sub"]})
            except jwt.InvalidSignatureError as exc:
                failure = exc  # another key without a kid may have signed it
                continue
            return claims, trusted
        assert failure is not None
        raise failure

    def verify(self, token: str) -> Principal:
        """The principal of a valid token; Unauthenticated saying why otherwise."""
        try:
            claims, trusted = self._decode(token)
        except jwt.PyJWTError as exc:
            raise Unauthenticated(f"invalid token: {exc}") from None
        subject = claims["sub"]
        if not (subject.strip() and len(subject) <= MAX_SUBJECT_LENGTH
                and _CLEAN.fullmatch(subject)):
            raise Unauthenticated(f"invalid token: the subject (sub) must be a name of 1 to "
                                  f"{MAX_SUBJECT_LENGTH} characters without control characters")
        start = int(claims["iat"]) if "iat" in claims else time.time()
        if int(claims["exp"]) - start > self.max_lifetime_seconds:
            raise Unauthenticated(f"invalid token: it is valid for longer than "
                                  f"{self.max_lifetime_seconds} seconds (exp - iat)")
        roles = claims.get("roles", [])
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise Unauthenticated("invalid token: roles must be a list of strings")
        if trusted is not None and trusted.roles is not None and not trusted.roles >= set(roles):
            raise Unauthenticated(f"invalid token: key {trusted.kid} may not sign the roles "
                                  f"{sorted(set(roles) - trusted.roles)}")
        return Principal(subject, frozenset(roles))


def authenticator_from(settings: BaseServiceSettings) -> Authenticator:
    """The bearer-token verifier a service's settings configure; ConfigError when no key is
    configured, or a development key outside a declared development run."""
    return Authenticator.from_files(jwks_file=settings.auth_jwks_file,
                                    dev_key_file=settings.auth_dev_key_file,
                                    issuer=settings.auth_issuer, audience=settings.auth_audience,
                                    development=settings.development,
                                    max_lifetime_seconds=settings.auth_max_token_lifetime_seconds)


async def principal_of(request: Request) -> Principal:
    """The caller of a request (set by the middleware of :func:`install_auth`)."""
    principal = getattr(request.state, "principal", None)
    if not isinstance(principal, Principal):
        raise RuntimeError("install_auth() was not called on this app")
    return principal


class AuthMiddleware:
    """Refuses requests without a valid bearer token with a 401 problem, before the app."""

    def __init__(self, app: ASGIApp, authenticator: Authenticator,
                 public: re.Pattern[str] | None = None) -> None:
        self.app = app
        self.authenticator = authenticator
        self.public = public

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in PUBLIC_PATHS or (
                self.public is not None and self.public.fullmatch(scope["path"])):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        raw = headers.get(b"authorization", b"")
        scheme, _, token = raw[:MAX_TOKEN_BYTES].decode("latin-1").partition(" ")
        try:
            if len(raw) > MAX_TOKEN_BYTES:
                raise Unauthenticated(f"the Authorization header is longer than "
                                      f"{MAX_TOKEN_BYTES} bytes; it was not read")
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


def install_auth(app: FastAPI, authenticator: Authenticator,
                 public: re.Pattern[str] | None = None) -> None:
    """Authenticate every request to ``app`` but health, metrics, the API docs and the
    paths that ``public`` matches whole (what a service publishes to anyone, such as its
    message contract)."""
    app.add_middleware(AuthMiddleware, authenticator=authenticator, public=public)
