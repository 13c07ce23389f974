"""What every service process runs on: its database pool, its broker link, its
background loops, readiness, and the HTTP defaults.

A service's composition root is one ``wire`` function that gets the :class:`Runtime`
and the app, builds the service's parts from its settings and registers them::

    async def wire(runtime: Runtime, app: FastAPI) -> None:
        runtime.pool = await open_database(settings)
        service = AgreementService(PostgresEventStore(runtime.pool))
        app.include_router(build_router(service))
        runtime.subscribe(settings.amqp_url, register, uses=...)
        runtime.background.add("outbox-relay", relay.run)

    app = service_app(title="kerjasama agreements", ..., authenticator=..., wire=wire)

The broker link starts in the background, so a service whose broker is down at start
serves HTTP and answers ``/readyz`` with 503 until the broker returns. Shutdown runs in
reverse: consumers stop first (in-flight messages finish or are requeued), then the loops
(:mod:`plumbing.background`), then what the service registered with :meth:`on_close`,
then the pool.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable

from fastapi import FastAPI

from plumbing.auth import Authenticator, install_auth
from plumbing.background import Background
from plumbing.db import Pool
from plumbing.http import ReadyCheck, health_router, install_problem_handlers
from plumbing.messaging import Messaging, Register
from plumbing.tracing import http_telemetry

log = logging.getLogger(__name__)

Wire = Callable[["Runtime", FastAPI], Awaitable[None]]


class Runtime:
    """The running parts of one service process (``app.state.runtime``)."""

    def __init__(self) -> None:
        self.pool: Pool | None = None
        self.messaging: Messaging | None = None
        self.background = Background()
        self._closers: list[Callable[[], Awaitable[object]]] = []

    def subscribe(self, amqp_url: str, register: Register, *,
                  uses: tuple[tuple[str, ...], tuple[str, ...]],
                  prefetch: int = 32) -> Messaging:
        """The service's broker link: ``register`` adds its subscribers to the broker;
        ``uses`` names the exchanges and queues checked before consuming."""
        self.messaging = Messaging(amqp_url, register, uses=uses, prefetch=prefetch)
        return self.messaging

    def on_close(self, close: Callable[[], Awaitable[object]]) -> None:
        """Run ``close()`` at shutdown, after the loops stopped (last registered, first)."""
        self._closers.append(close)

    async def database_ready(self) -> bool:
        """Whether the database answers."""
        return self.pool is not None and await self.pool.fetchval("SELECT 1") == 1

    async def broker_ready(self) -> bool:
        """Whether the broker link is up (true for a process that does not consume)."""
        if self.messaging is None:
            return self.pool is not None
        return await self.messaging.ready()

    def start(self) -> None:
        """Start the loops and begin connecting to the broker."""
        self.background.start()
        if self.messaging is not None:
            self.messaging.start()

    async def close(self) -> None:
        """Stop consuming, stop the loops, close what was opened, close the pool."""
        if self.messaging is not None:
            await self.messaging.close()
        await self.background.close()
        for close in reversed(self._closers):
            try:
                await close()
            except Exception:
                log.exception("closing %r failed", close)
        if self.pool is not None:
            await self.pool.close()

    @contextlib.asynccontextmanager
    async def running(self, wire: Wire, app: FastAPI) -> AsyncIterator[Runtime]:
        """Wire the service, run it, close it; a failure while wiring closes what opened."""
        try:
            await wire(self, app)
            self.start()
            yield self
        finally:
            await self.close()


def install_http_defaults(app: FastAPI, authenticator: Authenticator,
                          ready_checks: dict[str, ReadyCheck], *, public: bool = False,
                          public_paths: re.Pattern[str] | None = None) -> None:
    """Health, readiness and metrics endpoints, RFC 9457 problems, body limits and
    authentication (none for a ``public`` site: the portal, read-only, no login): what
    every service's HTTP interface has."""
    app.include_router(health_router(ready_checks))
    install_problem_handlers(app)
    if not public:
        install_auth(app, authenticator, public_paths)


def service_app(*, title: str, description: str, authenticator: Authenticator,
                wire: Wire, version: str = "1.0.0", public: bool = False,
                public_paths: re.Pattern[str] | None = None) -> FastAPI:
    """A service's FastAPI application: its lifespan wires and runs the service; the
    paths ``public_paths`` matches whole need no token."""
    runtime = Runtime()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with runtime.running(wire, app):
            yield

    app = FastAPI(title=title, version=version, description=description, lifespan=lifespan,
                  telemetry=http_telemetry())
    app.state.runtime = runtime
    install_http_defaults(app, authenticator, {"database": runtime.database_ready,
                                               "broker": runtime.broker_ready}, public=public,
                       public_paths=public_paths)
    return app
