"""Partner figures on the real broker and database (docs/domain.md#kpi-formulas): a history
of agreements naming several partners per kind, and the registry's streams registering,
revising and merging them (along chains), delivered shuffled and duplicated across all its
streams, the merges of some partners only after everything else, gives in ``GET /kpis``
exactly the figures the feed implies (the independent check's fold), per category and per
surviving partner; a merged partner's figures fall to 0 and are published so; the evidence
and the history agree; a parked partner stream marks its figures incomplete; the report
lists the partners; a rebuild changes nothing."""

from __future__ import annotations

import io
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx
import openpyxl
import pytest

from contracts.codec import Decoded, decode
from contracts.events import AgreementProposed, PartnerMerged
from contracts.kpi import PARTNER_INDICATORS, KpiUpdated
from plumbing import clock
from services.reporting.adapters import generations
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
    drain,
    kpi_queue,
    kpis_published,
    publish_all,
    reporting_settings,
    wait_applied,
)

YEARS = (2020, 2021, 2022)
AMOUNTS = ("value_cash", "value_in_kind", "revenue")


@dataclass
class Served:
    history: History
    feed: HistoryFeed
    reporting: Reporting
    http: httpx.AsyncClient
    late: set[UUID]
    """Partners merged only after every other event was applied."""
    published: list[KpiUpdated]


def _late_merges(history: History) -> list[Decoded]:
    """The merges of partners that agreements name, kept for the end: their partner
    figures exist before they are merged."""
    named = {e.data.partner_id for e in history.events if isinstance(e.data, AgreementProposed)}
    return [e for e in history.events
            if isinstance(e.data, PartnerMerged) and e.data.partner_id in named][::2]


@pytest.fixture
async def served(fresh_topology: str, database_url_factory: DatabaseUrlFactory
                 ) -> AsyncIterator[Served]:
    history = generate(seed=2021, agreements=60, planning=True, items=10, partners=True)
    merges = {e.data.partner_id: e.data.into for e in history.events
              if isinstance(e.data, PartnerMerged)}
    assert any(into in merges for into in merges.values()), "a chain of merges"
    late = _late_merges(history)
    early = [e for e in history.events if e not in late]
    feed = HistoryFeed(history, stored=len(history.events))
    rng = random.Random(26)
    with clock.frozen(TODAY):
        app = create_app(reporting_settings(await database_url_factory("reporting_partners"),
                                            fresh_topology), feed.client)
        connection, queue = await kpi_queue(fresh_topology, "kpi.#")
        async with connection, app.router.lifespan_context(app):
            reporting: Reporting = app.state.reporting
            await publish_all(fresh_topology, list(shuffled_with_duplicates(early, rng)))
            await wait_applied(reporting, len(early), seconds=60)
            await publish_all(fresh_topology, list(shuffled_with_duplicates(
                [*late, *rng.sample(early, 20)], rng)))
            await wait_applied(reporting, len(history.events), seconds=60)
            await reporting.refresher.refresh_once()
            await kpis_published(reporting)
            published = [decode(m.body).data for m in await drain(queue, quiet=2.0)]
            async with httpx.AsyncClient(
                    headers=auth_headers(), transport=httpx.ASGITransport(app=app),
                    base_url="http://reporting") as http:
                yield Served(history, feed, reporting, http,
                             {e.data.partner_id for e in late
                              if isinstance(e.data, PartnerMerged)},
                             [p for p in published if isinstance(p, KpiUpdated)])


def _expected(history: History, year: int) -> dict[tuple[str, str], tuple[Any, ...]]:
    named = [(e.data, EventRef(e.envelope.id, e.envelope.position or 0, e.envelope.type,
                               clock.to_wib(e.envelope.time).date())) for e in history.events]
    found = figures(record_of(named), year, TODAY)
    return {(k.indicator.value, k.scope): (f.numerator, f.denominator, f.target)
            for k, f in found.items() if f.numerator or f.denominator}


def _shown(items: list[dict[str, Any]]) -> dict[tuple[str, str], tuple[Any, ...]]:
    return {(i["indicator"], i["scope"]): (i["numerator"], i["denominator"], i["target"])
            for i in items if i["numerator"] or i["denominator"]}


async def test_shuffled_streams_give_the_category_and_partner_figures_the_feed_implies(
        served: Served) -> None:
    last = len(served.history.events)
    with clock.frozen(TODAY):
        for year in YEARS:
            want = _expected(served.history, year)
            now = (await served.http.get("/kpis", params={"year": year})).json()
            there = (await served.http.get("/kpis", params={
                "year": year, "as_of_position": last})).json()
            assert _shown(now) == want, year
            assert _shown(there) == want, year
            partners = {i for i, s in want if s.startswith("partner:")}
            assert partners == {i.value for i in PARTNER_INDICATORS} or year == 2020
            assert any(s.startswith("category:") for _, s in want)
            merged = {f"partner:{p}" for p in served.late}
            assert not {s for _, s in want} & merged


async def test_a_merged_partners_figures_fall_to_zero_and_are_published_so(
        served: Served) -> None:
    scopes = {f"partner:{p}" for p in served.late}
    listed = [i for i in (await served.http.get("/kpis")).json() if i["scope"] in scopes]
    assert listed and all(i["numerator"] == 0 for i in listed)
    last: dict[tuple[str, int, str], KpiUpdated] = {}
    for update in served.published:
        key = (update.indicator.value, update.year, update.scope)
        if key not in last or update.revision > last[key].revision:
            last[key] = update
    merged = {k: u for k, u in last.items() if k[2] in scopes}
    assert {(i["indicator"], i["year"], i["scope"]) for i in listed} == merged.keys()
    assert any(u.revision > 1 for u in merged.values())  # counted, then moved
    assert all(u.numerator == 0 for u in merged.values())


async def test_the_evidence_and_history_of_partner_and_category_figures_add_up(
        served: Served) -> None:
    with clock.frozen(TODAY):
        for year in (2021, 2022):
            now = (await served.http.get("/kpis", params={"year": year})).json()
            for figure in now:
                indicator, scope = figure["indicator"], figure["scope"]
                if not scope.startswith(("partner:", "category:")) or not (
                        figure["numerator"] or figure["denominator"]):
                    continue
                proof = (await served.http.get(f"/kpis/{indicator}/evidence", params={
                    "year": year, "scope": scope})).json()
                assert proof["numerator"] == figure["numerator"], (indicator, scope)
                if indicator in AMOUNTS:
                    assert sum(i["amount"] for i in proof["counted"]) == figure["numerator"]
                elif indicator in ("agreements", "realization", "effectiveness"):
                    assert len(proof["counted"]) == figure["numerator"]
                    assert proof["denominator"] == figure["denominator"]
                if scope.startswith("partner:") and indicator in AMOUNTS:
                    history = (await served.http.get(f"/kpis/{indicator}/history", params={
                        "year": year, "scope": scope})).json()
                    assert history[-1]["numerator"] == figure["numerator"], (indicator, scope)
        merged = next(iter(sorted(served.late)))
        history = (await served.http.get("/kpis/agreements/history", params={
            "year": 2021, "scope": f"partner:{merged}"})).json()
        assert not history or history[-1]["numerator"] == 0


async def test_a_parked_partner_stream_marks_its_figures_incomplete(served: Served) -> None:
    merged = next(iter(sorted(served.late)))
    merges = {e.data.partner_id: e.data.into for e in served.history.events
              if isinstance(e.data, PartnerMerged)}
    survivor = merged
    while survivor in merges:
        survivor = merges[survivor]
    projection = served.reporting.service.projection
    async with generations.enter(served.reporting.pool, "write") as conn:
        await conn.execute("INSERT INTO parked_streams (stream_id, reason) VALUES ($1, 't')",
                           f"partner-{merged}")
        await projection.mark_completeness(conn)
    incomplete = {i["scope"] for i in (await served.http.get("/kpis")).json()
                  if not i["complete"]}
    async with generations.enter(served.reporting.pool, "write") as conn:
        await conn.execute("DELETE FROM parked_streams")
        await projection.mark_completeness(conn)
    assert survivor != merged
    assert incomplete == {f"partner:{merged}", f"partner:{survivor}"}
    assert all(i["complete"] for i in (await served.http.get("/kpis")).json())


async def test_the_report_lists_the_surviving_partners_with_the_years_amounts(
        served: Served) -> None:
    with clock.frozen(TODAY):
        answer = await served.http.get("/reports/2021.xlsx", params={"lang": "en"})
        figures_now = {(i["indicator"], i["scope"]): i["numerator"] for i in (
            await served.http.get("/kpis", params={"year": 2021})).json()}
    assert answer.status_code == 200, answer.text
    rows = list(openpyxl.load_workbook(io.BytesIO(answer.content))["Partners"].iter_rows(
        min_row=2, values_only=True))
    assert rows
    assert sum(r[5] for r in rows) == sum(figures_now.get((i, "province"), 0)
                                          for i in ("value_cash", "value_in_kind"))
    assert sum(r[6] for r in rows) == figures_now.get(("revenue", "province"), 0)
    assert sum(r[3] for r in rows) == len({e.data.agreement_id for e in served.history.events
                                           if e.type.endswith("agreement.signed.v1")
                                           and e.data.signed_on.year == 2021})
    names = [r[0] for r in rows]
    assert len(names) == len(set(names))


async def test_a_rebuild_from_the_feed_changes_none_of_the_partner_figures(
        served: Served) -> None:
    with clock.frozen(TODAY):
        before = (await served.http.get("/kpis")).json()
        report = await Rebuilder(served.reporting.pool, served.feed.client, Projection(),
                                 today=lambda: TODAY).run()
        after = (await served.http.get("/kpis")).json()
    assert report.changed_figures == 0
    assert [(i["indicator"], i["year"], i["scope"], i["numerator"], i["revision"])
            for i in after] == [(i["indicator"], i["year"], i["scope"], i["numerator"],
                                 i["revision"]) for i in before]
