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


async def test_kpis_as_of_a_point_and_the_refusals_of_a_bad_point(
        http: httpx.AsyncClient) -> None:
    now = (await http.get("/kpis", params={"year": 2022})).json()
    end = item(now, "realization", 2022)["as_of_position"]
    same = (await http.get("/kpis", params={"year": 2022, "as_of_position": end})).json()
    assert {(i["indicator"], i["scope"], i["numerator"], i["denominator"]) for i in same} <= {
        (i["indicator"], i["scope"], i["numerator"], i["denominator"]) for i in now}
    assert item(same, "realization", 2022)["value"] == 100.0
    start = (await http.get("/kpis", params={"year": 2022, "as_of_position": 1})).json()
    assert {i["as_of_position"] for i in start} == {1}  # only the work program: targets
    assert (item(start, "realization", 2022)["denominator"],
            item(start, "realization", 2022)["target"]) == (0, 80)
    future = (await http.get("/kpis", params={"year": 2022,
                                               "as_of": "2031-01-01T00:00:00+07:00"})).json()
    assert item(future, "realization", 2022)["as_of_position"] == end
    before = (await http.get("/kpis", params={"year": 2022, "as_of": "2000-01-01T00:00:00Z"}))
    assert before.status_code == 200 and before.json() == []
    for bad in ("2022-12-31", "2022-12-31T10:00:00", "yesterday", "2022-13-01T00:00:00Z"):
        refused = await http.get("/kpis", params={"year": 2022, "as_of": bad})
        assert refused.status_code == 422, bad
        assert "RFC 3339" in refused.json()["detail"]
    both = await http.get("/kpis", params={"year": 2022, "as_of_position": 1,
                                           "as_of": "2031-01-01T00:00:00Z"})
    assert both.status_code == 422
    beyond = await http.get("/kpis", params={"year": 2022, "as_of_position": end + 5})
    assert beyond.status_code == 409
    assert beyond.json()["applied_position"] == end
    assert beyond.headers["content-type"] == "application/problem+json"


async def test_evidence_as_json_and_csv(http: httpx.AsyncClient) -> None:
    answer = await http.get("/kpis/effectiveness/evidence", params={"year": 2022})
    assert answer.status_code == 200
    proof = answer.json()
    assert (proof["numerator"], proof["denominator"], proof["excluded"]) == (3, 3, [])
    assert sorted(i["reason"] for i in proof["counted"]) == ["FOLLOWED_UP_IN_YEAR"] * 3
    assert {i["event"]["type"] for i in proof["counted"]} == {
        "kerjasama.agreement.follow_up_recorded.v1"}
    asleep = next(i for i in proof["counted"] if i["title"] == "Kerja sama tidur")
    assert asleep["event"]["date"] == "2022-06-15"
    nobody = (await http.get("/kpis/effectiveness/evidence", params={"year": 2023})).json()
    assert (nobody["numerator"], nobody["denominator"], nobody["counted"]) == (0, 3, [])
    assert {(i["reason"], i["event"]) for i in nobody["excluded"]} == {
        ("NO_FOLLOW_UP_IN_YEAR", None)}
    csv_answer = await http.get("/kpis/effectiveness/evidence",
                                params={"year": 2022, "format": "csv"})
    assert csv_answer.headers["content-type"].startswith("text/csv")
    rows = csv_answer.text.splitlines()
    assert rows[0].split(",")[:5] == ["status", "agreement_id", "title", "lead_opd", "reason"]
    assert sorted(r.split(",")[0] for r in rows[1:]) == ["counted"] * 3
    assert (await http.get("/kpis/effectiveness/evidence",
                           params={"year": 2022, "format": "xml"})).status_code == 422


async def test_history_says_which_revisions_restated_an_ended_year(
        http: httpx.AsyncClient) -> None:
    history = (await http.get("/kpis/realization/history", params={"year": 2022})).json()
    assert [h["numerator"] for h in history] == [0, 0, 1, 1, 2]
    assert [h["denominator"] for h in history] == [0, 1, 1, 2, 2]
    # recorded in 2023 (the clock's today) for 2022: every entry after the first restates
    assert [h["restated"] for h in history] == [False] + [True] * 4
    assert [h["previous_value"] for h in history[1:]] == [h["value"] for h in history[:-1]]
    assert history[-1]["revision"] is not None
    assert set(history[0]) == {"revision", "value", "numerator", "denominator", "target",
                               "as_of_position", "time", "events", "restated",
                               "previous_value"}
    current = (await http.get("/kpis/realization", params={"year": 2022})).json()
    assert current["restated"] is True and current["previous_value"] is not None


async def test_what_if_answers_figures_and_evidence_and_changes_nothing(
        http: httpx.AsyncClient) -> None:
    before = (await http.get("/kpis", params={"year": 2022})).json()
    answer = await http.post("/kpis/what-if", json={
        "year": 2022, "rules": {"effectiveness_document_types": ["PKS"],
                                "sleeping_after_days": 400}})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["rules"] == {"sleeping_after_days": 400, "effectiveness_document_types": ["PKS"],
                             "validity_cap_years": None}
    effectiveness = item(body["figures"], "effectiveness", 2022)
    assert (effectiveness["numerator"], effectiveness["denominator"]) == (0, 0)
    assert item(body["figures"], "sleeping", 2022)["numerator"] == 0
    assert body["evidence"]["realization"]["numerator"] == 2
    assert (await http.get("/kpis", params={"year": 2022})).json() == before
    for bad in ({"year": 2022, "rules": {"sleeping_after_days": 0}},
                {"year": 2022, "rules": {"effectiveness_document_types": ["MOA"]}},
                {"year": 2022, "rules": {"unknown": 1}}, {"rules": {}}):
        assert (await http.post("/kpis/what-if", json=bad)).status_code == 422, bad
