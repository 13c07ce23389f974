"""The West Java demo loads through the public HTTP interface, and a second load adds nothing;
it holds the 2021 plenary's priorities, the agencies' mapping, values and revenue, and a
partner registry its proposals name (one duplicate merged)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx

from contracts.partners import partner_id_of
from plumbing.service_client import ServiceClient
from services.demo.loader import load
from services.demo.plan import load_data
from tests.auth import auth_headers

PRIORITIES_2021 = ["PEMULIHAN_EKONOMI", "COVID19", "OPTIMALISASI_ASET", "PELAYANAN_PUBLIK"]
BANK = "PT Bank Pembangunan Daerah Jawa Barat dan Banten Tbk (bank bjb)"
BANK_BJB = partner_id_of("Bank BJB", "ID")  # the name DISKUK's proposal gave
KIND_CATEGORIES = {"KSDD": {"REGIONAL_GOVERNMENT"},
                   "KSDPK": {"THIRD_PARTY", "OTHER_INSTITUTION"},
                   "KSDPL": {"FOREIGN_REGIONAL_GOVERNMENT"},
                   "KSDLL": {"FOREIGN_INSTITUTION"},
                   "SINERGI": {"MINISTRY_OR_AGENCY", "STATE_UNIVERSITY"}}


async def _count_events(agreements: ServiceClient) -> int:
    """Events in every stream (the feed may lag behind transactions elsewhere)."""
    ids = [a["id"] for a in await agreements.get_json("/agreements", limit=500)]
    streams = [f"/agreements/{i}/events" for i in ids]
    items = await agreements.get_json("/mappings/2021")
    streams += [f"/mapping-items/{item['id']}/events" for item in items]
    streams += [f"/work-programs/{year}/events" for year in (2021, 2022)]
    partners = [p["id"] for p in await agreements.get_json("/partners", limit=1000)]
    streams += [f"/partners/{i}/events" for i in [*partners, BANK_BJB]]  # merged: unlisted
    return sum([len(await agreements.get_json(path)) for path in streams])


def _sum(agreements: list[dict[str, Any]], field: str) -> int:
    return sum(a[field] or 0 for a in agreements)


async def test_the_demo_loads_through_http_and_a_second_load_adds_nothing(
        agreements_client: httpx.AsyncClient) -> None:
    data = load_data()
    transport = agreements_client._transport  # the in-process app
    async with ServiceClient("agreements", "http://agreements", "demo",
                             transport=transport) as agreements:
        first = await load(data, agreements)
        events_after_first = await _count_events(agreements)
        second = await load(data, agreements)
        events_after_second = await _count_events(agreements)

    assert first.agreements == second.agreements == len(data["agreements"]) == 28
    assert first.mapping_items == second.mapping_items == 15
    assert first.new_commands == first.commands > 150
    assert second.new_commands == 0 and second.commands == first.commands
    # one event per command, and the registration of "Bank BJB" with the proposal naming it
    assert events_after_first == events_after_second == first.commands + 1
    assert first.line().startswith("demo: 28 agreements, 27 partners (1 merged), ")
    assert f"15 mapping items, {first.commands} commands ({first.commands} new)" in first.line()
    assert f"{first.commands} commands (0 new)" in second.line()

    listing = (await agreements_client.get("/agreements", params={"limit": 500})).json()
    stages = Counter(a["stage"] for a in listing)
    assert stages == {"SIGNED": 24, "TERMINATED": 1, "AWAITING_APPROVAL": 1,
                      "DRAFTING": 1, "REJECTED": 1}
    by_title = {a["title"]: a for a in listing}
    rebana = by_title["Pengembangan Kawasan Metropolitan Rebana"]
    assert len(rebana["co_partners"]) == 6
    garuda = by_title["Angkutan kargo udara dari Bandara Internasional Jawa Barat Kertajati"]
    assert garuda["last_child_signed_on"] == "2021-02-22"
    signed = [a for a in listing if a["signed_on"] is not None]
    assert all([d["kind"] for d in a["documents"]] == ["SIGNED"] for a in signed)
    naskah = by_title["Galeri Kolaborasi UMKM Juara di blibli.com"]["documents"][0]
    assert (naskah["media_type"], naskah["public"]) == ("application/pdf", True)
    got = await agreements_client.get(f"/documents/{naskah['id']}")
    assert got.content.startswith(b"%PDF-") and b"blibli" in got.content.lower()
    planned_2021 = [a for a in listing if a.get("plan_year") == 2021]
    assert len(planned_2021) == 13


async def test_the_demo_maps_2021_under_the_plenarys_priorities_with_values_and_revenue(
        agreements_client: httpx.AsyncClient) -> None:
    client = agreements_client
    async with ServiceClient("agreements", "http://agreements", "demo",
                             transport=client._transport) as agreements:
        await load(load_data(), agreements)

    program = (await client.get("/work-programs/2021")).json()
    assert [p["code"] for p in program["priorities"]] == PRIORITIES_2021
    assert program["mapping_due_on"] == "2021-03-31"
    assert (await client.get("/work-programs/2022")).json()["priorities"] == []

    items = (await client.get("/mappings/2021")).json()
    assert Counter(i["opd"] for i in items) == {"DISKUK": 4, "DINKES": 3, "DISNAKERTRANS": 2,
                                                "DISTANHORTI": 2, "DISHUB": 2, "DISPUSIPDA": 2}
    assert len((await client.get("/mappings/2021/DISKUK")).json()) == 4
    withdrawn = [i for i in items if i["stage"] == "WITHDRAWN"]
    assert [i["opd"] for i in withdrawn] == ["DINKES"] and withdrawn[0]["withdrawn_reason"]
    revised = [i for i in items if i["version"] == 2 and i["stage"] == "ACTIVE"]
    assert len(revised) == 1 and len(revised[0]["prospective_partners"]) == 2
    assert {i["priority"] for i in items} == set(PRIORITIES_2021)

    listing = (await client.get("/agreements", params={"limit": 500})).json()
    signed = [a for a in listing if a["signed_on"] is not None]
    realised = {a["mapping_item_id"] for a in signed if a["mapping_item_id"]}
    active = {i["id"]: i for i in items if i["stage"] == "ACTIVE"}
    assert realised <= set(active) and len(realised) == 7
    unrealised = set(active) - realised
    assert Counter(active[i]["opd"] for i in unrealised) == {
        "DISKUK": 1, "DISNAKERTRANS": 1, "DINKES": 1, "DISTANHORTI": 2, "DISHUB": 1,
        "DISPUSIPDA": 1}
    rejected = next(a for a in listing if a["stage"] == "REJECTED")
    assert rejected["mapping_item_id"] in unrealised  # its item led to no signed agreement
    shopee = next(a for a in signed if a["title"].endswith("di Shopee"))
    assert shopee["priority"] == "PEMULIHAN_EKONOMI"  # the item's, named by none

    planned_2021 = [a for a in listing if a.get("plan_year") == 2021]
    assert all(a["priority"] in PRIORITIES_2021 for a in planned_2021)
    signed_2021 = [a for a in signed if a["signed_on"].startswith("2021")]
    assert (_sum(signed_2021, "value_cash"), _sum(signed_2021, "value_in_kind")) == (
        1_850_000_000, 1_450_000_000)
    assert _sum(listing, "revenue") == 5_790_000_000
    djp = next(a for a in listing if a["lead_opd"] == "BAPENDA")
    events = (await client.get(f"/agreements/{djp['id']}/events")).json()
    assert [(e["data"]["on"], e["data"]["revenue"]) for e in events
            if e["data"].get("revenue")] == [("2021-04-12", 3_450_000_000),
                                             ("2022-02-15", 2_100_000_000)]


async def test_the_demo_registers_its_partners_once_and_merges_the_duplicate_a_proposal_gave(
        agreements_client: httpx.AsyncClient) -> None:
    client = agreements_client
    data = load_data()
    async with ServiceClient("agreements", "http://agreements", "demo",
                             transport=client._transport) as agreements:
        await load(data, agreements)
        await load(data, agreements)

    registry = {p["name"]: p for p in (await client.get("/partners",
                                                        params={"limit": 1000})).json()}
    assert len(registry) == len(data["partners"]) == 26  # "Bank BJB" merged: not listed
    for partner in registry.values():  # registered once, never revised
        events = (await client.get(f"/partners/{partner['id']}/events")).json()
        assert [e["type"] for e in events] == ["kerjasama.partner.registered.v1"]
    bank = registry[BANK]
    assert bank["codes"][0] == {"scheme": "NIB", "value": "8120000112233"}
    assert bank["contact"]["address"].startswith("Menara bank bjb")
    gyeongbuk = registry["Gyeongsangbuk-do Provincial Government"]
    assert (gyeongbuk["codes"], gyeongbuk["contact"]) == ([], None)  # a sister province

    listing = (await client.get("/agreements", params={"limit": 500})).json()
    by_partner = Counter(a["partner_id"] for a in listing)
    ids = {p["id"] for p in registry.values()}
    assert set(by_partner) == ids - {bank["id"]} | {str(BANK_BJB)}
    for agreement in listing:  # named by partner_id: the registry's name and category
        assert agreement["partner"]["category"] in KIND_CATEGORIES[agreement["kind"]]
        if agreement["partner_id"] != str(BANK_BJB):
            assert agreement["partner"] == {k: registry[agreement["partner"]["name"]][k]
                                            for k in ("name", "category", "country")}
    shopee = (await client.get(f"/partners/{registry['PT Shopee International Indonesia']['id']}"
                               )).json()
    assert [a["document_type"] for a in shopee["agreements"]] == ["MOU", "ADDENDUM"]
    garuda = registry["PT Garuda Indonesia (Persero) Tbk"]
    assert by_partner[garuda["id"]] == 2  # the MOU and its PKS

    moved = await client.get(f"/partners/{BANK_BJB}", follow_redirects=False)
    assert moved.status_code == 301 and moved.headers["Location"] == f"/partners/{bank['id']}"
    events = (await client.get(f"/partners/{BANK_BJB}/events")).json()
    assert [e["type"] for e in events] == ["kerjasama.partner.registered.v1",
                                           "kerjasama.partner.merged.v1"]
    page = (await client.get(f"/partners/{bank['id']}")).json()
    assert [(a["title"], a["partner"]["name"]) for a in page["agreements"]] == [
        ("Pelaksanaan Program UMKM Juara bersama bank bjb", "Bank BJB")]
    again = await client.post("/partners", json={
        "name": "PT. BANK PEMBANGUNAN DAERAH JAWA BARAT DAN BANTEN, TBK (BANK BJB)",
        "category": "THIRD_PARTY", "country": "ID"})
    assert again.status_code == 409 and again.json()["existing_id"] == bank["id"]


async def test_the_demo_takes_partners_registered_and_merged_before_it_as_they_are(
        agreements_client: httpx.AsyncClient) -> None:
    client = agreements_client
    tkksd = auth_headers("tkksd", subject="sekretariat")
    garuda = await client.post("/partners", headers=tkksd, json={
        "name": "PT. Garuda Indonesia (Persero), Tbk.", "category": "THIRD_PARTY",
        "country": "ID"})
    bank = await client.post("/partners", headers=tkksd, json={
        "name": BANK, "category": "THIRD_PARTY", "country": "ID"})
    bjb = await client.post("/partners", headers=tkksd, json={
        "name": "Bank BJB", "category": "THIRD_PARTY", "country": "ID"})
    assert (await client.post(f"/partners/{bjb.json()['id']}/merge", headers=tkksd,
                              json={"into": bank.json()["id"]})).is_success
    data = load_data()
    async with ServiceClient("agreements", "http://agreements", "demo",
                             transport=client._transport) as agreements:
        first = await load(data, agreements)
        second = await load(data, agreements)

    # the two registrations (409 existing_id) and the merge (409 partner-merged): not new
    assert first.new_commands == first.commands - 3 and second.new_commands == 0
    assert "27 partners (1 merged)" in first.line()
    page = (await client.get(f"/partners/{garuda.json()['id']}")).json()
    assert page["name"] == "PT. Garuda Indonesia (Persero), Tbk."  # as it was registered
    assert len(page["agreements"]) == 2
    bank_page = (await client.get(f"/partners/{bank.json()['id']}")).json()
    assert [a["partner_id"] for a in bank_page["agreements"]] == [bank.json()["id"]]
