"""Fixtures for the agreements service: the real app on a fresh database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from plumbing.settings import load_settings
from services.agreements.app import create_app
from services.agreements.settings import AgreementsSettings
from tests.auth import auth_headers
from tests.database_roles import migrated_as_runtime


def propose_body(**changes: Any) -> dict[str, Any]:
    """A valid KSDPK proposal (Dinas Koperasi dan Usaha Kecil with blibli.com)."""
    body: dict[str, Any] = {
        "title": "Galeri UMKM Juara di blibli.com", "kind": "KSDPK", "document_type": "PKS",
        "partner": {"name": "blibli.com", "category": "THIRD_PARTY", "country": "ID"},
        "lead_opd": "DISKUK", "objective": "Pemasaran produk UMKM Jawa Barat secara daring",
        "sector": "Ekonomi", "burdens_budget": False, "plan_year": 2021,
        "proposed_on": "2021-01-11",
    }
    body.update(changes)
    return body


SIGN_BODY = {"number": "120/12/Pem.Um", "signed_on": "2021-04-20",
             "signatory": {"name": "Setiawan Wangsaatmaja", "role": "REGIONAL_SECRETARY"},
             "effective_from": "2021-04-20", "effective_until": "2024-04-19"}


async def to_ready_to_sign(client: httpx.AsyncClient, **changes: Any) -> str:
    """Propose and advance an agreement without required approvals to READY_TO_SIGN."""
    created = await client.post("/agreements", json=propose_body(**changes))
    assert created.status_code == 201, created.text
    aid = str(created.json()["id"])
    for action, body in (("review", None), ("draft", {"note": "Draf 1"}),
                         ("discuss", {"held_on": "2021-03-02", "summary": "Sepakat",
                                      "outcome": "AGREED"})):
        answer = await client.post(f"/agreements/{aid}/{action}", json=body)
        assert answer.status_code == 200, answer.text
    return aid


@pytest.fixture
async def runtime_database_url(database_url: str) -> str:
    """This test's fresh database migrated by its owner role (`kerjasama migrate`); the URL
    of the runtime role the service runs as, which owns nothing."""
    return await migrated_as_runtime(database_url)


@pytest.fixture
async def agreements_client(runtime_database_url: str,
                            tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the agreements app (lifespan run) with a fresh database, running
    as the runtime role as deployed (its archive in the test's temporary directory)."""
    settings = load_settings(AgreementsSettings, agreements_database_url=runtime_database_url,
                             messaging=False, documents_store=str(tmp_path / "documents"))
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
                headers=auth_headers(), transport=transport, base_url="http://agreements") as c:
            yield c
