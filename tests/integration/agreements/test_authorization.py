"""Who may do what: bearer tokens, roles, one test per rule; refusals store nothing."""

from __future__ import annotations

import asyncpg
import httpx

from plumbing.auth import mint_dev_token
from tests.auth import auth_headers, dev_key
from tests.integration.agreements.conftest import SIGN_BODY, propose_body, to_ready_to_sign

AGENCY = auth_headers("opd:DISKUK", subject="staf.diskuk")
OTHER_AGENCY = auth_headers("opd:DISHUB", subject="staf.dishub")
SUPPORTING = auth_headers("opd:DISPERINDAG", subject="staf.disperindag")
SECRETARIAT = auth_headers("tkksd", subject="sekretariat.tkksd")
REGIONAL_SECRETARY = auth_headers("sekda", subject="sekda")
READER = auth_headers("reporting", subject="dasbor")


async def stored(database_url: str) -> tuple[int, int]:
    conn = await asyncpg.connect(database_url)
    try:
        return (await conn.fetchval("SELECT count(*) FROM events"),
                await conn.fetchval("SELECT count(*) FROM commands"))
    finally:
        await conn.close()


async def test_no_token_a_forged_or_an_expired_one_is_a_401_and_stores_nothing(
        agreements_client: httpx.AsyncClient, database_url: str) -> None:
    forged = mint_dev_token(b"x" * 48, "intruder", ["tkksd"])
    expired = mint_dev_token(dev_key(), "late", ["tkksd"], ttl_seconds=-60)
    for headers in ({"Authorization": ""}, {"Authorization": f"Bearer {forged}"},
                    {"Authorization": f"Bearer {expired}"}, {"Authorization": "Basic eDp5"}):
        answer = await agreements_client.post("/agreements", json=propose_body(),
                                              headers=headers)
        assert answer.status_code == 401, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.headers["www-authenticate"].startswith("Bearer")
    assert (await agreements_client.get("/healthz", headers={"Authorization": ""})
            ).status_code == 200
    assert await stored(database_url) == (0, 0)


async def test_an_agency_proposes_for_itself_and_the_actor_is_recorded(
        agreements_client: httpx.AsyncClient, database_url: str) -> None:
    created = await agreements_client.post("/agreements", json=propose_body(), headers=AGENCY)
    assert created.status_code == 201, created.text
    conn = await asyncpg.connect(database_url)
    try:
        actor = await conn.fetchval("SELECT metadata->>'actor' FROM events")
    finally:
        await conn.close()
    assert actor == "staf.diskuk"


async def test_one_agency_acting_for_another_gets_403_and_nothing_is_stored(
        agreements_client: httpx.AsyncClient, database_url: str) -> None:
    refused = await agreements_client.post("/agreements", json=propose_body(),
                                           headers=OTHER_AGENCY)
    assert refused.status_code == 403
    assert "DISKUK" in refused.json()["detail"] and "DISHUB" in refused.json()["detail"]
    aid = await to_ready_to_sign(agreements_client, supporting_opds=["DISPERINDAG"])
    assert (await agreements_client.post(f"/agreements/{aid}/sign", json=SIGN_BODY,
                                         headers=SECRETARIAT)).status_code == 200
    before = await stored(database_url)
    follow_up = {"on": "2021-05-03", "summary": "Rapat koordinasi"}
    for action, body in (("follow-ups", follow_up), ("withdraw", None),
                         ("plan", {"milestones": [{"id": "m1", "title": "Galeri",
                                                  "due_on": "2021-09-30"}]})):
        answer = await agreements_client.post(f"/agreements/{aid}/{action}", json=body,
                                              headers=OTHER_AGENCY)
        assert answer.status_code == 403, (action, answer.text)
    assert await stored(database_url) == before


async def test_lead_and_supporting_agencies_record_follow_up_and_only_the_lead_withdraws(
        agreements_client: httpx.AsyncClient) -> None:
    aid = await to_ready_to_sign(agreements_client, supporting_opds=["DISPERINDAG"])
    await agreements_client.post(f"/agreements/{aid}/sign", json=SIGN_BODY)
    for headers, on in ((AGENCY, "2021-05-03"), (SUPPORTING, "2021-05-10")):
        answer = await agreements_client.post(f"/agreements/{aid}/follow-ups", headers=headers,
                                              json={"on": on, "summary": "Pelatihan UMKM"})
        assert answer.status_code == 200, answer.text
    proposal = await agreements_client.post(
        "/agreements", json=propose_body(supporting_opds=["DISPERINDAG"]), headers=AGENCY)
    pid = proposal.json()["id"]
    assert (await agreements_client.post(f"/agreements/{pid}/withdraw",
                                         headers=SUPPORTING)).status_code == 403
    assert (await agreements_client.post(f"/agreements/{pid}/withdraw",
                                         headers=AGENCY)).status_code == 200


async def test_review_drafting_discussion_approval_and_signing_are_the_secretariats(
        agreements_client: httpx.AsyncClient, database_url: str) -> None:
    created = await agreements_client.post("/agreements", json=propose_body(), headers=AGENCY)
    aid = created.json()["id"]
    before = await stored(database_url)
    for headers in (AGENCY, REGIONAL_SECRETARY, READER):
        answer = await agreements_client.post(f"/agreements/{aid}/review", headers=headers)
        assert answer.status_code == 403, answer.text
    assert await stored(database_url) == before
    assert (await agreements_client.post(f"/agreements/{aid}/review",
                                         headers=SECRETARIAT)).status_code == 200


async def test_the_work_program_is_the_regional_secretarys(
        agreements_client: httpx.AsyncClient) -> None:
    targets = {"realization_target": 80, "effectiveness_target": 60}
    for headers in (SECRETARIAT, AGENCY):
        assert (await agreements_client.post("/work-programs/2021", json=targets,
                                             headers=headers)).status_code == 403
    assert (await agreements_client.post("/work-programs/2021", json=targets,
                                         headers=REGIONAL_SECRETARY)).status_code == 201


async def test_every_role_may_read_and_a_reader_may_not_write(
        agreements_client: httpx.AsyncClient) -> None:
    created = await agreements_client.post("/agreements", json=propose_body(), headers=AGENCY)
    aid = created.json()["id"]
    for headers in (AGENCY, OTHER_AGENCY, SECRETARIAT, REGIONAL_SECRETARY, READER,
                    auth_headers("governor")):
        assert (await agreements_client.get(f"/agreements/{aid}",
                                            headers=headers)).status_code == 200
        assert (await agreements_client.get("/events", headers=headers)).status_code == 200
    assert (await agreements_client.post("/agreements", json=propose_body(),
                                         headers=READER)).status_code == 403
