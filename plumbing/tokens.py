"""Minting tokens: the development secret (HS256) and the tokens a service presents.

A development key (``KERJASAMA_AUTH_DEV_KEY_FILE``) is a shared secret: whoever reads it
mints any token, so services accept it only in a declared development run. Deployments
sign with private keys (:mod:`plumbing.keys`) whose public halves are in the JWKS.

A service's own token to another service is a :class:`TokenSource`: called before each
request, it mints a short-lived token and mints again before that one expires, so no
long-lived token exists and every token fits the verifier's lifetime cap.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from pathlib import Path

import jwt

from plumbing.errors import ConfigError

DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 24 * 3600
"""Longest token lifetime a service accepts unless KERJASAMA_AUTH_MAX_TOKEN_LIFETIME_SECONDS
says otherwise."""
SERVICE_TOKEN_SECONDS = 15 * 60
"""Lifetime of the tokens a service mints for itself."""
DEV_KEY_VARIABLE = "KERJASAMA_AUTH_DEV_KEY_FILE"
ENVIRONMENT_VARIABLE = "KERJASAMA_ENVIRONMENT"


def refuse_dev_key_outside_development(development: bool) -> None:
    """ConfigError unless development is declared: a development key signs anything."""
    if not development:
        raise ConfigError(f"{DEV_KEY_VARIABLE} names a development key (a shared secret with "
                          f"which anyone who reads it signs any token); it is refused unless "
                          f"{ENVIRONMENT_VARIABLE}=development. Deployments trust a JWKS "
                          "(KERJASAMA_AUTH_JWKS_FILE)")


def read_dev_key(path: Path) -> bytes:
    """The development signing secret in ``path``."""
    try:
        key = path.read_bytes().strip()
    except OSError as exc:
        raise ConfigError(f"{DEV_KEY_VARIABLE}: cannot read {path}: {exc.strerror}") from None
    if len(key) < 32:
        raise ConfigError(f"{DEV_KEY_VARIABLE}: {path} holds fewer than 32 bytes")
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


class TokenSource:
    """A bearer token minted on first use and again once half its lifetime has passed."""

    def __init__(self, mint: Callable[[int], str], ttl_seconds: int = SERVICE_TOKEN_SECONDS,
                 clock: Callable[[], float] = time.time) -> None:
        self._mint, self._ttl, self._clock = mint, ttl_seconds, clock
        self._token, self._renew_at = "", 0.0

    def __call__(self) -> str:
        now = self._clock()
        if not self._token or now >= self._renew_at:
            self._token, self._renew_at = self._mint(self._ttl), now + self._ttl / 2
        return self._token


class FileToken:
    """A bearer token kept in a file by someone else, read again whenever the file changes."""

    def __init__(self, path: Path, variable: str) -> None:
        self._path, self._variable = path, variable
        self._token, self._stamp = "", (0, 0)
        self()  # a missing or unreadable file is a ConfigError at start

    def __call__(self) -> str:
        try:
            info = self._path.stat()
            if (info.st_mtime_ns, info.st_size) != self._stamp or not self._token:
                self._token = self._path.read_text(encoding="utf-8").strip()
                self._stamp = (info.st_mtime_ns, info.st_size)
        except OSError as exc:
            if self._token:
                return self._token  # keep the last token while the file is being replaced
            raise ConfigError(f"{self._variable}: cannot read {self._path}: "
                              f"{exc.strerror}") from None
        return self._token
