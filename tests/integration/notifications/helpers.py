"""Agreements used by the notification tests, driven through the agreements HTTP API."""

from __future__ import annotations

from datetime import date
from typing import Any

from plumbing import clock

from .conftest import Agreements, Notifications, SmtpServer, eventually, subject


async def at(day: date, *services: Notifications) -> None:
    """Move the shared clock to ``day`` and let each service's scheduler and sender run."""
    clock.set_clock(day)
    for service in services:
        await service.settle()


async def relayed(agreements: Agreements, service: Notifications, aid: str) -> None:
    """Relay the agreement's new events and wait until the service applied them all."""
    await agreements.relay(aid)
    version = len(await agreements.events(aid))

    async def applied() -> bool:
        stored = await service.runtime.pool.fetchval(
            "SELECT version FROM agreements WHERE id = $1::uuid", aid)
        return bool(stored == version)

    await eventually(applied, what="events applied")


def subjects(smtp: SmtpServer, address: str, prefix: str) -> list[str]:
    """The subjects of the mail ``address`` got that start with ``prefix``."""
    return [subject(m) for m in smtp.to(address) if subject(m).startswith(prefix)]

KSDPL_PROPOSAL: dict[str, Any] = {
    "title": "Kerja sama pembangunan Provinsi Jawa Barat dan Provinsi Chungcheongnam-do",
    "kind": "KSDPL", "document_type": "MOU",
    "partner": {"name": "Chungcheongnam-do", "category": "FOREIGN_REGIONAL_GOVERNMENT",
                "country": "KR"},
    "lead_opd": "BIRO_PEM", "supporting_opds": ["DISPARBUD"],
    "objective": "Pertukaran budaya, pariwisata dan pengembangan ekonomi",
    "sector": "Pemerintahan", "burdens_budget": False, "plan_year": 2021,
}
KSDPK_PROPOSAL: dict[str, Any] = {
    "title": "Galeri UMKM Juara di blibli.com", "kind": "KSDPK", "document_type": "PKS",
    "partner": {"name": "blibli.com", "category": "THIRD_PARTY", "country": "ID"},
    "lead_opd": "DISKUK", "objective": "Pemasaran produk UMKM Jawa Barat secara daring",
    "sector": "Ekonomi", "burdens_budget": False, "plan_year": 2021,
}


async def signed_ksdpl(agreements: Agreements, proposed_on: str = "2021-01-11",
                       signed_on: str = "2021-04-20",
                       effective_until: str = "2024-04-19") -> str:
    """A KSDPL memorandum with Chungcheongnam-do, through approvals to signing."""
    created = await agreements.post("/agreements", {**KSDPL_PROPOSAL,
                                                     "proposed_on": proposed_on}, 201)
    aid = str(created["id"])
    await agreements.post(f"/agreements/{aid}/review")
    await agreements.post(f"/agreements/{aid}/draft", {"note": "Draf pertama"})
    await agreements.post(f"/agreements/{aid}/discuss", {
        "held_on": proposed_on, "summary": "Naskah disepakati", "outcome": "AGREED"})
    for authority in ("DPRD", "CENTRAL_GOVERNMENT"):
        await agreements.post(f"/agreements/{aid}/approve",
                              {"authority": authority, "approved_on": proposed_on})
    await agreements.post(f"/agreements/{aid}/sign", {
        "number": "120/15/Pem.Um", "signed_on": signed_on,
        "signatory": {"name": "Ridwan Kamil", "role": "GOVERNOR"},
        "effective_from": signed_on, "effective_until": effective_until})
    return aid


async def signed_ksdpk(agreements: Agreements, proposed_on: str = "2021-01-11",
                       signed_on: str = "2021-04-20",
                       effective_until: str = "2024-04-19") -> str:
    """A KSDPK agreement of DISKUK with blibli.com, signed (no approvals needed)."""
    created = await agreements.post("/agreements", {**KSDPK_PROPOSAL,
                                                     "proposed_on": proposed_on}, 201)
    aid = str(created["id"])
    await agreements.post(f"/agreements/{aid}/review")
    await agreements.post(f"/agreements/{aid}/draft", {"note": "Draf pertama"})
    await agreements.post(f"/agreements/{aid}/discuss", {
        "held_on": proposed_on, "summary": "Naskah disepakati", "outcome": "AGREED"})
    await agreements.post(f"/agreements/{aid}/sign", {
        "number": "027/88/DISKUK", "signed_on": signed_on,
        "signatory": {"name": "Kusmana Hartadji", "role": "HEAD_OF_AGENCY"},
        "effective_from": signed_on, "effective_until": effective_until})
    return aid
