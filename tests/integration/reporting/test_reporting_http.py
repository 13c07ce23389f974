"""The HTTP interface (docs/domain.md#http-interface) and the KPI gauges, with time-dependent
figures."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from services.reporting.app import Reporting, create_app
from tests.auth import auth_headers
from tests.conftest import DatabaseUrlFactory
from tests.integration.reporting.support import (
    AgreementsService,
    FeedRelay,
    reporting_settings,
    wait_applied,
)


@pytest.fixture
async def http(agreements: AgreementsService, feed: FeedRelay, fresh_topology: str,
               database_url_factory: DatabaseUrlFactory) -> AsyncIterator[httpx.AsyncClient]:
    """The reporting app (lifespan run) over a small history of the agreements service."""
    await agreements.work_program(2022, 80, 60)
    # signed mid-2022, nobody followed it up: asleep at the end of 2022 and today
    asleep = await agreements.sign("2022-06-01", "2025-05-31", plan_year=2022,
                                   title="Kerja sama tidur", lead_opd="DISHUB")
    # followed up in December: awake at the end of 2022 and today (2023-01-10)
    awake = await agreements.sign("2022-06-01", "2025-05-31", plan_year=2022)
    await agreements.follow_up(awake, "2022-12-01")
    # in force until 2023-03-31: expiring within 90 days of today
    expiring = await agreements.sign("2022-04-01", "2023-03-31", proposed_on="2022-01-03",
                                     lead_opd="DISHUB")
    await agreements.follow_up(expiring, "2022-12-20")
    await agreements.follow_up(asleep, "2022-06-15")
    app = create_app(reporting_settings(await database_url_factory("reporting_http"),
                                        fresh_topology), agreements.client)
    async with app.router.lifespan_context(app):
        reporting: Reporting = app.state.reporting
        published = await feed.relay()
        await wait_applied(reporting, len(published))
        await reporting.refresher.refresh_once()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
                headers=auth_headers(), transport=transport, base_url="http://reporting") as c:
            yield c


def item(items: list[dict[str, Any]], indicator: str, year: int,
         scope: str = "province") -> dict[str, Any]:
    found = [i for i in items if (i["indicator"], i["year"], i["scope"]) == (
        indicator, year, scope)]
    assert len(found) == 1, (indicator, year, scope)
    return found[0]


async def test_kpis_lists_every_figure_of_the_year_with_the_fields_of_kpi_updated(
        http: httpx.AsyncClient) -> None:
    answer = await http.get("/kpis", params={"year": 2022})
    assert answer.status_code == 200
    items = answer.json()
    assert {i["year"] for i in items} == {2022}
    realization = item(items, "realization", 2022)
    assert set(realization) == {"indicator", "year", "scope", "numerator", "denominator",
                                "value", "target", "achievement", "as_of_position",
                                "revision", "complete", "restated", "previous_value",
                                "checkpoint"}
    assert (realization["numerator"], realization["denominator"], realization["value"],
            realization["target"], realization["achievement"]) == (2, 2, 100.0, 80, 125.0)
    assert item(items, "sleeping", 2022)["numerator"] == 1
    assert item(items, "sleeping", 2022, "opd:DISHUB")["denominator"] is None
    assert item(items, "agreements", 2022, "stage:SIGNED")["numerator"] == 3
    assert item(items, "signing_days_median", 2022)["numerator"] == 150
    assert item(items, "signing_days_p90", 2022)["value"] == 150
    everything = (await http.get("/kpis")).json()
    assert item(everything, "expiring_90_days", 2023)["numerator"] == 1
    assert item(everything, "sleeping", 2023)["numerator"] == 1


async def test_one_figure_by_indicator_year_and_scope(http: httpx.AsyncClient) -> None:
    answer = await http.get("/kpis/realization", params={"year": 2022, "scope": "opd:DISHUB"})
    assert answer.status_code == 200
    assert (answer.json()["numerator"], answer.json()["denominator"]) == (1, 1)
    assert (await http.get("/kpis/sleeping")).json()["year"] == 2023  # the clock's year
    missing = await http.get("/kpis/realization", params={"year": 2030})
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    bad_scope = await http.get("/kpis/realization", params={"year": 2022, "scope": "opd:a.b"})
    assert bad_scope.status_code == 422
    assert (await http.get("/kpis/velocity")).status_code == 422


async def test_sleeping_lists_the_documents_nobody_followed_up(
        http: httpx.AsyncClient) -> None:
    today = (await http.get("/sleeping")).json()
    assert [(d["title"], d["last_activity_on"], d["days_without_activity"], d["as_of"])
            for d in today] == [("Kerja sama tidur", "2022-06-15", 209, "2023-01-10")]
    end_of_2022 = (await http.get("/sleeping", params={"year": 2022})).json()
    assert [(d["lead_opd"], d["days_without_activity"]) for d in end_of_2022] == [
        ("DISHUB", 199)]
    assert (await http.get("/sleeping", params={"year": 2021})).json() == []


async def test_figures_are_prometheus_gauges_labelled_by_indicator_year_and_scope(
        http: httpx.AsyncClient) -> None:
    text = (await http.get("/metrics")).text
    assert ('kerjasama_kpi_value{indicator="realization",scope="province",year="2022"} 100.0'
            in text)
    assert ('kerjasama_kpi_achievement{indicator="realization",scope="province",year="2022"}'
            ' 125.0' in text)
    assert 'kerjasama_kpi_value{indicator="sleeping",scope="opd:DISHUB",year="2022"} 1.0' in text
    assert (await http.get("/readyz")).status_code == 200
