"""The portal's planning side over the real agreements service and broker: the work
program's priorities reach the portal through its queue (``work_program.*``) and a later
adoption replaces them; the planning figures of ``kpi.updated`` (mapping, value and
revenue, per agency and priority) appear on the dashboard by name and in rupiah, in both
languages; an agreement's page shows its priority, value and revenue; the register
filters by priority."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from fastapi import FastAPI

from contracts.codec import encode, make_envelope
from contracts.envelope import SOURCE_REPORTING
from contracts.kpi import KpiUpdated, kpi_routing_key, kpi_subject
from contracts.topology import KPI_EXCHANGE
from plumbing import clock
from plumbing.amqp import connect, publish_persistent
from tests.integration.portal.conftest import (
    ArchiveAgreements,
    figure,
    figures_applied,
    relayed,
)
from tests.integration.portal.test_portal import until_listed
from tests.integration.reporting.support import FeedRelay

Portal = tuple[FastAPI, httpx.AsyncClient]

PRIORITIES_2021 = [
    {"code": "PEMULIHAN_EKONOMI", "name": "Pemulihan ekonomi daerah"},
    {"code": "COVID19", "name": "Penanganan Covid-19"},
    {"code": "OPTIMASI_ASET", "name": "Optimalisasi aset daerah"},
    {"code": "PELAYANAN_PUBLIK", "name": "Peningkatan pelayanan publik"},
]
PLANNING_FIGURES = [
    figure("items_mapped", 2021, "province", 5, None, revision=3),
    figure("items_mapped_realised", 2021, "province", 2, None, revision=3),
    figure("items_mapped", 2021, "opd:DISKUK", 3, None, revision=2),
    figure("items_mapped_realised", 2021, "opd:DISKUK", 1, None, revision=2),
    figure("items_mapped", 2021, "opd:DISPARBUD", 2, None, revision=1),
    figure("items_mapped", 2021, "priority:PEMULIHAN_EKONOMI", 4, None, revision=1),
    figure("items_mapped_realised", 2021, "priority:PEMULIHAN_EKONOMI", 2, None, revision=1),
    figure("realization", 2021, "priority:PEMULIHAN_EKONOMI", 1, 2, revision=1, target=80),
    figure("value_cash", 2021, "province", 1_250_000_000, None, revision=1),
    figure("value_in_kind", 2021, "province", 40_000_000, None, revision=1),
    figure("revenue", 2021, "province", 75_000_000, None, revision=1),
    figure("value_cash", 2021, "opd:DISKUK", 1_250_000_000, None, revision=1),
    figure("value_cash", 2021, "priority:PEMULIHAN_EKONOMI", 1_250_000_000, None,
           revision=1),
]


async def adopt(agreements: ArchiveAgreements, priorities: list[dict[str, str]]) -> None:
    answer = await agreements.http.post("/work-programs/2021", json={
        "realization_target": 80, "effectiveness_target": 60, "priorities": priorities})
    assert answer.status_code in (200, 201), answer.text
    agreements.versions["work-program-2021"] = int(answer.json()["version"])


async def publish_figures(amqp_url: str, items: list[dict[str, Any]]) -> None:
    """Publish ``kpi.updated`` as reporting does."""
    connection = await connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        for item in items:
            data = KpiUpdated.model_validate(item)
            envelope = make_envelope(data, source=SOURCE_REPORTING, subject=kpi_subject(data),
                                     time=clock.now())
            await publish_persistent(channel, KPI_EXCHANGE, kpi_routing_key(data),
                                     encode(envelope), message_id=str(envelope.id))


async def until_shown(client: httpx.AsyncClient, path: str, text: str,
                      seconds: float = 30) -> str:
    deadline = asyncio.get_running_loop().time() + seconds
    while text not in (page := (await client.get(path)).text):
        assert asyncio.get_running_loop().time() < deadline, page[-3000:]
        await asyncio.sleep(0.1)
    return page


async def planning_history(agreements: ArchiveAgreements) -> str:
    """The 2021 work program with its four priorities; an agreement of DISKUK signed for
    economic recovery, with a value in cash and in kind and two follow-ups bringing
    revenue; one without any of it. The first one's id."""
    await adopt(agreements, PRIORITIES_2021)
    aid = await agreements.sign(
        "2021-06-08", "2024-06-07", plan_year=2021, lead_opd="DISKUK",
        title="Pemasaran produk UMKM di Shopee", priority="PEMULIHAN_EKONOMI",
        value_cash=1_250_000_000, value_in_kind=40_000_000)
    for on, revenue in (("2021-08-01", 50_000_000), ("2021-09-01", 25_000_000)):
        await agreements.post(f"/agreements/{aid}/follow-ups", {
            "on": on, "summary": "Penjualan produk UMKM", "revenue": revenue})
    await agreements.sign("2021-03-01", "2023-02-28", lead_opd="DISHUB",
                          title="Kargo udara Kertajati")
    return aid


async def test_the_dashboard_shows_the_years_priorities_mapping_value_and_revenue(
        portal: Portal, agreements: ArchiveAgreements, feed: FeedRelay,
        fresh_topology: str) -> None:
    app, client = portal
    empty = (await client.get("/", params={"year": "2021"})).text
    assert "Belum ada pemetaan untuk tahun ini." in empty
    aid = await planning_history(agreements)
    await relayed(app, feed)
    await until_listed(client, 2)
    await publish_figures(fresh_topology, PLANNING_FIGURES)
    await figures_applied(app, PLANNING_FIGURES)

    page = await until_shown(client, "/?year=2021", "Rp 1.250.000.000")
    assert "Perencanaan 2021: pemetaan, prioritas dan nilai kerja sama" in page
    for priority in PRIORITIES_2021:  # every priority by its name, figures or not
        assert priority["name"] in page
    assert "Belum ada pemetaan" not in page
    for shown in ("Rp 40.000.000", "Rp 75.000.000", "50% (1/2)", "DISPARBUD",
                  "Butir dipetakan", "Butir terealisasi", "Pendapatan daerah"):
        assert shown in page, shown
    english = (await client.get("/", params={"year": "2021", "lang": "en"})).text
    for shown in ("Planning 2021: mapping, priorities and value of cooperation",
                  "IDR 1,250,000,000", "IDR 75,000,000", "Items mapped", "Value in kind",
                  "Regional revenue", "Pemulihan ekonomi daerah"):
        assert shown in english, shown
    assert "Rp " not in english

    one = (await client.get(f"/register/{aid}")).text
    for shown in ("Prioritas", "Pemulihan ekonomi daerah", "Rp 1.250.000.000",
                  "Rp 40.000.000", "Pendapatan daerah tercatat", "Rp 75.000.000"):
        assert shown in one, shown
    one_en = (await client.get(f"/register/{aid}", params={"lang": "en"})).text
    assert "IDR 75,000,000" in one_en and "Regional revenue recorded" in one_en
    opened = next(a for a in (await client.get("/open-data/agreements.json")).json()[
        "agreements"] if a["id"] == aid)
    assert (opened["priority"], opened["value_cash"], opened["revenue"]) == (
        "PEMULIHAN_EKONOMI", 1_250_000_000, 75_000_000)
    header = next(line for line in (await client.get("/open-data/agreements.csv")).text
                  .splitlines() if line.startswith("id,"))
    assert header.endswith(",priority,value_cash,value_in_kind,revenue,partner_id"), header
    listed = (await client.get("/register", params={"priority": "PEMULIHAN_EKONOMI"})).text
    assert "1 kerja sama" in listed and "Pemasaran produk UMKM di Shopee" in listed
    assert "Kargo udara Kertajati" not in listed

    renamed = [{"code": "PEMULIHAN_EKONOMI", "name": "Pemulihan ekonomi pascapandemi"},
               {"code": "COVID19", "name": "Penanganan Covid-19"}]
    await adopt(agreements, renamed)  # a later adoption replaces the year's list
    await relayed(app, feed)
    page = await until_shown(client, "/?year=2021", "Pemulihan ekonomi pascapandemi")
    assert "Optimalisasi aset daerah" not in page and "Penanganan Covid-19" in page
    assert "Pemulihan ekonomi pascapandemi" in (await client.get(f"/register/{aid}")).text
