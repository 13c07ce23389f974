"""The portal's partner pages over the real agreements service (its partner registry) and
broker: partner events reach the portal through its queue (``partner.*``) in any order
with the agreements; a partner's page shows its registry record (never its contact) and
its public agreements with their totals in both languages; before its registration
arrives it is shown as its agreements name it; a merged partner's page moves (301) to the
partner that stays, along a chain, and its agreements are listed there, the merges
arriving before the registrations (filled from the registry's stream); the register, the
agreement page and the open data name the partner; redelivered and reordered partner
events change nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any
from uuid import UUID

import httpx
from fastapi import FastAPI

from contracts.partners import partner_id_of
from contracts.topology import PORTAL_EVENTS
from tests.integration.portal.conftest import ArchiveAgreements, applied, relayed
from tests.integration.portal.test_portal import until_listed
from tests.integration.portal.test_portal_planning import until_shown
from tests.integration.reporting.support import FeedRelay
from tests.waiting import redelivered

Portal = tuple[FastAPI, httpx.AsyncClient]
BJB = {"name": "PT Bank BJB", "category": "THIRD_PARTY", "country": "ID"}
BJB_ID = partner_id_of(BJB["name"], "ID")
BJB_REGISTERED = "PT Bank Pembangunan Daerah Jawa Barat dan Banten Tbk"
CONTACT = {"name": "Divisi Kerja Sama", "email": "kerjasama@bankbjb.example",
           "phone": "+62 22 1234567", "address": "Jl. Naripan No. 12, Bandung"}


def partner(name: str) -> dict[str, str]:
    return {"name": name, "category": "THIRD_PARTY", "country": "ID"}


async def registered_with_proposals(agreements: ArchiveAgreements, *names: str) -> None:
    """The registry registered each partner with the first proposal naming it."""
    for name in names:
        assert await agreements.count_partner(partner_id_of(name, "ID")), name


def counted(agreements: ArchiveAgreements, partner_id: str, version: int) -> None:
    """The partner's stream is at ``version`` (what the feed relay waits for)."""
    key = f"partner-{partner_id}"
    agreements.versions[key] = max(agreements.versions.get(key, 0), version)


async def partner_command(agreements: ArchiveAgreements, method: str, path: str,
                          body: dict[str, Any]) -> None:
    """A command of the partner registry (counted by its stream, like the proposals')."""
    answer = await agreements.http.request(method, path, json=body)
    assert answer.status_code == 200, f"{path}: {answer.status_code} {answer.text}"
    counted(agreements, answer.json()["id"], int(answer.json()["version"]))


def is_partner(event: Any) -> bool:
    return str(event.type).startswith("kerjasama.partner.")


async def relay(feed: FeedRelay, first: Callable[[Any], bool]) -> tuple[list[Any], list[Any]]:
    """Read the feed's new events; publish those ``first`` picks (in feed order); (those
    published, those held back)."""
    events = await feed.new_events()
    now = [e for e in events if first(e)]
    await feed.publish(now)
    return now, [e for e in events if not first(e)]


async def until_status(client: httpx.AsyncClient, path: str, status: int,
                       seconds: float = 30) -> httpx.Response:
    deadline = asyncio.get_running_loop().time() + seconds
    while (answer := await client.get(path)).status_code != status:
        assert asyncio.get_running_loop().time() < deadline, (answer.status_code, path)
        await asyncio.sleep(0.1)
    return answer


async def bank_history(agreements: ArchiveAgreements) -> dict[str, str]:
    """Two signed agreements of the bank (one with values and revenue), a proposal of it
    (not public), one of another partner, and a partner with only a proposal; the bank's
    record revised in the registry (its full name, a code, a contact)."""
    ids = {
        "cash": await agreements.sign(
            "2021-06-08", "2024-06-07", title="Layanan kas daerah", partner=BJB,
            value_cash=1_250_000_000, value_in_kind=40_000_000),
        "payroll": await agreements.sign("2020-02-10", "2022-02-09", title="Gaji ASN",
                                         partner=BJB),
        "secret": await agreements.propose(title="Usulan rahasia bank", partner=BJB),
        "cargo": await agreements.sign(
            "2021-03-01", "2025-02-28", title="Kargo udara Kertajati", lead_opd="DISHUB",
            partner=partner("PT Angkasa Pura II")),
        "hidden": await agreements.propose(title="Usulan mitra lain",
                                           partner=partner("CV Tertutup")),
    }
    await agreements.post(f"/agreements/{ids['cash']}/follow-ups", {
        "on": "2021-08-01", "summary": "Setoran kas", "revenue": 75_000_000})
    await registered_with_proposals(agreements, "PT Bank BJB", "PT Angkasa Pura II",
                                    "CV Tertutup")
    await partner_command(agreements, "PUT", f"/partners/{BJB_ID}", {
        **BJB, "name": BJB_REGISTERED, "contact": CONTACT,
        "codes": [{"scheme": "NIB", "value": "8120000012345"}]})
    return ids


async def test_a_partner_page_shows_its_record_and_public_agreements_in_any_order(
        portal: Portal, agreements: ArchiveAgreements, feed: FeedRelay) -> None:
    app, client = portal
    ids = await bank_history(agreements)
    _, held = await relay(feed, lambda e: not is_partner(e))  # the agreements come first
    await applied(app, len(feed.published))
    await until_listed(client, 3)
    before = (await client.get(f"/partners/{BJB_ID}")).text
    assert "<h1>PT Bank BJB</h1>" in before and "Belum tercatat di daftar mitra" in before
    assert "Layanan kas daerah" in before and "Gaji ASN" in before

    await feed.publish(held)
    await applied(app, len(feed.published))
    page = await until_shown(client, f"/partners/{BJB_ID}", f"<h1>{BJB_REGISTERED}</h1>")
    for shown in ("Pihak ketiga", "NIB", "8120000012345", "Kerja sama ditandatangani",
                  "Rp 1.250.000.000", "Rp 40.000.000", "Rp 75.000.000",
                  "Layanan kas daerah", "Gaji ASN", "2 kerja sama", "Sedang berlaku"):
        assert shown in page, shown
    for hidden in ("Usulan rahasia bank", "Kargo udara", "Belum tercatat", *CONTACT.values()):
        assert hidden not in page, hidden
    english = (await client.get(f"/partners/{BJB_ID}", params={"lang": "en"})).text
    for shown in ('<html lang="en">', "Third party", "Agreements signed", "In force now",
                  "IDR 1,250,000,000", "IDR 75,000,000", "Registration numbers"):
        assert shown in english, shown

    register = (await client.get("/register")).text
    assert f'<a href="/partners/{BJB_ID}">PT Bank BJB</a>' in register
    one = (await client.get(f"/register/{ids['cash']}", params={"lang": "en"})).text
    assert f'<a href="/partners/{BJB_ID}?lang=en">PT Bank BJB</a>' in one
    opened = {a["id"]: a["partner_id"] for a in (
        await client.get("/open-data/agreements.json")).json()["agreements"]}
    assert opened[ids["cash"]] == str(BJB_ID)
    assert str(BJB_ID) in (await client.get("/open-data/agreements.csv")).text

    await applied(app, feed.handed_out)
    listed = (await client.get("/partners")).text
    assert "2 mitra" in listed and BJB_REGISTERED in listed and "PT Angkasa Pura II" in listed
    assert "CV Tertutup" not in listed  # registered, but with no public agreement
    found = (await client.get("/partners", params={"q": "jawa barat", "lang": "en"})).text
    assert "1 partners" in found and BJB_REGISTERED in found and "Angkasa" not in found
    for missing in (partner_id_of("CV Tertutup", "ID"),
                    "00000000-0000-0000-0000-000000000000", "not-a-uuid"):
        answer = await client.get(f"/partners/{missing}")
        assert answer.status_code == 404 and "Tidak ditemukan" in answer.text, missing


async def merge(agreements: ArchiveAgreements, merged: UUID, into: UUID) -> None:
    await partner_command(agreements, "POST", f"/partners/{merged}/merge",
                          {"into": str(into)})


async def test_a_merged_partner_moves_to_the_partner_that_stays_even_before_registration(
        portal: Portal, agreements: ArchiveAgreements, feed: FeedRelay) -> None:
    app, client = portal
    spellings = {"c": "BJB Syariah", "d": "Bank Jabar", "s": "PT Bank BJB"}
    pid = {k: partner_id_of(name, "ID") for k, name in spellings.items()}
    aid = {k: await agreements.sign("2021-06-08", "2024-06-07", title=f"Kerja sama {name}",
                                    value_cash=100_000_000, partner=partner(name))
           for k, name in spellings.items()}
    await registered_with_proposals(agreements, *spellings.values())
    await merge(agreements, pid["c"], pid["d"])  # C into D, then D into S: a chain
    await merge(agreements, pid["d"], pid["s"])
    merges = "kerjasama.partner.merged.v1"  # delivered before any registration
    _, held = await relay(feed, lambda e: not is_partner(e) or e.type == merges)
    await applied(app, len(feed.published))  # both merges, each in its own stream
    await until_listed(client, 3)

    moved = await until_status(client, f"/partners/{pid['c']}?lang=en", 301)
    assert moved.headers["location"] == f"/partners/{pid['s']}?lang=en"  # along the chain
    assert (await client.get(f"/partners/{pid['d']}")).headers["location"] == (
        f"/partners/{pid['s']}")
    stays = (await client.get(f"/partners/{pid['s']}")).text
    assert "<h1>PT Bank BJB</h1>" in stays and "Belum tercatat" in stays  # not delivered yet
    assert "3 kerja sama" in stays and "Rp 300.000.000" in stays
    for name in spellings.values():
        assert f"Kerja sama {name}" in stays

    register = (await client.get("/register")).text
    assert f'href="/partners/{pid["c"]}"' not in register  # straight to the one that stays
    assert register.count(f'href="/partners/{pid["s"]}"') == 3
    opened = {a["id"]: a["partner_id"] for a in (
        await client.get("/open-data/agreements.json")).json()["agreements"]}
    assert {opened[a] for a in aid.values()} == {str(pid["s"])}
    listed = (await client.get("/partners")).text
    assert "1 mitra" in listed and "Bank Jabar" not in listed

    await partner_command(agreements, "PUT", f"/partners/{pid['s']}", {
        **partner("PT Bank BJB"), "name": BJB_REGISTERED})
    await feed.publish(held)  # the registrations (C's and D's again) and S's revision
    await relayed(app, feed)
    page = await until_shown(client, f"/partners/{pid['s']}", f"<h1>{BJB_REGISTERED}</h1>")
    assert "Belum tercatat" not in page and "3 kerja sama" in page
    assert (await client.get(f"/partners/{pid['c']}")).status_code == 301


async def test_redelivered_and_reordered_partner_events_change_nothing(
        portal: Portal, agreements: ArchiveAgreements, feed: FeedRelay) -> None:
    app, client = portal
    await bank_history(agreements)
    other = partner_id_of("PT Angkasa Pura II", "ID")
    await merge(agreements, other, BJB_ID)
    events = await relayed(app, feed)
    pool = app.state.runtime.pool

    async def snapshot() -> list[tuple[Any, ...]]:
        rows = await pool.fetch("SELECT id, name, codes::text, stage, merged_into, version"
                                " FROM partners ORDER BY id")
        return [tuple(r) for r in rows]

    before = await snapshot()
    assert [(r[1], r[3], r[5]) for r in before if r[0] == BJB_ID] == [
        (BJB_REGISTERED, "ACTIVE", 2)]
    assert [r[4] for r in before if r[0] == other] == [BJB_ID]
    page = (await client.get(f"/partners/{BJB_ID}")).text
    assert "Kargo udara Kertajati" in page  # the merged partner's agreement
    again = [e for e in reversed(events) if is_partner(e)]
    async with redelivered(PORTAL_EVENTS, len(again)):
        await feed.publish(again)  # again, reversed
    assert await snapshot() == before
    assert await pool.fetchval("SELECT count(*) FROM inbox_events") == len(events)
    assert (await client.get(f"/partners/{BJB_ID}")).text == page
