"""A read-model row written before ``agreement.proposed.v2`` (no ``partner_id``) reads as
today's agreement: the id is derived as the upcaster derives it for the stored proposal,
and the row carries it again once the agreement's next command rewrites it."""

from __future__ import annotations

import httpx

from contracts.partners import partner_id_of
from plumbing.db import Pool
from tests.integration.agreements.conftest import propose_body


async def test_a_row_written_before_partner_ids_reads_with_the_derived_id(
        agreements_client: httpx.AsyncClient, db_pool: Pool) -> None:
    body = propose_body(partner={"name": "PT. Bank  BJB", "category": "THIRD_PARTY",
                                 "country": "ID"})
    aid = (await agreements_client.post("/agreements", json=body)).json()["id"]
    derived = str(partner_id_of("pt bank bjb", "id"))
    assert (await agreements_client.get(f"/agreements/{aid}")).json()["partner_id"] == derived
    await db_pool.execute("UPDATE agreements SET state = state - 'partner_id'")  # as before

    one = await agreements_client.get(f"/agreements/{aid}")
    listed = await agreements_client.get("/agreements")
    assert one.status_code == 200 and one.json()["partner_id"] == derived
    assert listed.status_code == 200 and [a["partner_id"] for a in listed.json()] == [derived]

    assert (await agreements_client.post(f"/agreements/{aid}/review")).status_code == 200
    stored = await db_pool.fetchval("SELECT state->>'partner_id' FROM agreements")
    assert stored == derived


async def test_a_row_written_before_the_archive_reads_with_no_documents(
        agreements_client: httpx.AsyncClient, db_pool: Pool) -> None:
    aid = (await agreements_client.post("/agreements", json=propose_body())).json()["id"]
    await db_pool.execute("UPDATE agreements SET state = state - 'documents'")  # as before
    one = await agreements_client.get(f"/agreements/{aid}")
    listed = await agreements_client.get("/agreements")
    assert one.status_code == 200 and one.json()["documents"] == []
    assert [a["documents"] for a in listed.json()] == [[]]
