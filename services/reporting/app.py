"""Wiring of the reporting service: the one place where its parts meet."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI
from faststream.rabbit import RabbitBroker

from contracts.topology import KPI_EXCHANGE, REPORTING_EVENTS
from plumbing.agreements_client import AgreementsClient, agreements_token_from
from plumbing.auth import authenticator_from, install_auth
from plumbing.consumer import QueueConsumer, create_broker
from plumbing.db import Conn, Pool, create_pool, ensure_database, rollback_only_reset
from plumbing.http import health_router, install_problem_handlers
from plumbing.parked_routes import parked_router
from plumbing.parking import Parking
from plumbing.topology import check_topology, uses_queue

from . import metrics
from .adapters import generations
from .adapters.relay import OutboxRelay
from .entrypoints.http import build_router
from .entrypoints.refresher import Refresher
from .entrypoints.subscriber import build_handler
from .projection import Projection, Rules
from .queries import ReportingQueries
from .service import ReportingService
from .settings import ReportingSettings

log = logging.getLogger(__name__)


async def open_database(settings: ReportingSettings) -> Pool:
    """Create (if needed) and migrate the database; open a pool on it."""
    await ensure_database(settings.reporting_database_url)
    pool = await create_pool(settings.reporting_database_url, min_size=2,
                             max_size=settings.database_pool_size, reset=rollback_only_reset)
    try:
        await generations.prepare(pool)
    except BaseException:
        await pool.close()
        raise
    return pool


class Reporting:
    """The running service: database, queue consumer, outbox relay and refresher."""

    def __init__(self, settings: ReportingSettings,
                 agreements: AgreementsClient | None = None) -> None:
        self.settings = settings
        self.agreements = agreements or AgreementsClient(
            settings.agreements_url, token=agreements_token_from(settings, "reporting"))
        self._own_client = agreements is None
        self._tasks: list[asyncio.Task[None]] = []
        self._broker: RabbitBroker | None = None
        self._pool: Pool | None = None
        self.consumer: QueueConsumer | None = None

    def _writer(self) -> AbstractAsyncContextManager[Conn]:
        return generations.enter(self.pool, "write")

    @property
    def pool(self) -> Pool:
        """The database pool (after :meth:`start`)."""
        if self._pool is None:
            raise RuntimeError("the reporting service is not started")
        return self._pool

    async def start(self, *, consume: bool = True) -> None:
        """Open the database, check the topology, start relay, refresher and consumer."""
        settings = self.settings
        exchanges, queues = uses_queue(REPORTING_EVENTS, KPI_EXCHANGE)
        await check_topology(settings.amqp_url, exchanges=exchanges,
                             queues=queues if consume else ())
        self._pool = await open_database(settings)
        rules = Rules(settings.sleeping_after_days, settings.expiring_within_days)
        self.service = ReportingService(self._pool, Projection(rules), self.agreements.missing)
        self.queries = ReportingQueries(self._pool,
                                        sleeping_after_days=settings.sleeping_after_days)
        self.refresher = Refresher(self.service, self.queries, period=settings.refresh_seconds,
                                   after_events=settings.refresh_after_events_seconds)
        self.relay = OutboxRelay(settings.reporting_database_url, settings.amqp_url)
        metrics.register()
        self._tasks = [asyncio.create_task(self.relay.run(), name="kpi-outbox-relay"),
                       asyncio.create_task(self.refresher.run(), name="kpi-refresher")]
        if consume:
            self._broker = create_broker(settings.amqp_url, prefetch=settings.prefetch)
            self.consumer = QueueConsumer(
                self._broker, REPORTING_EVENTS, build_handler(self.service, self.refresher.poke),
                transient_timeout=settings.transient_retry_seconds, events=True,
                parking=Parking(self._writer, REPORTING_EVENTS,
                                on_change=self.service.projection.mark_completeness))
            self.consumer.subscribe(self._broker)
            assert self.consumer.parking is not None
            self._tasks.append(asyncio.create_task(self.consumer.parking.watch(),
                                                   name="parked-streams-gauge"))
            await self._broker.start()

    async def stop(self) -> None:
        """Stop consuming first (in-flight messages finish), then the background tasks."""
        if self._broker is not None:
            await self._broker.stop()
            self._broker = None
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
        if self._own_client:
            await self.agreements.aclose()

    async def database_ready(self) -> bool:
        """Whether the database answers."""
        return self._pool is not None and await self._pool.fetchval("SELECT 1") == 1

    async def broker_ready(self) -> bool:
        """Whether the consumer is connected (always true when not consuming)."""
        if self._broker is None:
            return self._pool is not None
        return bool(await self._broker.ping(timeout=1.0))


def create_app(settings: ReportingSettings,
               agreements: AgreementsClient | None = None) -> FastAPI:
    """The reporting HTTP application; its lifespan runs the whole service."""
    reporting = Reporting(settings, agreements)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await reporting.start()
        app.state.reporting = reporting
        app.include_router(build_router(reporting.queries))
        app.include_router(parked_router(lambda: reporting.consumer))
        try:
            yield
        finally:
            await reporting.stop()

    app = FastAPI(title="kerjasama reporting", version="1.0.0", lifespan=lifespan,
                  description="KPI figures of regional cooperation agreements.")
    app.include_router(health_router({"database": reporting.database_ready,
                                      "broker": reporting.broker_ready}))
    install_problem_handlers(app)
    install_auth(app, authenticator_from(settings))
    return app
