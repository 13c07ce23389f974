"""Request limits: a request body above the configured size is refused with a 413 problem.

:class:`BodySizeLimit` is a pure ASGI middleware. A declared ``Content-Length`` above the
limit is refused before the application sees the request; a body without one (chunked)
or longer than declared is counted as it is received, and the application's read fails
with a 413 as soon as the count passes the limit, so at most the limit (plus the chunk
that crossed it) is ever held in memory and no handler or validation runs on a partial
body. The rest of the body, up to DRAIN_BYTES, is read and discarded before the 413 is
sent, so that clients that write the whole body before reading see the answer.

The limit is ``KERJASAMA_MAX_BODY_BYTES`` (default 1 MiB); see :class:`LimitsSettings`.
The request head is capped by the server (``KERJASAMA_MAX_HEADER_BYTES``, default 16 KiB;
:mod:`plumbing.head_limit`, applied by :func:`plumbing.http.serve`).
"""

from __future__ import annotations

import asyncio
import contextlib
import re

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from plumbing.head_limit import DEFAULT_MAX_HEADER_BYTES
from plumbing.problems import problem
from plumbing.settings import ENV_PREFIX, load_settings

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
DRAIN_BYTES = 8 * 1024 * 1024
DRAIN_SECONDS = 5.0
"""Before a 413, up to this much more of the body is read and thrown away (within this
time), so a client that writes its whole body before reading (most do) gets the answer
instead of a connection reset; past it the connection is simply closed after the 413."""
CONTENT_TOO_LARGE = "Content Too Large"  # RFC 9110 §15.5.14


class LimitsSettings(BaseSettings):
    """Limits every HTTP service applies (environment variables ``KERJASAMA_<FIELD>``)."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    max_body_bytes: int = Field(DEFAULT_MAX_BODY_BYTES, ge=1, le=2**31,
                                description="Largest request body accepted, in bytes; a "
                                "larger one is refused with 413.")
    max_header_bytes: int = Field(DEFAULT_MAX_HEADER_BYTES, ge=1024, le=1024 * 1024,
                                  description="Largest request head (request line and "
                                  "headers) accepted, in bytes; a larger one is refused "
                                  "with 431 while it is read.")


class BodyTooLarge(StarletteHTTPException):
    """Raised when a request body grows past the limit while it is being read."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"the request body is larger than {max_bytes} bytes")
        self.max_bytes = max_bytes


def too_large(max_bytes: int) -> JSONResponse:
    """The 413 problem of a body above ``max_bytes``."""
    return problem(413, CONTENT_TOO_LARGE,
                   f"the request body is larger than {max_bytes} bytes; nothing was processed",
                   "urn:kerjasama:problem:body-too-large", max_bytes=max_bytes,
                   headers={"Connection": "close"})


def declared_length(scope: Scope) -> int | None:
    """The ``Content-Length`` of the request; -1 when it is not a non-negative integer."""
    for name, value in scope.get("headers", ()):
        if name.lower() == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() and len(text) <= 18 else -1
    return None


async def drain(receive: Receive, limit: int = DRAIN_BYTES) -> None:
    """Read and discard the rest of a request body: at most ``limit`` bytes, DRAIN_SECONDS."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(DRAIN_SECONDS):
            while limit > 0:
                message = await receive()
                if message["type"] != "http.request" or not message.get("more_body", False):
                    return
                limit -= len(message.get("body", b""))


LARGER_BODIES = "larger_bodies"
"""Attribute of ``app.state``: the routes allowed a larger body (:func:`allow_larger_body`)."""


def allow_larger_body(app: FastAPI, method: str, path: str, max_bytes: int) -> None:
    """Give the requests ``method`` ``path`` (a regular expression matched in full, e.g.
    ``/agreements/[^/]+/documents``) a body limit of their own instead of the general one;
    for a route that streams its body to disk and enforces its own, precise limit."""
    if max_bytes < 1:
        raise ValueError("max_bytes must be at least 1")
    routes = getattr(app.state, LARGER_BODIES, None)
    if routes is None:
        routes = []
        setattr(app.state, LARGER_BODIES, routes)
    routes.append((method.upper(), re.compile(path), max_bytes))


def _limit_of(scope: Scope, default: int) -> int:
    app = scope.get("app")
    routes = getattr(getattr(app, "state", None), LARGER_BODIES, None) or ()
    for method, pattern, max_bytes in routes:
        if scope.get("method") == method and pattern.fullmatch(scope.get("path", "")):
            return int(max_bytes)
    return default


class BodySizeLimit:
    """Refuses request bodies larger than ``max_bytes`` (or the route's own limit,
    :func:`allow_larger_body`) with a 413 problem."""

    def __init__(self, app: ASGIApp, max_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        if max_bytes < 1:
            raise ValueError("max_bytes must be at least 1")
        self.app = app
        self.default_max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await _Limited(self.app, _limit_of(scope, self.default_max_bytes))(scope, receive, send)


class _Limited:
    """One request under one limit."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        declared = declared_length(scope)
        if declared == -1:
            await problem(400, "Invalid Content-Length",
                          "Content-Length must be a non-negative integer",
                          headers={"Connection": "close"})(scope, receive, send)
            return
        if declared is not None and declared > self.max_bytes:
            if declared <= DRAIN_BYTES:
                await drain(receive)
            await too_large(self.max_bytes)(scope, receive, send)
            return

        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            if received > self.max_bytes:
                raise BodyTooLarge(self.max_bytes)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    if message.get("more_body", False):
                        await drain(receive, DRAIN_BYTES - received)
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except BodyTooLarge:
            if started:
                raise
            await too_large(self.max_bytes)(scope, receive, send)


def install_body_limit(app: FastAPI, max_bytes: int | None = None) -> int:
    """Wrap ``app`` in :class:`BodySizeLimit`; answer :class:`BodyTooLarge` as a 413 problem.

    ``max_bytes`` defaults to ``KERJASAMA_MAX_BODY_BYTES`` (a bad value raises ConfigError).
    Returns the limit applied.
    """
    limit = max_bytes if max_bytes is not None else load_settings(LimitsSettings).max_body_bytes

    async def on_too_large(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, BodyTooLarge)
        return too_large(exc.max_bytes)

    app.add_middleware(BodySizeLimit, max_bytes=limit)
    app.add_exception_handler(BodyTooLarge, on_too_large)
    return limit
