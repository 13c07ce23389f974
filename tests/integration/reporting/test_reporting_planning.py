"""The planning figures on the real broker and database (docs/domain.md#kpi-formulas): a
history of agreements, mapping items, priorities, values and revenues, delivered shuffled
and duplicated across its streams, gives in ``GET /kpis`` exactly the figures the feed
implies (the independent check's fold), with whole rupiah past 2^53 kept exact; the
evidence adds up to them; a rebuild changes none of them."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from contracts.kpi import AMOUNT_INDICATORS, MAPPING_INDICATORS, Indicator
from plumbing import clock
from services.reporting.app import Reporting, create_app
from services.reporting.application.projection import Projection
from services.reporting.application.rebuild import Rebuilder
from services.reporting.domain.evaluation import figures, record_of
from services.reporting.domain.facts import EventRef
from tests.auth import auth_headers
from tests.conftest import DatabaseUrlFactory
from tests.integration.reporting.histories import History, generate, shuffled_with_duplicates
from tests.integration.reporting.support import (
    TODAY,
    HistoryFeed,
    publish_all,
    reporting_settings,
    wait_applied,
)

YEARS = (2020, 2021, 2022)
PLANNING = {i.value for i in (*AMOUNT_INDICATORS, *MAPPING_INDICATORS)}


@dataclass
class Served:
    history: History
    feed: HistoryFeed
    reporting: Reporting
    http: httpx.AsyncClient


@pytest.fixture
async def served(fresh_topology: str, database_url_factory: DatabaseUrlFactory
                 ) -> AsyncIterator[Served]:
    """A planning history delivered shuffled with duplicates to the reporting app."""
    history = generate(seed=2021, agreements=60, planning=True, items=25)
    feed = HistoryFeed(history, stored=len(history.events))
    with clock.frozen(TODAY):
        app = create_app(reporting_settings(await database_url_factory("reporting_planning"),
                                            fresh_topology), feed.client)
        async with app.router.lifespan_context(app):
            reporting: Reporting = app.state.reporting
            await publish_all(fresh_topology, list(
                shuffled_with_duplicates(history.events, random.Random(11))))
            await wait_applied(reporting, len(history.events), seconds=60)
            await reporting.refresher.refresh_once()
            async with httpx.AsyncClient(
                    headers=auth_headers(), transport=httpx.ASGITransport(app=app),
                    base_url="http://reporting") as http:
                yield Served(history, feed, reporting, http)


def _expected(history: History, year: int) -> dict[tuple[str, str], tuple[Any, ...]]:
    named = [(e.data, EventRef(e.envelope.id, e.envelope.position or 0, e.envelope.type,
                               clock.to_wib(e.envelope.time).date())) for e in history.events]
    found = figures(record_of(named), year, TODAY)
    return {(k.indicator.value, k.scope): (f.numerator, f.denominator, f.target)
            for k, f in found.items() if f.numerator or f.denominator}


def _shown(items: list[dict[str, Any]]) -> dict[tuple[str, str], tuple[Any, ...]]:
    return {(i["indicator"], i["scope"]): (i["numerator"], i["denominator"], i["target"])
            for i in items if i["numerator"] or i["denominator"]}


async def test_shuffled_streams_give_the_planning_figures_the_feed_implies_exactly(
        served: Served) -> None:
    last = len(served.history.events)
    big = []
    with clock.frozen(TODAY):
        for year in YEARS:
            want = _expected(served.history, year)
            now = (await served.http.get("/kpis", params={"year": year})).json()
            there = (await served.http.get("/kpis", params={
                "year": year, "as_of_position": last})).json()
            assert _shown(now) == want, year
            assert _shown(there) == want, year
            assert {i for i, _ in want} >= PLANNING - {"value_in_kind"} or year == 2020
            assert any(scope.startswith("priority:") for _, scope in want)
            big += [i for i in now if i["indicator"] in {a.value for a in AMOUNT_INDICATORS}
                    and i["numerator"] > 2**53]
    assert big, "the history sums past 2^53"
    for item in big:
        assert isinstance(item["numerator"], int) and item["denominator"] is None
        assert float(item["numerator"]) == item["value"]


async def test_the_evidence_of_amounts_and_mapping_adds_up_to_the_figures(
        served: Served) -> None:
    with clock.frozen(TODAY):
        for year in YEARS:
            figures_now = {(i["indicator"], i["scope"]): i for i in (await served.http.get(
                "/kpis", params={"year": year})).json()}
            for (indicator, scope), figure in figures_now.items():
                if indicator not in PLANNING or not scope.startswith(("province", "priority")):
                    continue
                proof = (await served.http.get(f"/kpis/{indicator}/evidence", params={
                    "year": year, "scope": scope})).json()
                assert proof["numerator"] == figure["numerator"] and proof["excluded"] == []
                if Indicator(indicator) in AMOUNT_INDICATORS:
                    assert sum(i["amount"] for i in proof["counted"]) == figure["numerator"]
                    assert all(i["event"] is not None for i in proof["counted"])
                else:
                    assert len(proof["counted"]) == figure["numerator"]
                    assert all(i["mapping_item_id"] for i in proof["counted"])
                    realised = [i for i in proof["counted"] if i["reason"] == "REALISED"]
                    assert all(i["agreement_id"] for i in realised)
                    if indicator == Indicator.ITEMS_MAPPED_REALISED.value:
                        assert realised == proof["counted"]
            answer = await served.http.get("/kpis/value_cash/evidence", params={
                "year": year, "format": "csv"})
            rows = list(csv.DictReader(io.StringIO(answer.text)))
            assert sum(int(r["amount"]) for r in rows) == figures_now.get(
                ("value_cash", "province"), {"numerator": 0})["numerator"]


async def test_a_rebuild_from_the_feed_changes_none_of_the_planning_figures(
        served: Served) -> None:
    with clock.frozen(TODAY):
        report = await Rebuilder(served.reporting.pool, served.feed.client, Projection(),
                                 today=lambda: TODAY).run()
        after = (await served.http.get("/kpis", params={"year": 2021})).json()
    assert report.changed_figures == 0
    assert _shown(after) == _expected(served.history, 2021)


async def test_a_parked_agreement_leaves_its_mapping_items_figures_incomplete(
        served: Served) -> None:
    from contracts.events import AgreementProposed, MappingItemAdded, MappingItemRevised
    from services.reporting.adapters import generations, parked_rows

    items = {e.data.item_id: e.data for e in served.history.events
             if isinstance(e.data, MappingItemAdded | MappingItemRevised)}
    proposal = next(e.data for e in served.history.events
                    if isinstance(e.data, AgreementProposed)
                    and e.data.mapping_item_id in items
                    and items[e.data.mapping_item_id].priority not in (None, e.data.priority))
    item = items[proposal.mapping_item_id]
    async with generations.enter(served.reporting.pool, "write") as conn:
        await conn.execute("INSERT INTO parked_streams (stream_id, reason) VALUES ($1, 't')",
                           str(proposal.agreement_id))
        gaps = await parked_rows.gaps(conn)
        await conn.execute("DELETE FROM parked_streams")
    # the item's own priority, which the proposal does not share: its realised count may
    # be short too
    assert {f"opd:{item.opd}", f"priority:{item.priority}"} <= gaps.scopes
