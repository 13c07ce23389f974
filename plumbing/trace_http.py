"""A server span per HTTP request, continuing the caller's W3C ``traceparent``."""

from __future__ import annotations

from typing import Any

from opentelemetry.trace import Status, StatusCode
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from plumbing.tracing import SpanKind, span

UNTRACED = frozenset({"/healthz", "/readyz", "/metrics"})
"""Probes and scrapes: no span (they would bury the requests that matter)."""


class TracingMiddleware:
    """ASGI middleware: each request (but :data:`UNTRACED`) runs in a server span named
    ``<METHOD> <route template>``, child of the request's ``traceparent`` header."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in UNTRACED:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1")
                   for k, v in scope.get("headers", ()) if k in (b"traceparent", b"tracestate")}
        method = scope.get("method", "GET")
        status: dict[str, Any] = {}

        async def send_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        with span(method, parent=headers, kind=SpanKind.SERVER,
                  attributes={"http.request.method": method,
                              "url.path": scope.get("path", "")}) as current:
            try:
                await self.app(scope, receive, send_status)
            finally:
                route = getattr(scope.get("route"), "path", None)
                if current.is_recording():
                    if route:
                        current.update_name(f"{method} {route}")
                        current.set_attribute("http.route", route)
                    if "code" in status:
                        current.set_attribute("http.response.status_code", status["code"])
                        if status["code"] >= 500:
                            current.set_status(Status(StatusCode.ERROR))
