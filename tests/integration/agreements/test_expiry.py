"""The expiry job: a signed agreement past its end date becomes EXPIRED, once."""

from __future__ import annotations

import asyncio
from datetime import date
from uuid import UUID

import httpx

from plumbing import clock
from plumbing.settings import load_settings
from services.agreements.adapters.database import open_database
from services.agreements.adapters.event_store import PostgresEventStore
from services.agreements.application.service import AgreementService
from services.agreements.entrypoints.expiry import expire_due
from services.agreements.settings import AgreementsSettings
from tests.integration.agreements.conftest import SIGN_BODY, to_ready_to_sign


async def test_the_expiry_job_expires_a_signed_agreement_past_its_end_date_once(
        agreements_client: httpx.AsyncClient, database_url: str) -> None:
    with clock.frozen(date(2021, 5, 1)):
        aid = await to_ready_to_sign(agreements_client)
        signed = await agreements_client.post(f"/agreements/{aid}/sign", json=SIGN_BODY)
        assert signed.status_code == 200, signed.text
        other = await to_ready_to_sign(agreements_client, title="Masih berlaku")
        await agreements_client.post(f"/agreements/{other}/sign",
                                     json={**SIGN_BODY, "effective_until": "2025-04-19"})
    pool = await open_database(load_settings(AgreementsSettings,
                                             agreements_database_url=database_url))
    try:
        service = AgreementService(PostgresEventStore(pool))
        with clock.frozen(date(2024, 4, 19)):  # the last day in force: nothing yet
            assert await expire_due(pool, service) == []
        with clock.frozen(date(2024, 6, 1)):  # two replicas at once, then a second run
            first, second = await asyncio.gather(expire_due(pool, service),
                                                 expire_due(pool, service))
            again = await expire_due(pool, service)
    finally:
        await pool.close()

    assert sorted([first, second], key=len) == [[], [UUID(aid)]]
    assert again == []
    events = (await agreements_client.get(f"/agreements/{aid}/events")).json()
    expiries = [e for e in events if e["type"] == "kerjasama.agreement.expired.v1"]
    assert len(expiries) == 1
    assert expiries[0]["data"]["on"] == "2024-04-20"
    assert expiries[0]["data"]["stage"] == "EXPIRED"
    assert (await agreements_client.get(f"/agreements/{other}")).json()["stage"] == "SIGNED"
