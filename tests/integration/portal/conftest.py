"""Fixtures of the portal: the real agreements service and a relay of its feed (those of
the reporting tests), a reporting service that serves figures, and a running portal."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from plumbing.settings import load_settings
from services.portal.adapters.reporting import ReportingReader
from services.portal.app import create_app
from services.portal.settings import PortalSettings
from tests.conftest import DatabaseUrlFactory
from tests.integration.reporting.conftest import (  # noqa: F401 - fixtures
    agreements,
    business_day,
    feed,
)
from tests.integration.reporting.support import AgreementsService


class Reporting:
    """What reporting serves at ``GET /kpis`` (the portal reads it on first start)."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self.app = FastAPI()
        self.app.get("/kpis")(self._kpis)
        self.reader = ReportingReader("http://reporting", client=httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://reporting"))

    async def _kpis(self) -> list[dict[str, Any]]:
        return self.items


def figure(indicator: str, year: int, scope: str, numerator: int, denominator: int | None,
           *, revision: int = 1, target: float | None = None,
           complete: bool = True) -> dict[str, Any]:
    """A ``kpi.updated`` item."""
    ratio = denominator is not None
    value = (round(numerator * 100 / denominator, 2) if denominator else None) if ratio \
        else float(numerator)
    return {"indicator": indicator, "year": year, "scope": scope, "numerator": numerator,
            "denominator": denominator, "value": value, "target": target,
            "achievement": None if value is None or not target else round(value * 100 / target,
                                                                           2),
            "as_of_position": 10, "revision": revision, "complete": complete}


@pytest.fixture
def reporting() -> Reporting:
    return Reporting()


@pytest.fixture
async def portal(agreements: AgreementsService, reporting: Reporting,  # noqa: F811
                 fresh_topology: str, database_url_factory: DatabaseUrlFactory
                 ) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """A running portal (its lifespan run) over this test's broker, with no token."""
    settings = load_settings(PortalSettings,
                             portal_database_url=await database_url_factory("portal"),
                             amqp_url=fresh_topology, transient_retry_seconds=5)
    app = create_app(settings, agreements.client, reporting.reader)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://portal") as client:
            yield app, client
