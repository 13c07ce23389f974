"""Composition root of the agreements service: the one place where its parts meet."""

from __future__ import annotations

from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from contracts.topology import AGREEMENTS_COMMANDS, EVENTS_EXCHANGE
from plumbing.auth import authenticator_from
from plumbing.http import problem
from plumbing.ledger import CheckpointSigner
from plumbing.limits import allow_larger_body
from plumbing.relay import RelaySettings
from plumbing.runtime import Runtime, Wire, service_app
from plumbing.topology import uses_queue
from services.agreements.adapters.archive_store import blob_store_from
from services.agreements.adapters.blobs import BlobMissing, IntegrityFailure, StoreUnavailable
from services.agreements.adapters.checkpointer import Checkpointer, checkpoint_signer_from
from services.agreements.adapters.database import open_database
from services.agreements.adapters.documents import PostgresDocumentRecords
from services.agreements.adapters.event_store import PostgresEventStore
from services.agreements.adapters.outbox import events_relay
from services.agreements.application.archive import Archive
from services.agreements.application.queries import AgreementQueries
from services.agreements.application.service import AgreementService
from services.agreements.domain import DomainError
from services.agreements.entrypoints import amqp
from services.agreements.entrypoints.checkpoints import build_checkpoint_router
from services.agreements.entrypoints.contract import PUBLIC_PATHS, contract_router
from services.agreements.entrypoints.documents import (
    FORM_OVERHEAD,
    UPLOAD_PATH,
    build_document_router,
)
from services.agreements.entrypoints.expiry import expiry_loop
from services.agreements.entrypoints.http import build_router
from services.agreements.entrypoints.partner_adoption import adoption_loop
from services.agreements.entrypoints.partners import build_partner_router
from services.agreements.entrypoints.planning import build_planning_router
from services.agreements.settings import AgreementsSettings

DATABASE_DOWN = (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError,
                 asyncpg.CannotConnectNowError, asyncpg.InternalClientError,
                 asyncpg.exceptions.OperatorInterventionError)
"""Errors that mean the database went away (InternalClientError: the connection died in
the middle of a protocol exchange, "cannot switch to state ...")."""


def install_refusal_handlers(app: FastAPI) -> None:
    """Domain refusals → RFC 9457 problems; a database outage → 503."""

    async def on_refusal(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DomainError)
        extensions: dict[str, Any] = dict(exc.extensions)
        return problem(exc.status, exc.title, str(exc),
                       f"urn:kerjasama:problem:{exc.problem_type}", **extensions)

    async def on_database_down(_: Request, exc: Exception) -> JSONResponse:
        return problem(503, "Database unavailable",
                       f"the event store cannot be reached ({type(exc).__name__}); "
                       "nothing was stored, retry later", headers={"Retry-After": "5"})

    app.add_exception_handler(DomainError, on_refusal)
    for error in DATABASE_DOWN:
        app.add_exception_handler(error, on_database_down)


def install_archive_handlers(app: FastAPI) -> None:
    """A document whose stored bytes are missing or wrong → a 500 problem (and an alert,
    through kerjasama_document_integrity_failures_total), never the wrong file."""

    async def on_failure(_: Request, exc: Exception) -> JSONResponse:
        return problem(500, "Document integrity failure",
                       f"the stored bytes of this document cannot be served as recorded "
                       f"({exc}); operators were alerted",
                       "urn:kerjasama:problem:document-integrity-failure")

    async def on_store_down(_: Request, exc: Exception) -> JSONResponse:
        return problem(503, "Document store unavailable",
                       f"{exc}; nothing was stored, retry later",
                       "urn:kerjasama:problem:document-store-unavailable",
                       headers={"Retry-After": "30"})

    app.add_exception_handler(IntegrityFailure, on_failure)
    app.add_exception_handler(BlobMissing, on_failure)
    app.add_exception_handler(StoreUnavailable, on_store_down)


def wiring(settings: AgreementsSettings, signer: CheckpointSigner) -> Wire:
    """How the service's parts are made from its settings, for :func:`service_app`."""

    async def wire(runtime: Runtime, app: FastAPI) -> None:
        runtime.pool = pool = await open_database(settings)
        store = PostgresEventStore(pool)
        service = AgreementService(store, require_signed_text=settings.require_signed_text)
        blobs, staging = blob_store_from(settings)
        archive = Archive(service, store, blobs, PostgresDocumentRecords(pool))
        app.include_router(build_document_router(archive, staging=staging,
                                                 max_bytes=settings.max_document_bytes))
        queries = AgreementQueries(pool, settings.sleeping_after_days)
        app.include_router(build_router(service, queries))
        app.include_router(build_planning_router(service, queries))
        app.include_router(build_partner_router(service, queries))
        app.include_router(build_checkpoint_router(pool, signer.public))
        if not settings.messaging:
            return
        runtime.background.add("expiry-job", expiry_loop(
            pool, service, settings.expiry_interval_seconds))
        runtime.background.add("partner-adoption", adoption_loop(
            pool, service, settings.partner_adoption_interval_seconds))
        runtime.subscribe(
            settings.amqp_url,
            lambda broker: broker.include_router(amqp.build_router(
                broker, service, user_roles=settings.amqp_user_roles,
                transient_timeout=settings.transient_retry_seconds)),
            uses=uses_queue(AGREEMENTS_COMMANDS, EVENTS_EXCHANGE))
        checkpointer = Checkpointer(signer, settings.checkpoint_every_events,
                                    settings.checkpoint_every_seconds)
        relay = events_relay(settings.agreements_database_url, settings.amqp_url,
                             RelaySettings(batch_size=settings.relay_batch_size,
                                           poll_seconds=settings.relay_poll_seconds),
                             after_round=checkpointer)
        runtime.background.add("outbox-relay", relay.run)

    return wire


def create_app(settings: AgreementsSettings) -> FastAPI:
    """The agreements HTTP application; its lifespan opens the database and runs the
    relay, the checkpointer, the AMQP command consumer and the expiry job."""
    app = service_app(title="kerjasama agreements",
                      description="Commands and queries of regional cooperation agreements.",
                      authenticator=authenticator_from(settings),
                      wire=wiring(settings, checkpoint_signer_from(settings)),
                      public_paths=PUBLIC_PATHS)
    app.include_router(contract_router())
    install_refusal_handlers(app)
    install_archive_handlers(app)
    allow_larger_body(app, "POST", UPLOAD_PATH, settings.max_document_bytes + FORM_OVERHEAD)
    return app
