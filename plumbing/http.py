"""FastAPI helpers: health, readiness and metrics endpoints, problem details, serving.

Problem details live in :mod:`plumbing.problems` and are re-exported here.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Mapping
from typing import Any, TypeVar
from urllib.parse import quote

import uvicorn
from fastapi import APIRouter, FastAPI, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

from plumbing.errors import ConfigError, OperatorError
from plumbing.head_limit import capped_protocol
from plumbing.limits import LimitsSettings, install_body_limit
from plumbing.logs import LogOptions, configure_logging
from plumbing.problems import PROBLEM_JSON, ProblemException, add_problem_handlers, problem
from plumbing.settings import BaseServiceSettings, load_settings
from plumbing.tracing import configure_tracing

__all__ = [
    "PROBLEM_JSON",
    "Action",
    "ProblemException",
    "ReadyCheck",
    "content_disposition",
    "health_router",
    "install_problem_handlers",
    "problem",
    "run",
    "serve",
    "service_main",
]

T = TypeVar("T")
S = TypeVar("S", bound=BaseServiceSettings)

ReadyCheck = Callable[[], Awaitable[bool]]
"""A readiness check: true when the dependency it checks is usable."""
READY_TIMEOUT = 2.0


async def _run_check(check: ReadyCheck, seconds: float) -> str:
    try:
        async with asyncio.timeout(seconds):
            ok = await check()
    except TimeoutError:
        return f"failed: no answer within {seconds:g}s"
    except Exception as exc:
        return f"failed: {exc!r}"
    return "ok" if ok else "failed"


def health_router(
    ready_checks: dict[str, ReadyCheck],
    *,
    timeout: float = READY_TIMEOUT,
    registry: CollectorRegistry = REGISTRY,
) -> APIRouter:
    """``GET /healthz`` (alive), ``GET /readyz`` (every check passes) and ``GET /metrics``.

    ``/readyz`` runs the checks concurrently, each given ``timeout`` seconds, and answers
    200 or 503 with ``{"status", "checks": {name: "ok" | "failed: <why>"}}``.
    """
    router = APIRouter(tags=["operations"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        names = list(ready_checks)
        results = await asyncio.gather(*(_run_check(ready_checks[n], timeout) for n in names))
        checks = dict(zip(names, results, strict=True))
        ready = all(r == "ok" for r in results)
        body = {"status": "ok" if ready else "unavailable", "checks": checks}
        return JSONResponse(body, status_code=200 if ready else 503)

    @router.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router


def install_problem_handlers(app: FastAPI, *, max_body_bytes: int | None = None) -> None:
    """Answer validation errors, HTTP errors (404, 405, ...) and ProblemException as problems
    (:mod:`plumbing.problems`), and limit request bodies (:mod:`plumbing.limits`):
    ``max_body_bytes``, by default ``KERJASAMA_MAX_BODY_BYTES`` (1 MiB); a larger body is a
    413 problem.
    """
    add_problem_handlers(app)
    install_body_limit(app, max_body_bytes)


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """``Content-Disposition`` of a file handed out: ``attachment`` (or ``inline``) with an
    ASCII fallback name (quotes, backslashes and anything outside printable ASCII as
    ``_``) and the UTF-8 name percent-encoded (RFC 6266, RFC 8187)."""
    fallback = "".join(c if " " <= c < "\x7f" and c not in '"\\' else "_" for c in filename)
    how = "inline" if inline else "attachment"
    return f"{how}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signal handling to its caller when asked to."""

    def __init__(self, config: uvicorn.Config, *, own_signals: bool) -> None:
        super().__init__(config)
        self._own_signals = own_signals

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if self._own_signals:
            with super().capture_signals():
                yield
        else:
            yield


async def serve(
    app: FastAPI,
    host: str,
    port: int,
    *,
    stop: asyncio.Event | None = None,
    log_level: str | None = None,
    max_header_bytes: int | None = None,
    access_log: bool = False,
) -> None:
    """Serve ``app`` with uvicorn inside the running event loop until it stops.

    Without ``stop``, uvicorn handles SIGINT/SIGTERM (graceful shutdown; uvicorn then
    re-raises the signal). With ``stop``, the caller owns signals and the server shuts
    down gracefully once ``stop`` is set. The app's lifespan runs (``lifespan="on"``).
    A server that fails to start (port taken, lifespan error) raises RuntimeError.
    A request head (request line and headers) above ``max_header_bytes`` (default
    ``KERJASAMA_MAX_HEADER_BYTES``) is refused with a 431 problem while it is read.
    uvicorn's lines go to the process's logging set-up (:mod:`plumbing.logs`), at
    ``log_level`` when given.
    """
    if max_header_bytes is None:
        max_header_bytes = load_settings(LimitsSettings).max_header_bytes
    config = uvicorn.Config(app, host=host, port=port, lifespan="on", log_config=None,
                            log_level=None if log_level is None else log_level.lower(),
                            access_log=access_log, http=capped_protocol(max_header_bytes),
                            h11_max_incomplete_event_size=max_header_bytes)
    server = _Server(config, own_signals=stop is None)

    async def watch() -> None:
        assert stop is not None
        await stop.wait()
        server.should_exit = True

    watcher = asyncio.create_task(watch()) if stop is not None else None
    try:
        await server.serve()
    except SystemExit as exc:  # uvicorn exits the process when it cannot start
        raise RuntimeError(
            f"HTTP server on {host}:{port} failed to start (exit status {exc.code})"
        ) from None
    finally:
        if watcher is not None:
            watcher.cancel()


def run(main: Coroutine[Any, Any, T]) -> T:
    """Run a service's main coroutine on uvloop when it is installed (else asyncio)."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency on Linux
        return asyncio.run(main)
    return uvloop.run(main)


Action = Callable[[list[str]], Coroutine[Any, Any, str]]
"""An operator action of a service: its arguments → what it did, as text to print; it
raises OperatorError when it cannot be done and ConfigError on a bad configuration."""


def service_main(name: str, settings_class: type[S], create_app: Callable[[S], FastAPI],
                 actions: Mapping[str, Action] | None = None) -> int:
    """``python -m services.<name>``: run until SIGINT/SIGTERM; exit 0.
    ``python -m services.<name> <action> [options]``: run one operator action (the public
    way for the ``kerjasama`` CLI and for deployments to reach what runs beside the
    service on its own database); exit 0, 1 when it cannot be done.

    A bad configuration (settings or keys) is one clear line on stderr and exit 2.
    """
    argv = sys.argv[1:]
    if argv:
        known = dict(actions or {})
        if argv[0] not in known:
            print(f"{name}: no action {argv[0]!r} (actions: {', '.join(known) or 'none'})",
                  file=sys.stderr)
            return 2
        return run_action(name, known[argv[0]], argv[1:])
    try:
        settings = load_settings(settings_class)
        configure_logging(name, settings)
        configure_tracing(name)
        app = create_app(settings)
    except ConfigError as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        return 2
    run(serve(app, settings.http_host, settings.http_port, access_log=settings.access_log))
    return 0


def run_action(name: str, action: Action, args: list[str]) -> int:
    """Run one operator action; print what it did (stdout) or why not (stderr). It logs
    warnings and errors only, in the shape ``KERJASAMA_LOG_FORMAT`` names."""
    try:
        shape = load_settings(BaseServiceSettings).log_format
    except ConfigError:  # the action's own settings name it
        shape = "text"
    configure_logging(name, LogOptions(log_format=shape))
    try:
        print(run(action(args)))
    except ConfigError as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        return 2
    except OperatorError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except (ConnectionError, OSError) as exc:  # the database or the broker is not there
        print(f"{name}: {exc}", file=sys.stderr)
        return 1
    return 0
