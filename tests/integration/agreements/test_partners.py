"""The partner registry on the real PostgreSQL (docs/domain.md#partners): each partner once
(409 with ``existing_id``), its agreements together, a proposal naming a partner or a
partner_id, duplicates merged (301, resolved in commands), and the partners of agreements
proposed before the registry adopted from the feed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable
from typing import Any
from uuid import UUID, uuid4

import httpx

from contracts.partners import partner_id_of
from plumbing.db import Pool
from plumbing.settings import load_settings
from services.agreements.adapters.database import open_database
from services.agreements.adapters.event_store import PostgresEventStore
from services.agreements.application.service import AgreementService
from services.agreements.entrypoints.partner_adoption import adopt_partners
from services.agreements.settings import AgreementsSettings
from tests.auth import auth_headers
from tests.integration.agreements.conftest import propose_body
from tests.legacy import PROPOSED, append_legacy, legacy_proposal
from tests.waiting import read_until

DISKUK = auth_headers("opd:DISKUK", subject="diskuk")
BJB = {"name": "PT Bank Pembangunan Daerah Jawa Barat dan Banten Tbk",
       "category": "THIRD_PARTY", "country": "ID",
       "codes": [{"scheme": "NIB", "value": "8120000012345"}],
       "contact": {"name": "Divisi Kerja Sama", "email": "kerjasama@bankbjb.example",
                   "phone": "+62 22 1234567"}}
GYEONGBUK = {"name": "Gyeongsangbuk-do", "category": "FOREIGN_REGIONAL_GOVERNMENT",
             "country": "KR"}


async def _json(request: Awaitable[httpx.Response]) -> Any:
    return (await request).json()


def partner_of(body: dict[str, Any]) -> dict[str, Any]:
    return {k: body[k] for k in ("name", "category", "country")}


async def register(client: httpx.AsyncClient, body: dict[str, Any],
                   headers: dict[str, str] | None = None) -> httpx.Response:
    return await client.post("/partners", json=body, headers=headers)


async def test_a_partner_is_registered_once_however_its_name_is_spelt(
        agreements_client: httpx.AsyncClient) -> None:
    client = agreements_client
    first = await register(client, BJB, headers=DISKUK)
    assert first.status_code == 201, first.text
    pid = first.json()["id"]
    assert pid == str(partner_id_of(BJB["name"], "ID"))
    assert first.headers["Location"] == f"/partners/{pid}"

    shown = await client.get(f"/partners/{pid}")
    assert shown.status_code == 200 and shown.headers["ETag"] == '"1"'
    assert shown.json()["codes"] == BJB["codes"] and shown.json()["contact"]["phone"] == (
        "+62 22 1234567")
    assert shown.json()["stage"] == "ACTIVE" and shown.json()["agreements"] == []

    again = await register(client, {**BJB, "name": "pt. bank pembangunan daerah  JAWA BARAT "
                                    "dan banten, tbk", "category": "OTHER_INSTITUTION"})
    assert again.status_code == 409, again.text
    assert again.json()["existing_id"] == pid
    assert again.json()["type"] == "urn:kerjasama:problem:partner-exists"
    replayed = await client.post("/partners", json=BJB, headers={"Idempotency-Key": "bjb-1"})
    assert replayed.status_code == 409  # a new key: a duplicate
    first_keyed = await register(client, {**BJB, "country": "MY"}, headers={
        **DISKUK, "Idempotency-Key": "bjb-my"})
    retried = await register(client, {**BJB, "country": "MY"}, headers={
        **DISKUK, "Idempotency-Key": "bjb-my"})  # a retry answers the first result
    assert (retried.status_code, retried.json()) == (201, first_keyed.json())
    assert retried.headers["Idempotent-Replayed"] == "true"
    reused = await register(client, {**BJB, "country": "BN"}, headers={
        **DISKUK, "Idempotency-Key": "bjb-my"})
    assert reused.status_code == 422 and "Idempotency-Key" in reused.text
    assert (await client.get(f"/partners/{first_keyed.json()['id']}/events")).json()[0][
        "type"] == "kerjasama.partner.registered.v1"
    assert len((await client.get(f"/partners/{first_keyed.json()['id']}/events")).json()) == 1
    abroad = await register(client, {**BJB, "country": "SG", "contact": None})
    assert abroad.status_code == 201  # another country: another partner

    found = (await client.get("/partners", params={"q": "BANK  pembangunan"})).json()
    assert {p["id"] for p in found} == {pid, abroad.json()["id"], first_keyed.json()["id"]}
    assert [p["id"] for p in (await client.get(
        "/partners", params={"q": "bank", "country": "SG"})).json()] == [abroad.json()["id"]]
    assert (await client.get("/partners", params={"q": "tidak ada"})).json() == []


async def test_bad_partner_bodies_say_what_is_wrong(
        agreements_client: httpx.AsyncClient) -> None:
    client = agreements_client
    for body, field in (({**BJB, "name": "..."}, "name"),
                        ({**BJB, "country": "Indonesia"}, "country"),
                        ({**BJB, "codes": [{"scheme": "NIB", "value": "1"},
                                           {"scheme": "NIB", "value": "2"}]}, "codes"),
                        ({**BJB, "contact": {"email": "not-an-address"}}, "email"),
                        ({**BJB, "website": "x"}, "website")):
        answer = await register(client, body)
        assert answer.status_code == 422, (field, answer.text)
        assert field in answer.text
    assert (await client.get("/partners/not-a-uuid")).status_code == 404
    assert (await client.get(f"/partners/{uuid4()}")).status_code == 404
    assert (await client.get("/partners")).json() == []  # nothing was stored


async def test_the_tkksd_revises_a_partner_and_names_stay_unique(
        agreements_client: httpx.AsyncClient) -> None:
    client = agreements_client
    pid = (await register(client, BJB)).json()["id"]
    other = (await register(client, GYEONGBUK)).json()["id"]
    renamed = {**BJB, "name": "Bank BJB", "codes": []}

    assert (await client.put(f"/partners/{pid}", json=renamed,
                             headers=DISKUK)).status_code == 403
    stale = await client.put(f"/partners/{pid}", json=renamed, headers={"If-Match": '"7"'})
    assert stale.status_code == 412
    revised = await client.put(f"/partners/{pid}", json=renamed, headers={"If-Match": "1"})
    assert revised.status_code == 200 and revised.json()["version"] == 2
    assert (await client.get(f"/partners/{pid}")).json()["name"] == "Bank BJB"

    taken = await client.put(f"/partners/{other}", json={**GYEONGBUK, "name": "bank bjb",
                                                         "country": "ID",
                                                         "category": "THIRD_PARTY"})
    assert taken.status_code == 409 and taken.json()["existing_id"] == pid
    for name in (BJB["name"], "BANK-BJB"):  # the name it was registered under, and now
        again = await register(client, {**BJB, "name": name})
        assert again.status_code == 409 and again.json()["existing_id"] == pid
    assert (await client.put(f"/partners/{uuid4()}", json=renamed)).status_code == 404


async def test_a_proposal_names_exactly_one_of_partner_and_partner_id(
        agreements_client: httpx.AsyncClient) -> None:
    client = agreements_client
    pid = (await register(client, BJB)).json()["id"]
    both = await client.post("/agreements", json=propose_body(partner_id=pid))
    assert both.status_code == 422 and "exactly one" in both.text and "both" in both.text
    body = propose_body()
    del body["partner"]
    neither = await client.post("/agreements", json=body)
    assert neither.status_code == 422 and "neither" in neither.text
    unknown = await client.post("/agreements", json={**body, "partner_id": str(uuid4())})
    assert unknown.status_code == 422
    assert unknown.json()["type"] == "urn:kerjasama:problem:unknown-partner"
    assert (await client.get("/agreements")).json() == []

    by_id = await client.post("/agreements", json={**body, "partner_id": pid})
    assert by_id.status_code == 201, by_id.text
    view = (await client.get(f"/agreements/{by_id.json()['id']}")).json()
    assert view["partner_id"] == pid and view["partner"] == partner_of(BJB)


async def test_a_proposal_naming_a_new_partner_registers_it_and_a_known_one_reuses_it(
        agreements_client: httpx.AsyncClient) -> None:
    client = agreements_client
    first = await client.post("/agreements", json=propose_body())
    assert first.status_code == 201
    blibli = str(partner_id_of("blibli.com", "ID"))
    registered = (await client.get(f"/partners/{blibli}")).json()
    assert registered["name"] == "blibli.com" and registered["adopted"] is False
    assert [a["id"] for a in registered["agreements"]] == [first.json()["id"]]

    second = await client.post("/agreements", json=propose_body(
        title="Pelatihan UMKM", partner={"name": "BLIBLI .COM", "category": "THIRD_PARTY",
                                         "country": "ID"}))
    view = (await client.get(f"/agreements/{second.json()['id']}")).json()
    assert view["partner_id"] == blibli
    assert view["partner"]["name"] == "BLIBLI .COM"  # the agency's words, kept
    events = (await client.get(f"/partners/{blibli}/events")).json()
    assert [e["type"] for e in events] == ["kerjasama.partner.registered.v1"]
    feed = await read_until(lambda: _json(client.get("/events")), lambda f: len(f) == 3)
    assert [e["type"] for e in feed] == ["kerjasama.partner.registered.v1",
                                         "kerjasama.agreement.proposed.v2",
                                         "kerjasama.agreement.proposed.v2"]

    refused = await client.post("/agreements", json=propose_body(
        partner={"name": "Dinas Baru", "category": "REGIONAL_GOVERNMENT", "country": "ID"}))
    assert refused.status_code == 422  # KSDPK with a regional government: nothing stored
    assert (await client.get(f"/partners/{partner_id_of('Dinas Baru', 'ID')}")).status_code == (
        404)


async def test_proposals_racing_to_register_one_new_partner_register_it_once(
        agreements_client: httpx.AsyncClient) -> None:
    client = agreements_client
    answers = await asyncio.gather(*(client.post("/agreements", json=propose_body(
        title=f"PKS {i}", partner={"name": "PT Serentak", "category": "THIRD_PARTY",
                                   "country": "ID"})) for i in range(6)))
    assert [a.status_code for a in answers] == [201] * 6
    pid = partner_id_of("PT Serentak", "ID")
    assert len((await client.get(f"/partners/{pid}/events")).json()) == 1
    assert len((await client.get(f"/partners/{pid}")).json()["agreements"]) == 6


async def test_a_merged_partner_redirects_and_stands_for_the_partner_that_stays(
        agreements_client: httpx.AsyncClient) -> None:
    client = agreements_client
    stays = (await register(client, BJB)).json()["id"]
    old_name = {"name": "Bank Jabar Banten", "category": "THIRD_PARTY", "country": "ID"}
    duplicate = (await register(client, old_name)).json()["id"]
    before = (await client.post("/agreements", json=propose_body(partner=old_name))).json()

    assert (await client.post(f"/partners/{duplicate}/merge", json={"into": stays},
                              headers=DISKUK)).status_code == 403
    itself = await client.post(f"/partners/{duplicate}/merge", json={"into": duplicate})
    assert itself.status_code == 422 and "itself" in itself.text
    nowhere = await client.post(f"/partners/{duplicate}/merge", json={"into": str(uuid4())})
    assert nowhere.status_code == 422 and nowhere.json()["type"].endswith("unknown-partner")
    merged = await client.post(f"/partners/{duplicate}/merge", json={"into": stays})
    assert merged.status_code == 200 and merged.json()["stage"] == "MERGED"

    redirected = await client.get(f"/partners/{duplicate}", follow_redirects=False)
    assert redirected.status_code == 301
    assert redirected.headers["Location"] == f"/partners/{stays}"
    page = (await client.get(f"/partners/{stays}")).json()
    assert [a["id"] for a in page["agreements"]] == [before["id"]]
    assert page["agreements"][0]["partner_id"] == duplicate  # as recorded; it stands for stays

    for body in (propose_body(partner_id=duplicate, partner=None),
                 propose_body(partner=old_name)):
        later = await client.post("/agreements", json=body)
        assert later.status_code == 201, later.text
        view = (await client.get(f"/agreements/{later.json()['id']}")).json()
        assert view["partner_id"] == stays
    assert len((await client.get(f"/partners/{stays}")).json()["agreements"]) == 3

    again = await client.post(f"/partners/{duplicate}/merge", json={"into": stays})
    assert again.status_code == 409 and again.json()["type"].endswith("partner-merged")
    back = await client.post(f"/partners/{stays}/merge", json={"into": duplicate})
    assert back.status_code == 422  # into its own duplicate: itself
    assert (await client.put(f"/partners/{duplicate}", json=old_name)).status_code == 409
    registered_again = await register(client, old_name)
    assert registered_again.status_code == 409
    assert registered_again.json()["existing_id"] == stays
    listed = [p["id"] for p in (await client.get("/partners")).json()]
    assert stays in listed and duplicate not in listed  # only active partners are listed


async def test_a_chain_of_merges_resolves_to_the_last_partner(
        agreements_client: httpx.AsyncClient) -> None:
    client = agreements_client
    ids = [(await register(client, {**GYEONGBUK, "name": name})).json()["id"]
           for name in ("Gyeongbuk", "Gyeongsangbuk-do Province", "Gyeongsangbuk-do")]
    assert (await client.post(f"/partners/{ids[0]}/merge", json={"into": ids[1]})).is_success
    assert (await client.post(f"/partners/{ids[1]}/merge", json={"into": ids[2]})).is_success
    first = await client.get(f"/partners/{ids[0]}", follow_redirects=False)
    assert first.headers["Location"] == f"/partners/{ids[2]}"
    into_old = await client.post(f"/partners/{ids[2]}/merge", json={"into": ids[0]})
    assert into_old.status_code == 422


async def _adopt(database_url: str) -> list[UUID]:
    pool = await open_database(load_settings(AgreementsSettings,
                                             agreements_database_url=database_url))
    try:
        return await adopt_partners(pool, AgreementService(PostgresEventStore(pool)))
    finally:
        await pool.close()


async def test_the_partners_of_agreements_proposed_before_the_registry_are_adopted(
        agreements_client: httpx.AsyncClient, db_pool: Pool, database_url: str) -> None:
    client = agreements_client
    old = [uuid4(), uuid4(), uuid4()]
    await append_legacy(db_pool, str(old[0]), 1, PROPOSED, legacy_proposal(old[0]))
    await append_legacy(db_pool, str(old[1]), 1, PROPOSED, legacy_proposal(
        old[1], partner={"name": "PT. LAMA", "category": "THIRD_PARTY", "country": "ID"}))
    # renamed since: the registry holds another partner under the name an old one had
    holder = (await register(client, {"name": "PT Baru", "category": "THIRD_PARTY",
                                      "country": "ID"})).json()["id"]
    assert (await client.put(f"/partners/{holder}", json={
        "name": "PT Sinar", "category": "THIRD_PARTY", "country": "ID"})).is_success
    await append_legacy(db_pool, str(old[2]), 1, PROPOSED, legacy_proposal(
        old[2], partner={"name": "pt sinar", "category": "THIRD_PARTY", "country": "ID"}))
    # a read-model row written before partner ids
    await db_pool.execute(
        "INSERT INTO agreements (id, version, stage, kind, document_type, lead_opd, state,"
        " updated_position) SELECT $1, 1, 'PROPOSED', 'KSDPK', 'MOU', 'DISKUK', $2::jsonb, 1",
        old[0], json.dumps({"id": str(old[0]), "title": "Kerja sama lama", "partner": {
            "name": "PT Lama", "category": "THIRD_PARTY", "country": "ID"}}))

    lama, sinar = partner_id_of("PT Lama", "ID"), partner_id_of("pt sinar", "ID")
    adopted: list[UUID] = []
    for _ in range(300):  # the feed holds back while any writer of the cluster runs
        first, second = await asyncio.gather(_adopt(database_url), _adopt(database_url))
        adopted += first + second  # two replicas at once: each partner adopted once
        if len(adopted) >= 2:
            break
        await asyncio.sleep(0.1)
    assert sorted(adopted) == sorted([lama, sinar])
    assert await _adopt(database_url) == []

    adopted = (await client.get(f"/partners/{lama}")).json()
    assert adopted["adopted"] is True and adopted["name"] == "PT Lama"
    assert [a["id"] for a in adopted["agreements"]] == [str(old[0])]
    moved = await client.get(f"/partners/{sinar}", follow_redirects=False)
    assert moved.status_code == 301 and moved.headers["Location"] == f"/partners/{holder}"
    events = (await client.get(f"/partners/{sinar}/events")).json()
    assert [e["type"] for e in events] == ["kerjasama.partner.registered.v1",
                                           "kerjasama.partner.merged.v1"]
    assert events[0]["data"]["adopted"] is True
    assert events[1]["data"]["into"] == holder
