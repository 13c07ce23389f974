"""Wiring of the agreements service: the one place where its parts meet."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from plumbing.db import Pool, create_pool, ensure_database, migrate, rollback_only_reset
from plumbing.http import health_router, install_problem_handlers, problem
from services.agreements.domain import DomainError
from services.agreements.entrypoints.http import build_router
from services.agreements.queries import AgreementQueries
from services.agreements.service import AgreementService
from services.agreements.settings import AgreementsSettings

MIGRATIONS = Path(__file__).parent / "migrations"
DATABASE_DOWN = (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError,
                 asyncpg.CannotConnectNowError)


async def open_database(settings: AgreementsSettings) -> Pool:
    """Create (if needed), migrate and open the service's database."""
    await ensure_database(settings.agreements_database_url)
    pool = await create_pool(settings.agreements_database_url, min_size=2,
                             max_size=settings.database_pool_size,
                             reset=rollback_only_reset)
    await migrate(pool, MIGRATIONS)
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


def create_app(settings: AgreementsSettings) -> FastAPI:
    """The agreements HTTP application; its lifespan opens and migrates the database."""
    state: dict[str, Pool] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = await open_database(settings)
        state["pool"] = pool
        app.include_router(build_router(
            AgreementService(pool),
            AgreementQueries(pool, settings.sleeping_after_days)))
        try:
            yield
        finally:
            await pool.close()

    async def database_ready() -> bool:
        pool = state.get("pool")
        return pool is not None and await pool.fetchval("SELECT 1") == 1

    app = FastAPI(title="kerjasama agreements", version="1.0.0", lifespan=lifespan,
                  description="Commands and queries of regional cooperation agreements.")
    app.include_router(health_router({"database": database_ready}))
    install_problem_handlers(app)
    install_refusal_handlers(app)
    return app
