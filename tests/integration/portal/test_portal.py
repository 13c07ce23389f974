"""The portal over the real agreements service and broker: only signed agreements are
public, the register filters and pages, one agreement's page, open data, the feed, the
figures from reporting and kpi.updated (stale revisions dropped), both languages, caching
and the 404 page."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from typing import Any

import httpx
from fastapi import FastAPI

from contracts.codec import encode, make_envelope
from contracts.envelope import SOURCE_REPORTING
from contracts.kpi import KpiUpdated, kpi_routing_key, kpi_subject
from contracts.topology import KPI_EXCHANGE, PORTAL_EVENTS
from plumbing import clock
from plumbing.amqp import connect, publish_persistent
from services.portal.application.service import seed_figures
from tests import documents
from tests.integration.portal.conftest import ArchiveAgreements, Reporting, figure, relayed
from tests.integration.reporting.support import FeedRelay
from tests.waiting import redelivered

Portal = tuple[FastAPI, httpx.AsyncClient]


async def until_listed(client: httpx.AsyncClient, count: int, seconds: float = 20) -> str:
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        page = (await client.get("/register")).text
        if f"{count} kerja sama" in page:
            return page
        assert asyncio.get_running_loop().time() < deadline, page[-2000:]
        await asyncio.sleep(0.1)


async def history(agreements: ArchiveAgreements) -> dict[str, str]:
    """Signed, followed up, in force, with documents (its signed text public, a draft not,
    a study in a second version, minutes taken down); signed and expired; a proposal; a
    rejected one."""
    ids = {
        "shopee": await agreements.sign(
            "2021-06-08", "2024-06-07", plan_year=2021, lead_opd="DISKUK",
            title="Pemasaran produk UMKM di Shopee", supporting_opds=["DISKOMINFO"],
            partner={"name": "PT Shopee International Indonesia", "category": "THIRD_PARTY",
                     "country": "ID"}),
        "kertajati": await agreements.sign(
            "2020-02-10", "2022-02-09", lead_opd="DISHUB", title="Kargo udara Kertajati",
            partner={"name": "PT Angkasa Pura II", "category": "THIRD_PARTY",
                     "country": "ID"}),
        "proposal": await agreements.propose(title="Usulan rahasia", lead_opd="DISKUK"),
    }
    await agreements.follow_up(ids["shopee"], "2021-08-01")
    shopee = ids["shopee"]
    signed = await agreements.attach(shopee, documents.pdf("PKS Shopee"),
                                     filename="PKS Shopee 2021.pdf")
    ids["signed_text"] = signed["document_id"]
    await agreements.attach(shopee, documents.pdf("Draf"), kind="DRAFT", public=False,
                            filename="draf-internal.pdf")
    study = await agreements.attach(shopee, documents.pdf("Kajian 1"), kind="STUDY_PRE",
                                    filename="kajian-v1.pdf")
    await agreements.attach(shopee, documents.pdf("Kajian 2"), kind="STUDY_PRE",
                            filename="kajian-v2.pdf", supersedes=study["document_id"])
    minutes = await agreements.attach(shopee, documents.png(), kind="MINUTES",
                                      filename="notulen.png")
    await agreements.unpublish(minutes["document_id"])
    rejected = await agreements.propose(title="Usulan ditolak", lead_opd="DISTANHORTI")
    await agreements.post(f"/agreements/{rejected}/review")
    await agreements.post(f"/agreements/{rejected}/reject", {"reason": "Tidak sesuai RPJMD"})
    ids["rejected"] = rejected
    return ids


async def test_the_register_shows_signed_agreements_only_and_filters_them(
        portal: Portal, agreements: ArchiveAgreements, feed: FeedRelay) -> None:
    app, client = portal
    ids = await history(agreements)
    await relayed(app, feed)
    page = await until_listed(client, 2)
    assert "Pemasaran produk UMKM di Shopee" in page and "Kargo udara Kertajati" in page
    assert "Usulan rahasia" not in page and "Usulan ditolak" not in page
    assert '<html lang="id">' in page

    async def titles(**params: Any) -> list[str]:
        text = (await client.get("/register", params=params)).text
        return [t for t in ("Pemasaran produk UMKM di Shopee", "Kargo udara Kertajati")
                if t in text]

    assert await titles(q="shopee international") == ["Pemasaran produk UMKM di Shopee"]
    assert await titles(q="100%_") == []
    assert await titles(opd="DISKOMINFO") == ["Pemasaran produk UMKM di Shopee"]  # supporting
    assert await titles(year="2020") == ["Kargo udara Kertajati"]
    assert await titles(status="expired") == ["Kargo udara Kertajati"]  # today 2023-01-10
    assert await titles(status="in_force") == ["Pemasaran produk UMKM di Shopee"]
    assert await titles(kind="KSDPK", category="THIRD_PARTY") == [
        "Pemasaran produk UMKM di Shopee", "Kargo udara Kertajati"]
    assert await titles(status="nonsense", page="x") == [
        "Pemasaran produk UMKM di Shopee", "Kargo udara Kertajati"]

    one = await client.get(f"/register/{ids['shopee']}", params={"lang": "en"})
    assert one.status_code == 200 and '<html lang="en">' in one.text
    for shown in ("PT Shopee International Indonesia", "DISKOMINFO", "Follow-up", "Rapat",
                  "1 August 2021", "In force", "Setiawan Wangsaatmaja"):
        assert shown in one.text, shown
    for hidden in (ids["proposal"], ids["rejected"], "00000000-0000-0000-0000-000000000000",
                   "not-a-uuid"):
        missing = await client.get(f"/register/{hidden}")
        assert missing.status_code == 404 and "Tidak ditemukan" in missing.text
    assert (await client.get("/nowhere", params={"lang": "en"})).text.count("Not found") >= 1

    dashboard = (await client.get("/")).text  # followed up on 1 August 2021, not since
    sleeping = dashboard.split('id="h-sleeping"')[1].split('id="h-expiring"')[0]
    assert "Pemasaran produk UMKM di Shopee" in sleeping and ">527<" in sleeping
    assert "1 Agustus 2021" in sleeping and "Kargo udara Kertajati" not in sleeping

    cached = await client.get("/register")
    again = await client.get("/register", headers={"If-None-Match": cached.headers["etag"]})
    assert again.status_code == 304 and "max-age" in cached.headers["cache-control"]


async def test_open_data_and_the_feed_carry_the_register_under_cc_by(
        portal: Portal, agreements: ArchiveAgreements, feed: FeedRelay) -> None:
    app, client = portal
    await history(agreements)
    await relayed(app, feed)
    await until_listed(client, 2)
    listing = (await client.get("/open-data/agreements.json")).json()
    assert listing["licence"].startswith("CC BY 4.0")
    assert sorted(a["title"] for a in listing["agreements"]) == [
        "Kargo udara Kertajati", "Pemasaran produk UMKM di Shopee"]
    text = (await client.get("/open-data/agreements.csv")).text
    assert text.startswith("# licence: CC BY 4.0")
    rows = list(csv.DictReader(io.StringIO(text.split("\r\n", 1)[1])))
    assert {r["status"] for r in rows} == {"in_force", "expired"}
    assert "email" not in text.lower()
    atom = (await client.get("/feed.atom")).text
    assert atom.count("<entry>") == 2 and "Kargo udara Kertajati" in atom


async def test_figures_come_from_reporting_then_from_kpi_updated_dropping_stale_ones(
        portal: Portal, reporting: Reporting, fresh_topology: str) -> None:
    app, client = portal
    reporting.items = [
        figure("realization", 2021, "province", 9, 13, revision=5, target=80),
        figure("effectiveness", 2021, "province", 13, 19, revision=3, target=60),
        figure("realization", 2021, "opd:DISKUK", 2, 3, revision=2, target=80),
        figure("realization", 2020, "province", 4, 8, revision=2, target=75)]
    await seed_figures(app.state.runtime.pool, reporting.reader, always=True)
    page = (await client.get("/", params={"year": "2021"})).text
    assert "69.23%" in page and "(9/13)" in page and "<svg" in page and "DISKUK" in page

    async def publish(item: dict[str, Any]) -> None:
        data = KpiUpdated.model_validate(item)
        envelope = make_envelope(data, source=SOURCE_REPORTING, subject=kpi_subject(data),
                                 time=clock.now())
        connection = await connect(fresh_topology)
        async with connection:
            channel = await connection.channel()
            await publish_persistent(channel, KPI_EXCHANGE, kpi_routing_key(data),
                                     encode(envelope), message_id=str(envelope.id))

    await publish(figure("realization", 2021, "province", 10, 13, revision=6, target=80,
                         complete=False))
    await publish(figure("realization", 2021, "province", 1, 13, revision=4, target=80))
    deadline = asyncio.get_running_loop().time() + 30
    while "76.92%" not in (page := (await client.get("/", params={"year": "2021"})).text):
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)  # the stale revision 4 has been handled and dropped by now
    page = (await client.get("/", params={"year": "2021", "lang": "en"})).text
    assert "76.92%" in page and "(provisional)" in page and "7.69%" not in page
    kpis = (await client.get("/open-data/kpis.csv")).text
    assert kpis.startswith("# licence: CC BY 4.0")
    assert json.dumps(10) in kpis.split("\r\n")[2 + [
        r.split(",")[:3] for r in kpis.split("\r\n")[2:] if r].index(
        ["realization", "2021", "province"])].split(",")[3]


async def test_redelivered_events_change_nothing_and_a_rebuild_gives_the_same_register(
        portal: Portal, agreements: ArchiveAgreements, feed: FeedRelay,
        reporting: Reporting) -> None:
    from plumbing.settings import load_settings
    from services.portal.entrypoints.cli import rebuild_portal
    from services.portal.settings import PortalSettings

    app, client = portal
    await history(agreements)
    events = await relayed(app, feed)
    await until_listed(client, 2)
    pool = app.state.runtime.pool

    async def snapshot() -> list[tuple[str, str]]:
        rows = await pool.fetch("SELECT id::text, view::text FROM agreements ORDER BY id")
        return [(r[0], r[1]) for r in rows]

    before = await snapshot()
    shown = [(d["filename"], d["kind"]) for _, view in before
             for d in json.loads(view).get("documents", [])]
    assert shown == [("PKS Shopee 2021.pdf", "SIGNED"), ("kajian-v2.pdf", "STUDY_PRE")]
    async with redelivered(PORTAL_EVENTS, len(events)):
        await feed.publish(list(reversed(events)))  # every event again, in the wrong order
    assert await snapshot() == before
    assert await pool.fetchval("SELECT count(*) FROM inbox_events") == len(events)

    reporting.items = [figure("realization", 2021, "province", 9, 13, revision=5, target=80)]
    database = await pool.fetchval("SELECT current_database()")
    settings = load_settings(PortalSettings, portal_database_url=(
        f"postgresql://postgres@127.0.0.1:5432/{database}"))
    counted = await rebuild_portal(settings, agreements.client, reporting.reader)
    assert counted == (len(events), 1)
    assert await snapshot() == before
    assert "69.23%" in (await client.get("/", params={"year": "2021"})).text
