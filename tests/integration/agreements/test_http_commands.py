"""The HTTP interface of docs/domain.md#http-interface against the real PostgreSQL."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx
import pytest

from contracts.partner_registry import partner_stream_id
from contracts.partners import partner_id_of
from tests.integration.agreements.conftest import SIGN_BODY, propose_body, to_ready_to_sign
from tests.waiting import read_until

REGISTERED = "kerjasama.partner.registered.v1"
BLIBLI = partner_stream_id(partner_id_of("blibli.com", "ID"))
"""The stream of propose_body()'s partner, new to the registry: its first proposal
registers it, before the proposal and in the same transaction."""


async def _event_count(database_url: str) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM events"))
    finally:
        await conn.close()


async def _stored(database_url: str) -> list[tuple[str, str]]:
    """Every stored event as (stream, type), in position order."""
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch("SELECT stream_id, type FROM events ORDER BY position")
    finally:
        await conn.close()
    return [(r["stream_id"], r["type"]) for r in rows]


async def test_a_proposal_answers_201_with_location_and_can_be_read_back(
        agreements_client: httpx.AsyncClient) -> None:
    created = await agreements_client.post("/agreements", json=propose_body())
    assert created.status_code == 201
    body = created.json()
    assert body["version"] == 1 and body["stage"] == "PROPOSED"
    assert created.headers["Location"] == f"/agreements/{body['id']}"
    got = await agreements_client.get(created.headers["Location"])
    assert got.status_code == 200
    assert got.headers["ETag"] == '"1"'
    assert got.json()["stage"] == "PROPOSED"
    assert got.json()["sleeping"] is False


async def test_the_lifecycle_reaches_signed_and_the_stream_shows_every_event(
        agreements_client: httpx.AsyncClient) -> None:
    aid = await to_ready_to_sign(agreements_client)
    signed = await agreements_client.post(f"/agreements/{aid}/sign", json=SIGN_BODY)
    assert signed.status_code == 200, signed.text
    assert signed.json() == {"id": aid, "version": 5, "stage": "SIGNED"}
    events = (await agreements_client.get(f"/agreements/{aid}/events")).json()
    assert [e["type"] for e in events] == [
        "kerjasama.agreement.proposed.v2", "kerjasama.agreement.review_started.v1",
        "kerjasama.agreement.drafted.v1", "kerjasama.agreement.discussed.v1",
        "kerjasama.agreement.signed.v1"]
    assert [e["sequence"] for e in events] == [f"{v:010d}" for v in range(1, 6)]
    assert all(e["subject"] == aid and e["data"]["version"] == i + 1
               for i, e in enumerate(events))
    async def read_feed() -> list[dict[str, object]]:
        answer = await agreements_client.get("/events", params={"after": 0})
        return list(answer.json())

    # The feed holds back while a transaction of any database of the cluster runs.
    feed = await read_until(read_feed, lambda found: len(found) >= 1 + len(events))
    assert [(e["subject"], e["type"]) for e in feed[:1]] == [(BLIBLI, REGISTERED)]
    assert [e["id"] for e in feed[1:]] == [e["id"] for e in events]
    positions = [e["position"] for e in feed]
    assert positions == sorted(positions)


async def test_checks_run_in_the_documented_order(
        agreements_client: httpx.AsyncClient, database_url: str) -> None:
    aid = (await agreements_client.post("/agreements", json=propose_body())).json()["id"]
    unknown = "00000000-0000-4000-8000-000000000000"
    before = await _event_count(database_url)
    # invalid body beats unknown id
    bad = await agreements_client.post(f"/agreements/{unknown}/sign", json={"number": 1})
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert "signed_on" in bad.json()["detail"]
    # unknown id beats version mismatch
    assert (await agreements_client.post(f"/agreements/{unknown}/sign", json=SIGN_BODY,
                                         headers={"If-Match": "9"})).status_code == 404
    # version mismatch beats the stage
    assert (await agreements_client.post(f"/agreements/{aid}/sign", json=SIGN_BODY,
                                         headers={"If-Match": "9"})).status_code == 412
    # the stage beats a broken rule (a foreign-only signatory is wrong here, but 409 first)
    wrong = {**SIGN_BODY, "effective_until": "2031-01-01"}
    conflict = await agreements_client.post(f"/agreements/{aid}/sign", json=wrong)
    assert conflict.status_code == 409
    assert "PROPOSED" in conflict.json()["detail"]
    assert await _event_count(database_url) == before


async def test_a_broken_rule_is_a_422_problem_that_says_what_is_wrong(
        agreements_client: httpx.AsyncClient, database_url: str) -> None:
    refused = await agreements_client.post("/agreements", json=propose_body(
        partner={"name": "Gyeongsangbuk-do", "category": "FOREIGN_REGIONAL_GOVERNMENT",
                 "country": "KR"}))
    assert refused.status_code == 422
    problem = refused.json()
    assert problem["status"] == 422 and "FOREIGN_REGIONAL_GOVERNMENT" in problem["detail"]
    aid = await to_ready_to_sign(agreements_client)
    before = await _event_count(database_url)
    too_long = await agreements_client.post(f"/agreements/{aid}/sign", json={
        **SIGN_BODY, "effective_until": "2026-04-21"})
    assert too_long.status_code == 422
    assert "5 years" in too_long.json()["detail"]
    assert await _event_count(database_url) == before


@pytest.mark.parametrize("if_match", ["2", '"2"'])
async def test_if_match_takes_a_bare_or_quoted_version(
        agreements_client: httpx.AsyncClient, if_match: str) -> None:
    aid = (await agreements_client.post("/agreements", json=propose_body())).json()["id"]
    await agreements_client.post(f"/agreements/{aid}/review")
    ok = await agreements_client.post(f"/agreements/{aid}/draft", json={"note": "x"},
                                      headers={"If-Match": if_match})
    assert ok.status_code == 200 and ok.json()["version"] == 3
    stale = await agreements_client.post(f"/agreements/{aid}/draft", json={"note": "y"},
                                         headers={"If-Match": if_match})
    assert stale.status_code == 412


async def test_a_repeated_idempotency_key_answers_the_first_result_and_stores_nothing(
        agreements_client: httpx.AsyncClient, database_url: str) -> None:
    headers = {"Idempotency-Key": "propose-blibli-1"}
    first = await agreements_client.post("/agreements", json=propose_body(), headers=headers)
    again = await agreements_client.post("/agreements", json=propose_body(), headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json() == again.json()
    assert first.headers["Location"] == again.headers["Location"]
    proposed = [(BLIBLI, REGISTERED), (first.json()["id"], "kerjasama.agreement.proposed.v2")]
    assert await _stored(database_url) == proposed
    reused = await agreements_client.post("/agreements", json=propose_body(title="Lain"),
                                          headers=headers)
    assert reused.status_code == 422
    assert "Idempotency-Key" in reused.json()["detail"]
    assert await _stored(database_url) == proposed


async def test_a_refused_command_is_not_remembered(
        agreements_client: httpx.AsyncClient) -> None:
    aid = (await agreements_client.post("/agreements", json=propose_body())).json()["id"]
    headers = {"Idempotency-Key": "draft-early"}
    early = await agreements_client.post(f"/agreements/{aid}/draft", json={"note": "x"},
                                         headers=headers)
    assert early.status_code == 409
    await agreements_client.post(f"/agreements/{aid}/review")
    later = await agreements_client.post(f"/agreements/{aid}/draft", json={"note": "x"},
                                         headers=headers)
    assert later.status_code == 200 and later.json()["stage"] == "DRAFTING"


async def test_a_work_program_is_created_then_replaced(
        agreements_client: httpx.AsyncClient) -> None:
    body = {"realization_target": 80, "effectiveness_target": 60}
    first = await agreements_client.post("/work-programs/2021", json=body)
    assert first.status_code == 201
    assert first.json() == {"id": "work-program-2021", "version": 1, "stage": "ADOPTED"}
    second = await agreements_client.post("/work-programs/2021", json={**body,
                                                                        "effectiveness_target": 65})
    assert second.status_code == 200 and second.json()["version"] == 2


async def test_fifty_concurrent_conflicting_commands_win_each_version_once(
        agreements_client: httpx.AsyncClient, database_url: str) -> None:
    aid = await to_ready_to_sign(agreements_client)
    pinned = await asyncio.gather(*(
        agreements_client.post(f"/agreements/{aid}/sign", json=SIGN_BODY,
                               headers={"If-Match": "4"}) for _ in range(25)))
    free = await asyncio.gather(*(
        agreements_client.post(f"/agreements/{aid}/sign", json=SIGN_BODY)
        for _ in range(25)))
    codes = sorted(r.status_code for r in [*pinned, *free])
    assert codes.count(200) == 1
    assert set(codes) <= {200, 409, 412}
    conn = await asyncpg.connect(database_url)
    try:
        versions = [r[0] for r in await conn.fetch(
            "SELECT version FROM events WHERE stream_id = $1 ORDER BY version", aid)]
    finally:
        await conn.close()
    assert versions == [1, 2, 3, 4, 5]


async def test_concurrent_compatible_commands_all_land_without_gaps(
        agreements_client: httpx.AsyncClient, database_url: str) -> None:
    aid = await to_ready_to_sign(agreements_client)
    await agreements_client.post(f"/agreements/{aid}/sign", json=SIGN_BODY)
    answers = await asyncio.gather(*(
        agreements_client.post(f"/agreements/{aid}/follow-ups",
                               json={"on": "2021-05-10", "summary": f"Kegiatan {i}"})
        for i in range(50)))
    assert [a.status_code for a in answers] == [200] * 50
    assert sorted(a.json()["version"] for a in answers) == list(range(6, 56))
    events = (await agreements_client.get(f"/agreements/{aid}/events")).json()
    assert [e["data"]["version"] for e in events] == list(range(1, 56))


async def test_metrics_count_handled_and_refused_commands_by_type(
        agreements_client: httpx.AsyncClient) -> None:
    def sample(text: str, line_start: str) -> float:
        for line in text.splitlines():
            if line.startswith(line_start):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    accepted = 'kerjasama_agreements_commands_total{command="agreement.propose",' \
               'outcome="accepted",status="201"}'
    refused = 'kerjasama_agreements_commands_total{command="agreement.sign",' \
              'outcome="refused",status="409"}'
    before = (await agreements_client.get("/metrics")).text
    aid = (await agreements_client.post("/agreements", json=propose_body())).json()["id"]
    await agreements_client.post(f"/agreements/{aid}/sign", json=SIGN_BODY)
    after = (await agreements_client.get("/metrics")).text
    assert sample(after, accepted) == sample(before, accepted) + 1
    assert sample(after, refused) == sample(before, refused) + 1
    assert sample(after, "kerjasama_agreements_append_seconds_count") > 0


async def test_a_pks_is_signed_only_after_its_parent(
        agreements_client: httpx.AsyncClient, database_url: str) -> None:
    mou = await to_ready_to_sign(agreements_client, document_type="MOU")
    pks = await to_ready_to_sign(agreements_client, parent_id=mou)
    before = await _event_count(database_url)
    early = await agreements_client.post(f"/agreements/{pks}/sign", json=SIGN_BODY)
    assert early.status_code == 422 and mou in early.json()["detail"]
    assert await _event_count(database_url) == before
    assert (await agreements_client.post(f"/agreements/{mou}/sign",
                                         json=SIGN_BODY)).status_code == 200
    assert (await agreements_client.post(f"/agreements/{pks}/sign",
                                         json=SIGN_BODY)).status_code == 200
    parent = (await agreements_client.get(f"/agreements/{mou}")).json()
    assert parent["last_child_signed_on"] == SIGN_BODY["signed_on"]


async def test_an_idempotency_key_is_scoped_to_its_caller(
        agreements_client: httpx.AsyncClient) -> None:
    from tests.auth import auth_headers

    key = {"Idempotency-Key": "same-key-for-two-callers"}
    first = await agreements_client.post("/agreements", json=propose_body(), headers=key)
    again = await agreements_client.post("/agreements", json=propose_body(), headers=key)
    other = await agreements_client.post(
        "/agreements", json=propose_body(),
        headers={**key, **auth_headers("tkksd", subject="another-caller")})
    assert first.status_code == other.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert other.json()["id"] != first.json()["id"]
    assert "Idempotent-Replayed" not in other.headers


async def test_a_partner_named_without_a_letter_or_digit_is_a_422_naming_the_field(
        agreements_client: httpx.AsyncClient) -> None:
    body = propose_body(partner={"name": " ._. ", "category": "THIRD_PARTY", "country": "ID"})
    refused = await agreements_client.post("/agreements", json=body)
    assert refused.status_code == 422, refused.text
    assert "body.partner.name" in [e.get("field") for e in refused.json()["errors"]]
    assert "letter or digit" in refused.text
