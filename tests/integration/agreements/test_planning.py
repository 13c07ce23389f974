"""The planning side on the real PostgreSQL (docs/domain.md#planning): the work program's
priorities and mapping due date, the yearly cooperation mapping, and what a proposal and a
follow-up carry of it (priority, mapping item, value, revenue)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.auth import auth_headers
from tests.integration.agreements.conftest import SIGN_BODY, propose_body, to_ready_to_sign
from tests.waiting import read_until

PRIORITIES = [{"code": "PEMULIHAN_EKONOMI", "name": "Pemulihan ekonomi daerah"},
              {"code": "COVID19", "name": "Penanganan Covid-19"}]
PROGRAM = {"realization_target": 80, "effectiveness_target": 60, "priorities": PRIORITIES,
           "mapping_due_on": "2021-03-31"}
DISPARBUD = auth_headers("opd:DISPARBUD", subject="disparbud")
DISKUK = auth_headers("opd:DISKUK", subject="diskuk")


def item_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "affair": "Pariwisata", "description": "Promosi wisata bersama provinsi kembar",
        "prospective_partners": ["Gyeongsangbuk-do"],
        "rpjmd_target": "Meningkatnya kunjungan wisatawan mancanegara",
        "priority": "PEMULIHAN_EKONOMI"}
    body.update(changes)
    return body


async def adopt(client: httpx.AsyncClient, **changes: Any) -> None:
    answer = await client.post("/work-programs/2021", json={**PROGRAM, **changes})
    assert answer.status_code in (200, 201), answer.text


async def add_item(client: httpx.AsyncClient, opd: str = "DISPARBUD",
                   headers: dict[str, str] | None = None, **changes: Any) -> httpx.Response:
    return await client.post(f"/mappings/2021/{opd}/items", json=item_body(**changes),
                             headers=headers or DISPARBUD)


async def test_the_work_program_carries_its_priorities_and_mapping_due_date(
        agreements_client: httpx.AsyncClient) -> None:
    client = agreements_client
    assert (await client.get("/work-programs/2021")).status_code == 404
    await adopt(client)
    program = (await client.get("/work-programs/2021")).json()
    assert program["priorities"] == PRIORITIES and program["mapping_due_on"] == "2021-03-31"

    twice = await client.post("/work-programs/2021", json={
        **PROGRAM, "priorities": [PRIORITIES[0], {**PRIORITIES[1], "code": PRIORITIES[0]["code"]}]})
    assert twice.status_code == 422 and "given twice" in twice.text
    lower = await client.post("/work-programs/2021", json={
        **PROGRAM, "priorities": [{"code": "ekonomi", "name": "x"}]})
    assert lower.status_code == 422

    await adopt(client, priorities=[PRIORITIES[1]], mapping_due_on=None)  # the whole program
    program = (await client.get("/work-programs/2021")).json()
    assert program["priorities"] == [PRIORITIES[1]] and program["mapping_due_on"] is None
    assert program["version"] == 2


async def test_an_agency_maps_its_own_cooperation_and_the_tkksd_maps_for_any(
        agreements_client: httpx.AsyncClient) -> None:
    client = agreements_client
    await adopt(client)
    added = await add_item(client)
    assert added.status_code == 201, added.text
    item_id = added.json()["id"]
    assert added.json()["stage"] == "ACTIVE" and added.headers["Location"] == (
        f"/mapping-items/{item_id}")

    other = await add_item(client, headers=DISKUK)
    assert other.status_code == 403 and "DISPARBUD" in other.json()["detail"]
    for_any = await add_item(client, "DISKUK", headers=auth_headers("tkksd"),
                             affair="Koperasi", priority=None)
    assert for_any.status_code == 201

    year = (await client.get("/mappings/2021")).json()
    assert [(i["opd"], i["affair"]) for i in year] == [("DISKUK", "Koperasi"),
                                                       ("DISPARBUD", "Pariwisata")]
    mine = (await client.get("/mappings/2021/DISPARBUD")).json()
    assert [i["id"] for i in mine] == [item_id]
    assert mine[0]["prospective_partners"] == ["Gyeongsangbuk-do"]
    assert (await client.get("/mappings/2022")).json() == []

    events = (await client.get(f"/mapping-items/{item_id}/events")).json()
    assert [e["type"] for e in events] == ["kerjasama.mapping.item_added.v1"]
    assert events[0]["subject"] == f"mapping-item-{item_id}"
    async def feed_types() -> set[str]:
        return {e["type"] for e in (await client.get("/events")).json()}

    # The feed holds back while a transaction of any database of the cluster runs.
    types = await read_until(feed_types, lambda found: "kerjasama.mapping.item_added.v1" in found)
    assert "kerjasama.mapping.item_added.v1" in types


async def test_a_priority_must_be_one_of_the_years_work_program(
        agreements_client: httpx.AsyncClient) -> None:
    client = agreements_client
    no_program = await add_item(client)
    assert no_program.status_code == 422
    assert no_program.json()["type"].endswith("unknown-priority")
    await adopt(client)
    unknown = await add_item(client, priority="ASET")
    assert unknown.status_code == 422 and "PEMULIHAN_EKONOMI" in unknown.json()["detail"]
    assert (await add_item(client, priority=None)).status_code == 201
    assert (await client.get("/mappings/2021")).json()[0]["priority"] is None


async def test_revising_and_withdrawing_an_item(agreements_client: httpx.AsyncClient) -> None:
    client = agreements_client
    await adopt(client)
    item_id = (await add_item(client)).json()["id"]
    revised = await client.put(f"/mapping-items/{item_id}", headers={**DISPARBUD,
                               "If-Match": '"1"'}, json=item_body(priority="COVID19"))
    assert revised.status_code == 200 and revised.json()["version"] == 2
    stale = await client.put(f"/mapping-items/{item_id}", headers={**DISPARBUD,
                             "If-Match": "1"}, json=item_body())
    assert stale.status_code == 412
    foreign = await client.put(f"/mapping-items/{item_id}", headers=DISKUK, json=item_body())
    assert foreign.status_code == 403
    got = await client.get(f"/mapping-items/{item_id}")
    assert got.json()["priority"] == "COVID19" and got.headers["ETag"] == '"2"'

    withdrawn = await client.post(f"/mapping-items/{item_id}/withdraw", headers=DISPARBUD,
                                  json={"reason": "Digabung"})
    assert withdrawn.json()["stage"] == "WITHDRAWN"
    again = await client.post(f"/mapping-items/{item_id}/withdraw", headers=DISPARBUD)
    assert again.status_code == 409
    assert (await client.put(f"/mapping-items/{item_id}", headers=DISPARBUD,
                             json=item_body())).status_code == 409
    active = (await client.get("/mappings/2021", params={"stage": "ACTIVE"})).json()
    assert active == []
    assert (await client.get("/mapping-items/not-a-uuid")).status_code == 404
    missing = await client.post("/mapping-items/00000000-0000-0000-0000-000000000000/withdraw")
    assert missing.status_code == 404


async def test_a_repeated_key_answers_the_first_item(
        agreements_client: httpx.AsyncClient) -> None:
    client = agreements_client
    await adopt(client)
    headers = {**DISPARBUD, "Idempotency-Key": "map-1"}
    first = await client.post("/mappings/2021/DISPARBUD/items", json=item_body(),
                              headers=headers)
    again = await client.post("/mappings/2021/DISPARBUD/items", json=item_body(),
                              headers=headers)
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert len((await client.get("/mappings/2021")).json()) == 1


@pytest.mark.parametrize("bad", [{"affair": ""}, {"rpjmd_target": None},
                                 {"priority": "lower"}, {"colour": "red"},
                                 {"prospective_partners": ["x"] * 21}])
async def test_a_malformed_item_is_refused_naming_the_field(
        agreements_client: httpx.AsyncClient, bad: dict[str, Any]) -> None:
    answer = await add_item(agreements_client, **bad)
    assert answer.status_code == 422
    assert next(iter(bad)) in answer.text
    assert (await agreements_client.get("/events")).json() == []


async def test_a_proposal_names_its_priority_mapping_item_and_value(
        agreements_client: httpx.AsyncClient) -> None:
    client = agreements_client
    await adopt(client)
    item_id = (await add_item(client, "DISKUK", headers=DISKUK,
                              priority="COVID19")).json()["id"]
    created = await client.post("/agreements", headers=DISKUK, json=propose_body(
        mapping_item_id=item_id, value_cash=250_000_000, value_in_kind=75_000_000))
    assert created.status_code == 201, created.text
    state = (await client.get(f"/agreements/{created.json()['id']}")).json()
    assert state["priority"] == "COVID19"  # the item's, when the proposal names none
    assert (state["mapping_item_id"], state["value_cash"], state["value_in_kind"]) == (
        item_id, 250_000_000, 75_000_000)

    own = await client.post("/agreements", headers=DISKUK, json=propose_body(
        mapping_item_id=item_id, priority="PEMULIHAN_EKONOMI"))
    assert (await client.get(f"/agreements/{own.json()['id']}")).json()["priority"] == (
        "PEMULIHAN_EKONOMI")
    unknown = await client.post("/agreements", json=propose_body(priority="ASET"))
    assert unknown.status_code == 422 and unknown.json()["type"].endswith("unknown-priority")

    theirs = (await add_item(client, priority=None)).json()["id"]
    foreign = await client.post("/agreements", json=propose_body(mapping_item_id=theirs))
    assert foreign.status_code == 422 and "DISPARBUD" in foreign.json()["detail"]
    gone = await client.post("/agreements", json=propose_body(
        mapping_item_id="00000000-0000-0000-0000-000000000000"))
    assert gone.status_code == 422 and gone.json()["type"].endswith("mapping-item-not-usable")
    await client.post(f"/mapping-items/{item_id}/withdraw")
    withdrawn = await client.post("/agreements", json=propose_body(mapping_item_id=item_id))
    assert withdrawn.status_code == 422 and "withdrawn" in withdrawn.json()["detail"]


@pytest.mark.parametrize("value", [-1, 1.5, "1000", True, 10**15 + 1])
async def test_a_value_is_whole_rupiah(agreements_client: httpx.AsyncClient,
                                       value: Any) -> None:
    answer = await agreements_client.post("/agreements", json=propose_body(value_cash=value))
    assert answer.status_code == 422 and "value_cash" in answer.text


async def test_follow_ups_carry_revenue(agreements_client: httpx.AsyncClient) -> None:
    client = agreements_client
    aid = await to_ready_to_sign(client)
    assert (await client.post(f"/agreements/{aid}/sign", json=SIGN_BODY)).status_code == 200
    for on, revenue in (("2021-05-10", 12_500_000), ("2021-06-10", None),
                        ("2022-01-10", 7_500_000)):
        answer = await client.post(f"/agreements/{aid}/follow-ups", json={
            "on": on, "summary": "Penjualan", "revenue": revenue})
        assert answer.status_code == 200, answer.text
    assert (await client.get(f"/agreements/{aid}")).json()["revenue"] == 20_000_000
    events = (await client.get(f"/agreements/{aid}/events")).json()
    assert [e["data"].get("revenue") for e in events[-3:]] == [12_500_000, None, 7_500_000]
    refused = await client.post(f"/agreements/{aid}/follow-ups", json={
        "on": "2021-07-01", "summary": "x", "revenue": -5})
    assert refused.status_code == 422


async def test_an_item_a_signed_agreement_realised_is_not_withdrawn(
        agreements_client: httpx.AsyncClient) -> None:
    client = agreements_client
    await adopt(client)
    realised = (await add_item(client, "DISKUK", headers=DISKUK)).json()["id"]
    open_item = (await add_item(client, "DISKUK", headers=DISKUK)).json()["id"]
    aid = await to_ready_to_sign(client, mapping_item_id=realised)
    proposed_only = await client.post("/agreements", json=propose_body(
        mapping_item_id=open_item))
    assert proposed_only.status_code == 201
    assert (await client.post(f"/agreements/{aid}/sign", json=SIGN_BODY)).status_code == 200

    refused = await client.post(f"/mapping-items/{realised}/withdraw", headers=DISKUK)
    assert refused.status_code == 409
    assert refused.json()["type"].endswith("mapping-item-realised")
    # an item only proposed, not signed, may still be withdrawn
    assert (await client.post(f"/mapping-items/{open_item}/withdraw",
                              headers=DISKUK)).status_code == 200
