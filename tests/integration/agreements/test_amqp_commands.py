"""Commands over AMQP from a plain aio-pika client: replies, HTTP-equal problems, dead letters."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import aio_pika
import aio_pika.abc
import httpx
import pytest

from plumbing.settings import load_settings
from services.agreements.app import create_app
from services.agreements.settings import AgreementsSettings
from tests.auth import auth_headers
from tests.conftest import MANAGEMENT_URL
from tests.integration.agreements.conftest import propose_body
from tests.waiting import read_until, until


@dataclass
class Outsider:
    """An outside system: plain aio-pika, hand-written CloudEvents, its own reply queue."""

    channel: aio_pika.abc.AbstractChannel
    replies: aio_pika.abc.AbstractQueue
    answers: dict[str, dict[str, Any]]
    reply_headers: dict[str, dict[str, Any]]

    async def send(self, routing_key: str, data: dict[str, Any] | None = None, *,
                   body: bytes | None = None, user_id: str | None = "guest",
                   headers: dict[str, Any] | None = None) -> str:
        correlation_id = str(uuid4())
        if body is None:
            body = json.dumps({
                "specversion": "1.0", "id": str(uuid4()), "source": "/regency/bekasi",
                "type": f"kerjasama.{routing_key}.v1", "time": "2021-02-18T10:00:00+07:00",
                "datacontenttype": "application/json", "data": data,
            }).encode()
        exchange = await self.channel.get_exchange("kerjasama.commands")
        await exchange.publish(aio_pika.Message(
            body, content_type="application/cloudevents+json", correlation_id=correlation_id,
            reply_to=self.replies.name, delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            user_id=user_id, headers=headers),  # user_id: validated by the broker
            routing_key)
        return correlation_id

    async def answer(self, correlation_id: str) -> dict[str, Any]:
        await until(lambda: correlation_id in self.answers, 20, "the reply")
        return self.answers[correlation_id]


@pytest.fixture
async def live(database_url: str, fresh_topology: str
               ) -> AsyncIterator[tuple[httpx.AsyncClient, Outsider]]:
    settings = load_settings(AgreementsSettings, agreements_database_url=database_url,
                             amqp_url=fresh_topology, rabbitmq_management_url=MANAGEMENT_URL,
                             amqp_user_roles={"guest": ["tkksd"]})
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
                headers=auth_headers(), transport=transport, base_url="http://agreements") as http:
            for _ in range(300):
                if (await http.get("/readyz")).status_code == 200:
                    break
                await asyncio.sleep(0.1)
            connection = await aio_pika.connect(fresh_topology)
            async with connection:
                channel = await connection.channel()
                replies = await channel.declare_queue(exclusive=True)
                answers: dict[str, dict[str, Any]] = {}
                reply_headers: dict[str, dict[str, Any]] = {}

                async def on_reply(message: aio_pika.abc.AbstractIncomingMessage) -> None:
                    async with message.process():
                        reply_headers[str(message.correlation_id)] = dict(message.headers)
                        answers[str(message.correlation_id)] = json.loads(message.body)

                await replies.consume(on_reply)
                yield http, Outsider(channel, replies, answers, reply_headers)


async def test_an_outside_system_proposes_over_amqp_and_gets_the_outcome(
        live: tuple[httpx.AsyncClient, Outsider]) -> None:
    http, outsider = live
    command = {"command_id": "bekasi-0001", **propose_body()}
    reply = await outsider.answer(await outsider.send("agreement.propose", command))

    assert reply["type"] == "kerjasama.command.replied.v1"
    data = reply["data"]
    assert data["accepted"] is True and data["command_id"] == "bekasi-0001"
    assert data["outcome"]["version"] == 1 and data["outcome"]["stage"] == "PROPOSED"
    stored = await http.get(f"/agreements/{data['outcome']['id']}")
    assert stored.status_code == 200 and stored.json()["stage"] == "PROPOSED"

    again = await outsider.answer(await outsider.send("agreement.propose", command))
    assert again["data"]["outcome"] == data["outcome"]  # the same command id: first result
    assert len((await http.get("/agreements")).json()) == 1


async def test_an_amqp_commands_traceparent_reaches_its_events_and_its_reply(
        live: tuple[httpx.AsyncClient, Outsider]) -> None:
    http, outsider = live
    trace_id = "0af7651916cd43dd8448eb211c80319c"
    sent = await outsider.send("agreement.propose", {"command_id": "bekasi-traced",
                                                     **propose_body()},
                               headers={"traceparent": f"00-{trace_id}-b7ad6b7169203331-01"})
    reply = await outsider.answer(sent)
    events = (await http.get(f"/agreements/{reply['data']['outcome']['id']}/events")).json()
    assert events[0]["traceparent"].split("-")[1] == trace_id  # the CloudEvent says it
    assert events[0]["metadata"]["traceparent"] == events[0]["traceparent"]
    assert str(outsider.reply_headers[sent]["traceparent"]).split("-")[1] == trace_id


async def test_a_broken_rule_gets_the_same_problem_as_over_http(
        live: tuple[httpx.AsyncClient, Outsider]) -> None:
    http, outsider = live
    wrong = propose_body(kind="KSDPL")  # a third party is not a foreign regional government
    over_http = await http.post("/agreements", json=wrong)
    reply = await outsider.answer(
        await outsider.send("agreement.propose", {"command_id": "c-wrong", **wrong}))

    problem = reply["data"]["problem"]
    assert reply["data"]["accepted"] is False
    assert over_http.status_code == problem["status"] == 422
    expected = over_http.json()
    assert (problem["type"], problem["title"], problem["detail"]) == (
        expected["type"], expected["title"], expected["detail"])

    created = await http.post("/agreements", json=propose_body())
    aid = created.json()["id"]
    over_http = await http.post(f"/agreements/{aid}/expire")
    reply = await outsider.answer(await outsider.send(
        "agreement.expire", {"command_id": "c-early", "agreement_id": aid}))
    problem = reply["data"]["problem"]
    assert over_http.status_code == problem["status"] == 409
    assert problem["detail"] == over_http.json()["detail"]


async def test_garbage_goes_to_the_dlq_with_its_reason_and_the_queue_flows_on(
        live: tuple[httpx.AsyncClient, Outsider], fresh_topology: str) -> None:
    http, outsider = live
    garbage = await outsider.send("agreement.review", body=b"\x00\x01 not a command")
    invalid = await outsider.send("agreement.review", {"command_id": "c-1",
                                                       "agreement_id": "not-a-uuid"})
    fine = await outsider.send("agreement.propose", {"command_id": "c-2", **propose_body()})

    assert (await outsider.answer(fine))["data"]["accepted"] is True
    refusal = (await outsider.answer(invalid))["data"]["problem"]
    assert refusal["status"] == 422 and "agreement_id" in refusal["detail"]
    assert (await outsider.answer(garbage))["data"]["problem"]["status"] == 422

    dlq = await outsider.channel.get_queue("agreements.commands.dlq", ensure=False)
    errors: list[str] = []
    for _ in range(600):
        message = await dlq.get(fail=False)
        if message is None:
            if len(errors) == 2:
                break
            await asyncio.sleep(0.05)
            continue
        await message.ack()
        errors.append(str(message.headers["x-error"]))
    assert sorted(e.split(":")[0] for e in errors) == ["invalid-data", "not-json"]
    assert len((await http.get("/agreements")).json()) == 1


async def test_the_running_service_relays_its_events_and_reports_backlog_and_latency(
        live: tuple[httpx.AsyncClient, Outsider]) -> None:
    http, outsider = live
    probe = await outsider.channel.declare_queue(exclusive=True)
    await probe.bind("kerjasama.events", "agreement.#")
    created = await http.post("/agreements", json=propose_body())
    message = None
    for _ in range(600):
        message = await probe.get(fail=False)
        if message is not None:
            break
        await asyncio.sleep(0.05)
    assert message is not None, "the proposal was not relayed"
    event = json.loads(message.body)
    assert event["subject"] == created.json()["id"]
    assert message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT

    def published(metrics: str) -> float:
        return sum(float(line.split()[-1]) for line in metrics.splitlines() if line.startswith(
            'kerjasama_relay_publish_seconds_count{outbox="events"}'))

    async def scrape() -> str:
        return (await http.get("/metrics")).text

    # The relay deletes the row and counts it after the broker's confirm.
    metrics = await read_until(scrape, lambda m: published(m) >= 1 and (
        'kerjasama_outbox_backlog{outbox="events"} 0.0' in m))
    assert 'kerjasama_outbox_backlog{outbox="events"} 0.0' in metrics
    assert 'kerjasama_relay_active{outbox="events"} 1.0' in metrics
    assert published(metrics) >= 1


async def test_a_command_without_a_validated_broker_user_is_refused_with_403(
        live: tuple[httpx.AsyncClient, Outsider]) -> None:
    http, outsider = live
    reply = await outsider.answer(await outsider.send(
        "agreement.propose", {"command_id": "anonymous-1", **propose_body()}, user_id=None))
    problem = reply["data"]["problem"]
    assert problem["status"] == 403 and "user_id" in problem["detail"]
    assert (await http.get("/agreements")).json() == []


@pytest.mark.parametrize("reply_to", [
    "notifications.events", "reporting.events", "agreements.commands",
    "notifications.events.dlq", "external.other-system.events", "amq.genuine",
    "amq.rabbitmq.reply-to-not", "kerjasama.events"])
async def test_a_command_whose_reply_to_is_not_broker_named_is_dead_lettered_unanswered(
        live: tuple[httpx.AsyncClient, Outsider], reply_to: str) -> None:
    http, outsider = live
    exchange = await outsider.channel.get_exchange("kerjasama.commands")
    body = json.dumps({
        "specversion": "1.0", "id": str(uuid4()), "source": "/regency/bekasi",
        "type": "kerjasama.agreement.propose.v1", "datacontenttype": "application/json",
        "data": {"command_id": "deputy-1", **propose_body()}}).encode()
    await exchange.publish(aio_pika.Message(
        body, content_type="application/cloudevents+json", correlation_id="deputy",
        reply_to=reply_to, delivery_mode=aio_pika.DeliveryMode.PERSISTENT, user_id="guest"),
        "agreement.propose")

    dlq = await outsider.channel.get_queue("agreements.commands.dlq", ensure=False)
    dead = None
    for _ in range(600):
        dead = await dlq.get(fail=False)
        if dead is not None:
            break
        await asyncio.sleep(0.05)
    assert dead is not None, "the command was not dead-lettered"
    await dead.ack()
    assert dead.headers["x-error-reason"] == "reply-to-refused"
    assert reply_to in str(dead.headers["x-error"])
    assert (await http.get("/agreements")).json() == []  # it did not run
    for name in ("notifications.events", "reporting.events", "agreements.commands",
                 "notifications.events.dlq", "reporting.events.dlq"):
        queue = await outsider.channel.declare_queue(name, passive=True)
        assert queue.declaration_result.message_count == 0, f"something reached {name}"
    assert outsider.answers == {}


async def test_direct_reply_to_gets_the_reply(
        live: tuple[httpx.AsyncClient, Outsider], fresh_topology: str) -> None:
    connection = await aio_pika.connect(fresh_topology)  # live: the service is running
    async with connection:
        channel = await connection.channel(publisher_confirms=False)
        answers: asyncio.Queue[aio_pika.abc.AbstractIncomingMessage] = asyncio.Queue()
        pseudo = await channel.get_queue("amq.rabbitmq.reply-to", ensure=False)
        await pseudo.consume(answers.put, no_ack=True)
        exchange = await channel.get_exchange("kerjasama.commands")
        body = json.dumps({
            "specversion": "1.0", "id": str(uuid4()), "source": "/regency/bekasi",
            "type": "kerjasama.agreement.propose.v1", "datacontenttype": "application/json",
            "data": {"command_id": "direct-1", **propose_body()}}).encode()
        await exchange.publish(aio_pika.Message(
            body, content_type="application/cloudevents+json", correlation_id="direct",
            reply_to="amq.rabbitmq.reply-to", user_id="guest"), "agreement.propose")
        reply = await asyncio.wait_for(answers.get(), 20)
    data = json.loads(reply.body)["data"]
    assert reply.correlation_id == "direct"
    assert data["accepted"] is True and data["command_id"] == "direct-1"


async def test_an_outside_system_maps_its_cooperation_over_amqp(
        live: tuple[httpx.AsyncClient, Outsider]) -> None:
    http, outsider = live
    adopted = await http.post("/work-programs/2021", json={
        "realization_target": 80, "effectiveness_target": 60,
        "priorities": [{"code": "COVID19", "name": "Penanganan Covid-19"}]})
    assert adopted.status_code == 201
    item = {"affair": "Kesehatan", "description": "Vaksinasi bersama kota mitra",
            "prospective_partners": ["Kota Bekasi"], "rpjmd_target": "Cakupan vaksinasi",
            "priority": "COVID19"}
    added = await outsider.answer(await outsider.send("mapping.add_item", {
        "command_id": "map-1", "year": 2021, "opd": "DINKES", **item}))
    outcome = added["data"]["outcome"]
    assert added["data"]["accepted"] is True and outcome["stage"] == "ACTIVE", added
    assert (await http.get(f"/mapping-items/{outcome['id']}")).json()["opd"] == "DINKES"

    refused = await outsider.answer(await outsider.send("mapping.revise_item", {
        "command_id": "map-2", "item_id": outcome["id"], **item, "priority": "ASET"}))
    assert refused["data"]["problem"]["status"] == 422
    withdrawn = await outsider.answer(await outsider.send("mapping.withdraw_item", {
        "command_id": "map-3", "item_id": outcome["id"], "reason": "Digabung"}))
    assert withdrawn["data"]["outcome"] == {"id": outcome["id"], "version": 2,
                                            "stage": "WITHDRAWN"}


async def test_an_outside_system_keeps_the_partner_registry_over_amqp(
        live: tuple[httpx.AsyncClient, Outsider]) -> None:
    http, outsider = live
    bank = {"name": "PT Bank BJB", "category": "THIRD_PARTY", "country": "ID",
            "codes": [{"scheme": "NIB", "value": "8120000012345"}]}
    registered = await outsider.answer(await outsider.send("partner.register", {
        "command_id": "partner-1", **bank}))
    outcome = registered["data"]["outcome"]
    assert registered["data"]["accepted"] is True and outcome["stage"] == "ACTIVE", registered
    again = await outsider.answer(await outsider.send("partner.register", {
        "command_id": "partner-2", **bank, "name": "pt. bank  BJB"}))
    problem = again["data"]["problem"]
    assert problem["status"] == 409 and problem["existing_id"] == outcome["id"]

    duplicate = await outsider.answer(await outsider.send("partner.register", {
        "command_id": "partner-3", **bank, "name": "Bank Jabar Banten", "codes": []}))
    merged = await outsider.answer(await outsider.send("partner.merge", {
        "command_id": "partner-4", "partner_id": duplicate["data"]["outcome"]["id"],
        "into": outcome["id"]}))
    assert merged["data"]["outcome"]["stage"] == "MERGED", merged
    proposed = await outsider.answer(await outsider.send("agreement.propose", {
        "command_id": "partner-5", **propose_body(partner=None, partner_id=duplicate[
            "data"]["outcome"]["id"])}))
    agreement = proposed["data"]["outcome"]["id"]
    assert (await http.get(f"/agreements/{agreement}")).json()["partner_id"] == outcome["id"]
    both = await outsider.answer(await outsider.send("agreement.propose", {
        "command_id": "partner-6", **propose_body(partner_id=outcome["id"])}))
    assert both["data"]["accepted"] is False and "exactly one" in both["data"]["problem"][
        "detail"]
