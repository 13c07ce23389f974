"""HTTP access to the services for the operator CLI and the demo loader.

Every failure becomes :class:`CliError` with one line that says what went wrong: the
service cannot be reached (and where), or the problem it answered (status, title,
detail).
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from contracts.roles import REGIONAL_SECRETARY, SECRETARIAT
from plumbing.errors import ConfigError
from plumbing.keys import read_signing_key
from plumbing.tokens import (
    DEFAULT_MAX_TOKEN_LIFETIME_SECONDS,
    SERVICE_TOKEN_SECONDS,
    TokenSource,
    mint_dev_token,
    read_dev_key,
)

DEFAULT_PORTS = {"agreements": 8001, "notifications": 8002, "reporting": 8003}
OPERATOR_ROLES = (SECRETARIAT, REGIONAL_SECRETARY)
"""Roles of the CLI's development tokens unless ``--role`` says otherwise."""
LOCAL_DEV_KEY = Path(__file__).resolve().parents[1] / ".run" / "auth" / "dev-key"
"""The development key ``./scripts/run`` creates."""
SIGNING_KEY_VARIABLE = "KERJASAMA_AUTH_SIGNING_KEY_FILE"
"""The operator's private key (JWK or PEM), whose public key the services' JWKS holds."""
LIFETIME_VARIABLE = "KERJASAMA_AUTH_MAX_TOKEN_LIFETIME_SECONDS"


class CliError(Exception):
    """Raised with a one-line message for the operator; the CLI exits non-zero."""


def service_url(name: str) -> str:
    """Base URL of a service: ``KERJASAMA_<NAME>_URL``, else localhost on its port."""
    explicit = os.environ.get(f"KERJASAMA_{name.upper()}_URL")
    if explicit:
        return explicit.rstrip("/")
    port = os.environ.get(f"KERJASAMA_{name.upper()}_PORT", str(DEFAULT_PORTS[name]))
    return f"http://127.0.0.1:{port}"


def describe_problem(response: httpx.Response) -> str:
    """``<status> <title>: <detail>`` of an RFC 9457 answer (or the raw text)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and "title" in body:
        detail = body.get("detail") or ""
        return f"{response.status_code} {body['title']}" + (f": {detail}" if detail else "")
    text = response.text.strip().splitlines()[0] if response.text.strip() else ""
    return f"{response.status_code} {response.reason_phrase}" + (f": {text}" if text else "")


def dev_key_file() -> Path | None:
    """The development key: ``KERJASAMA_AUTH_DEV_KEY_FILE``, else the local run's."""
    explicit = os.environ.get("KERJASAMA_AUTH_DEV_KEY_FILE")
    if explicit:
        return Path(explicit)
    return LOCAL_DEV_KEY if LOCAL_DEV_KEY.exists() else None


def max_lifetime() -> int:
    """The longest token lifetime the services accept (as they read it)."""
    text = os.environ.get(LIFETIME_VARIABLE, "").strip()
    if not text:
        return DEFAULT_MAX_TOKEN_LIFETIME_SECONDS
    if not text.isdigit() or int(text) < 1:
        raise CliError(f"{LIFETIME_VARIABLE}: not a number of seconds (got {text!r})")
    return int(text)


def mint_token(user: str, roles: Sequence[str], ttl_seconds: int,
               key_file: Path | None = None) -> str:
    """A token for ``user`` with ``roles``, signed with ``key_file`` (a private JWK or PEM;
    default ``KERJASAMA_AUTH_SIGNING_KEY_FILE``), else with the development key.

    CliError when there is no key, or ``ttl_seconds`` is not within the lifetime cap.
    """
    cap = max_lifetime()
    if not 0 < ttl_seconds <= cap:
        raise CliError(f"a token may be valid for 1 to {cap} seconds ({cap / 3600:g} hours; "
                       f"{LIFETIME_VARIABLE}), not {ttl_seconds}")
    issuer = os.environ.get("KERJASAMA_AUTH_ISSUER", "kerjasama")
    audience = os.environ.get("KERJASAMA_AUTH_AUDIENCE", "kerjasama")
    explicit = key_file or (Path(os.environ[SIGNING_KEY_VARIABLE])
                            if os.environ.get(SIGNING_KEY_VARIABLE) else None)
    try:
        if explicit is not None:
            key = read_signing_key(explicit, "--key-file" if key_file else SIGNING_KEY_VARIABLE)
            return key.mint(user, roles, issuer=issuer, audience=audience,
                            ttl_seconds=ttl_seconds)
        dev_file = dev_key_file()
        if dev_file is None:
            raise CliError(f"no credentials: set KERJASAMA_TOKEN to a bearer token, "
                           f"{SIGNING_KEY_VARIABLE} to your private signing key (the compose "
                           "stack keeps one in its auth-operator volume), or "
                           "KERJASAMA_AUTH_DEV_KEY_FILE to the development key (./scripts/run "
                           f"creates {LOCAL_DEV_KEY})")
        return mint_dev_token(read_dev_key(dev_file), user, list(roles), issuer=issuer,
                              audience=audience, ttl_seconds=ttl_seconds)
    except ConfigError as exc:
        raise CliError(str(exc)) from None


def bearer(user: str, roles: Sequence[str]) -> TokenSource:
    """``KERJASAMA_TOKEN`` when set; else short-lived tokens for ``user`` with ``roles``,
    minted again before they expire."""
    fixed = os.environ.get("KERJASAMA_TOKEN")
    if fixed:
        return TokenSource(lambda _: fixed)
    ttl = min(SERVICE_TOKEN_SECONDS, max_lifetime())
    return TokenSource(lambda seconds: mint_token(user, roles, seconds), ttl)


@dataclass
class ServiceClient:
    """A JSON client of one service."""

    name: str
    base_url: str
    user: str = "operator"
    roles: Sequence[str] = OPERATOR_ROLES
    timeout: float = 30.0
    transport: httpx.AsyncBaseTransport | None = field(default=None, repr=False)
    _client: httpx.AsyncClient | None = field(default=None, repr=False)
    _tokens: dict[tuple[str, ...], TokenSource] = field(default_factory=dict, repr=False)

    async def __aenter__(self) -> ServiceClient:
        self._client = httpx.AsyncClient(base_url=self.base_url, timeout=self.timeout,
                                         trust_env=False,
                                         transport=self.transport)
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def request(self, method: str, path: str, *, json: Any = None,
                      params: dict[str, Any] | None = None,
                      headers: dict[str, str] | None = None,
                      ok: tuple[int, ...] = (200, 201, 204),
                      roles: Sequence[str] | None = None,
                      files: dict[str, tuple[str, bytes, str]] | None = None,
                      data: dict[str, str] | None = None) -> httpx.Response:
        """Send a request (as ``roles``, default the client's); CliError unless the status
        is in ``ok``. ``files`` and ``data`` send a multipart form instead of JSON."""
        assert self._client is not None, "use ServiceClient in 'async with'"
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        headers = {**(headers or {}), "Authorization":
                   f"Bearer {self._token(tuple(roles or self.roles))}"}
        try:
            response = await self._client.request(method, path, json=json, params=clean,
                                                  headers=headers, files=files, data=data)
        except httpx.TransportError as exc:
            raise CliError(f"cannot reach the {self.name} service at {self.base_url} "
                           f"({type(exc).__name__}: {exc or 'no answer'}); is it running? "
                           "Start everything with ./scripts/run") from None
        if response.status_code not in ok:
            raise CliError(f"{self.name}: {method} {path}: {describe_problem(response)}")
        return response

    def _token(self, roles: tuple[str, ...]) -> str:
        if roles not in self._tokens:
            self._tokens[roles] = bearer(self.user, roles)
        return self._tokens[roles]()

    async def get_json(self, path: str, **params: Any) -> Any:
        """GET a JSON document."""
        return (await self.request("GET", path, params=params)).json()


async def run_service_action(service: str, action: str, *args: str) -> str:
    """Run ``python -m services.<service> <action> ...``, the service's own operator entry,
    in a process of its own (with this process's environment); what it printed. CliError
    with what it said when it fails."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", f"services.{service}", action, *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await process.communicate()
    said, complaint = out.decode().strip(), err.decode().strip()
    if process.returncode != 0:
        raise CliError(complaint or said or f"{service} {action} exited with status "
                       f"{process.returncode}")
    if complaint:
        print(complaint, file=sys.stderr)
    return said
