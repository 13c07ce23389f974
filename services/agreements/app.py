"""Wiring of the agreements service: the one place where its parts meet."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from contracts.topology import AGREEMENTS_COMMANDS, EVENTS_EXCHANGE
from plumbing.auth import authenticator_from, install_auth
from plumbing.db import Pool, create_pool, rollback_only_reset
from plumbing.http import health_router, install_problem_handlers, problem
from plumbing.messaging import Messaging
from plumbing.topology import uses_queue
from services.agreements.adapters.checkpointer import Checkpointer
from services.agreements.adapters.relay import OutboxRelay, RelaySettings
from services.agreements.domain import DomainError
from services.agreements.entrypoints import amqp
from services.agreements.entrypoints.checkpoints import build_checkpoint_router
from services.agreements.entrypoints.expiry import run_expiry
from services.agreements.entrypoints.http import build_router
from services.agreements.ledger import CheckpointSigner, checkpoint_signer_from
from services.agreements.queries import AgreementQueries
from services.agreements.schema import prepare_database
from services.agreements.service import AgreementService
from services.agreements.settings import AgreementsSettings

DATABASE_DOWN = (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError,
                 asyncpg.CannotConnectNowError, asyncpg.InternalClientError,
                 asyncpg.exceptions.OperatorInterventionError)
"""Errors that mean the database went away (InternalClientError: the connection died in
the middle of a protocol exchange, "cannot switch to state ...")."""


async def open_database(settings: AgreementsSettings) -> Pool:
    """Open the service's database; SchemaNotMigrated when `kerjasama migrate` is due.

    A superuser (development) creates and migrates it itself: see
    :func:`services.agreements.schema.prepare_database`.
    """
    await prepare_database(settings.agreements_database_url)
    pool = await create_pool(settings.agreements_database_url, min_size=2,
                             max_size=settings.database_pool_size,
                             reset=rollback_only_reset)
    return pool


def install_refusal_handlers(app: FastAPI) -> None:
    """Domain refusals → RFC 9457 problems; a database outage → 503."""

    async def on_refusal(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DomainError)
        return problem(exc.status, exc.title, str(exc),
                       f"urn:kerjasama:problem:{exc.problem_type}")

    async def on_database_down(_: Request, exc: Exception) -> JSONResponse:
        return problem(503, "Database unavailable",
                       f"the event store cannot be reached ({type(exc).__name__}); "
                       "nothing was stored, retry later", headers={"Retry-After": "5"})

    app.add_exception_handler(DomainError, on_refusal)
    for error in DATABASE_DOWN:
        app.add_exception_handler(error, on_database_down)


@asynccontextmanager
async def background(settings: AgreementsSettings, pool: Pool, service: AgreementService,
                     links: dict[str, Messaging],
                     signer: CheckpointSigner) -> AsyncIterator[None]:
    """The relay (with the checkpointer), the AMQP command consumer and the expiry job,
    for the app's lifetime."""
    if not settings.messaging:
        yield
        return
    messaging = Messaging(
        settings.amqp_url,
        lambda broker: [amqp.build_router(
            broker, service, user_roles=settings.amqp_user_roles,
            transient_timeout=settings.transient_retry_seconds)],
        uses=uses_queue(AGREEMENTS_COMMANDS, EVENTS_EXCHANGE))
    links["messaging"] = messaging
    checkpointer = Checkpointer(signer, settings.checkpoint_every_events,
                                settings.checkpoint_every_seconds)
    relay = OutboxRelay(settings.agreements_database_url, settings.amqp_url, RelaySettings(
        batch_size=settings.relay_batch_size, poll_interval=settings.relay_poll_seconds),
        after_round=checkpointer)
    stop = asyncio.Event()
    tasks = [asyncio.create_task(relay.run(), name="outbox-relay"),
             asyncio.create_task(run_expiry(pool, service, settings.expiry_interval_seconds,
                                            stop), name="expiry-job")]
    messaging.start()
    try:
        yield
    finally:
        await messaging.close()
        relay.stop()
        stop.set()
        await asyncio.wait(tasks, timeout=15)
        for task in tasks:
            task.cancel()


def create_app(settings: AgreementsSettings) -> FastAPI:
    """The agreements HTTP application; its lifespan opens and migrates the database."""
    state: dict[str, Pool] = {}
    links: dict[str, Messaging] = {}
    signer = checkpoint_signer_from(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = await open_database(settings)
        state["pool"] = pool
        service = AgreementService(pool)
        app.include_router(build_router(
            service, AgreementQueries(pool, settings.sleeping_after_days)))
        app.include_router(build_checkpoint_router(pool, signer.public))
        async with background(settings, pool, service, links, signer):
            try:
                yield
            finally:
                await pool.close()

    async def database_ready() -> bool:
        pool = state.get("pool")
        return pool is not None and await pool.fetchval("SELECT 1") == 1

    async def broker_ready() -> bool:
        return "messaging" not in links or await links["messaging"].ready()

    app = FastAPI(title="kerjasama agreements", version="1.0.0", lifespan=lifespan,
                  description="Commands and queries of regional cooperation agreements.")
    app.include_router(health_router({"database": database_ready, "broker": broker_ready}))
    install_problem_handlers(app)
    install_auth(app, authenticator_from(settings))
    install_refusal_handlers(app)
    return app
