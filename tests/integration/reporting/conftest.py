"""Fixtures of the reporting service: the real agreements service, a relay of its feed to
the broker, and reporting services on fresh databases of the test's vhost."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import httpx
import pytest

from plumbing import clock
from plumbing.agreements_client import AgreementsClient
from plumbing.settings import load_settings
from services.agreements.app import create_app as create_agreements_app
from services.agreements.settings import AgreementsSettings
from services.reporting.app import Reporting
from tests.auth import auth_headers
from tests.conftest import DatabaseUrlFactory
from tests.database_roles import migrated_as_runtime
from tests.integration.reporting.support import (
    TODAY,
    AgreementsService,
    FeedRelay,
    ReportingFactory,
    reporting_settings,
)


@pytest.fixture
def business_day() -> Any:
    """The shared clock, fixed on TODAY for the test."""
    with clock.frozen(TODAY):
        yield TODAY


@pytest.fixture
async def agreements(database_url_factory: DatabaseUrlFactory,
                     business_day: date) -> AsyncIterator[AgreementsService]:
    """The real agreements service on a fresh database, running as deployed (a runtime
    role that owns nothing, after `kerjasama migrate` as the owner)."""
    url = await migrated_as_runtime(await database_url_factory("agreements"))
    app = create_agreements_app(load_settings(  # the tests publish the events themselves
        AgreementsSettings, agreements_database_url=url, messaging=False))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
                headers=auth_headers(), transport=transport, base_url="http://agreements") as c:
            yield AgreementsService(c)


@pytest.fixture
def feed(agreements: AgreementsService, fresh_topology: str) -> FeedRelay:
    """A relay of the agreements feed to this test's broker."""
    return FeedRelay(agreements, fresh_topology)


@pytest.fixture
async def reporting_factory(database_url_factory: DatabaseUrlFactory, fresh_topology: str
                            ) -> AsyncIterator[ReportingFactory]:
    """Starts reporting services on fresh databases of this test's vhost; stops them after."""
    started: list[Reporting] = []

    async def start(agreements_client: AgreementsClient, *, consume: bool = True,
                    database_url: str | None = None, **changes: Any) -> Reporting:
        url = database_url or await database_url_factory("reporting")
        service = Reporting(reporting_settings(url, fresh_topology, **changes),
                            agreements_client, consume=consume)
        await service.start()
        started.append(service)
        return service

    yield start
    for service in reversed(started):
        await service.stop()


