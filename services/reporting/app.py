"""Composition root of the reporting service: the one place where its parts meet."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager

from fastapi import FastAPI

from contracts.topology import KPI_EXCHANGE, REPORTING_EVENTS
from plumbing.agreements_client import AgreementsClient, agreements_token_from
from plumbing.auth import authenticator_from
from plumbing.background import every
from plumbing.consumer import QueueConsumer
from plumbing.db import Conn, Pool
from plumbing.parked_routes import parked_router
from plumbing.parking import Parking
from plumbing.relay import OutboxRelay
from plumbing.runtime import Runtime, service_app
from plumbing.topology import uses_queue
from services.reporting.adapters import checkpoints, generations
from services.reporting.adapters.database import open_database
from services.reporting.adapters.outbox import kpi_relay
from services.reporting.application import metrics
from services.reporting.application.projection import Projection, Rules
from services.reporting.application.queries import ReportingQueries
from services.reporting.application.record import RecordQueries
from services.reporting.application.report import ReportQueries
from services.reporting.application.service import ReportingService
from services.reporting.domain.evaluation import KpiRules
from services.reporting.entrypoints.http import build_router
from services.reporting.entrypoints.refresher import Refresher
from services.reporting.entrypoints.reports import build_report_router
from services.reporting.entrypoints.subscriber import build_handler
from services.reporting.settings import ReportingSettings

PARKED_GAUGE_SECONDS = 15.0


class Reporting:
    """The parts of a running reporting service (``app.state.reporting``): the projection
    service and its queries, the refresher, the KPI outbox relay and the queue consumer."""

    service: ReportingService
    queries: ReportingQueries
    record: RecordQueries
    reports: ReportQueries
    refresher: Refresher
    relay: OutboxRelay

    def __init__(self, settings: ReportingSettings,
                 agreements: AgreementsClient | None = None, *, consume: bool = True) -> None:
        self.settings = settings
        self.agreements = agreements
        self.consume = consume
        self.consumer: QueueConsumer | None = None
        self.runtime = Runtime()

    @property
    def pool(self) -> Pool:
        """The database pool (once wired)."""
        if self.runtime.pool is None:
            raise RuntimeError("the reporting service is not started")
        return self.runtime.pool

    def _writer(self) -> AbstractAsyncContextManager[Conn]:
        return generations.enter(self.pool, "write")

    async def wire(self, runtime: Runtime, app: FastAPI | None = None) -> None:
        """Open the database and make the parts; register loops, consumer and routes."""
        settings = self.settings
        self.runtime = runtime
        if self.agreements is None:
            client = AgreementsClient(settings.agreements_url,
                                      token=agreements_token_from(settings, "reporting"))
            self.agreements = client
            runtime.on_close(client.aclose)
        runtime.pool = pool = await open_database(settings)
        rules = Rules(settings.sleeping_after_days, settings.expiring_within_days)
        self.service = ReportingService(pool, Projection(rules), self.agreements.missing,
                                        retry_seconds=settings.transient_retry_seconds)
        self.queries = ReportingQueries(pool, sleeping_after_days=settings.sleeping_after_days)
        self.record = RecordQueries(pool, self.agreements.feed, KpiRules(
            settings.sleeping_after_days, settings.expiring_within_days))
        self.reports = ReportQueries(pool, self.record)
        self.refresher = Refresher(self.service, self.queries, period=settings.refresh_seconds,
                                   after_events=settings.refresh_after_events_seconds)
        self.relay = kpi_relay(settings.reporting_database_url, settings.amqp_url)
        metrics.register()
        runtime.background.add("kpi-outbox-relay", self.relay.run)
        runtime.background.add("kpi-refresher", self.refresher.run)
        agreements = self.agreements
        runtime.background.add("ledger-checkpoints", every(
            lambda: checkpoints.follow(pool, agreements), interval=settings.checkpoint_seconds,
            name="ledger-checkpoints"))
        if self.consume:
            parking = Parking(self._writer, REPORTING_EVENTS,
                              on_change=self.service.projection.mark_completeness)
            runtime.background.add("parked-streams-gauge", every(
                parking.refresh_gauge, interval=PARKED_GAUGE_SECONDS))

            def register(broker: object) -> None:
                self.consumer = QueueConsumer(
                    broker, REPORTING_EVENTS,  # type: ignore[arg-type]
                    build_handler(self.service, self.refresher.poke),
                    transient_timeout=settings.transient_retry_seconds, events=True,
                    parking=parking)
                self.consumer.subscribe(broker)  # type: ignore[arg-type]

            runtime.subscribe(settings.amqp_url, register,
                              uses=uses_queue(REPORTING_EVENTS, KPI_EXCHANGE),
                              prefetch=settings.prefetch)
        if app is not None:
            app.state.reporting = self
            app.include_router(build_router(self.queries, self.record))
            app.include_router(build_report_router(self.reports))
            app.include_router(parked_router(lambda: self.consumer))

    async def start(self) -> None:
        """Wire and run without an HTTP application (tests, benchmarks)."""
        await self.wire(self.runtime)
        self.runtime.start()

    async def stop(self) -> None:
        """Stop consuming first (in-flight messages finish), then everything else."""
        await self.runtime.close()


def create_app(settings: ReportingSettings,
               agreements: AgreementsClient | None = None) -> FastAPI:
    """The reporting HTTP application; its lifespan runs the whole service."""
    reporting = Reporting(settings, agreements)
    return service_app(title="kerjasama reporting",
                       description="KPI figures of regional cooperation agreements.",
                       authenticator=authenticator_from(settings), wire=reporting.wire)
