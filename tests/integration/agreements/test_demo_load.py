"""The West Java demo loads through the public HTTP interface, and a second load adds nothing."""

from __future__ import annotations

from collections import Counter

import httpx

from plumbing.service_client import ServiceClient
from services.demo.loader import load
from services.demo.plan import load_data


async def _count_events(agreements: ServiceClient) -> int:
    """Events in every stream (the feed may lag behind transactions elsewhere)."""
    ids = [a["id"] for a in await agreements.get_json("/agreements", limit=500)]
    streams = [f"/agreements/{i}/events" for i in ids]
    streams += [f"/work-programs/{year}/events" for year in (2021, 2022)]
    return sum([len(await agreements.get_json(path)) for path in streams])


async def test_the_demo_loads_through_http_and_a_second_load_adds_nothing(
        agreements_client: httpx.AsyncClient) -> None:
    data = load_data()
    transport = agreements_client._transport  # the in-process app
    async with ServiceClient("agreements", "http://agreements", "demo",
                             transport=transport) as agreements:
        first = await load(data, agreements)
        events_after_first = len(await agreements.get_json("/events", limit=1000))
        second = await load(data, agreements)
        events_after_second = len(await agreements.get_json("/events", limit=1000))

    assert first.agreements == second.agreements == len(data["agreements"]) == 28
    assert first.new_commands == first.commands > 150
    assert second.new_commands == 0
    assert events_after_first == events_after_second == first.commands

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
