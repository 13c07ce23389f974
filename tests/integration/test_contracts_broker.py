"""The contract on the real broker: messages round-trip, the topology matches AsyncAPI."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import aio_pika
import aio_pika.abc

from contracts import codec, topology
from contracts.envelope import CONTENT_TYPE, SOURCE_AGREEMENTS, routing_key_of, sequence_of
from contracts.examples import example_of
from contracts.generate import ASYNCAPI
from contracts.kpi import KpiUpdated, kpi_routing_key
from contracts.ledger import LedgerCheckpointed
from contracts.registry import COMMAND_TYPES, EVENT_TYPES
from plumbing.amqp import connect, publish_persistent
from plumbing.rabbitadmin import RabbitAdmin
from plumbing.topology import declare_all
from plumbing.urls import with_vhost
from tests.conftest import AMQP_URL, VhostFactory

NOW = datetime(2021, 2, 18, 10, 0, tzinfo=ZoneInfo("Asia/Jakarta"))


async def _roundtrip(channel: aio_pika.abc.AbstractChannel, exchange: str,
                     envelopes: list[tuple[str, codec.CloudEvent]]) -> list[codec.Decoded]:
    probe = await channel.declare_queue("", exclusive=True)
    await probe.bind(exchange, "#" if exchange != topology.COMMANDS_EXCHANGE else "")
    for key, _ in envelopes:
        if exchange == topology.COMMANDS_EXCHANGE:
            await probe.bind(exchange, key)
    for key, envelope in envelopes:
        parts = codec.to_amqp(envelope, key)
        await publish_persistent(channel, exchange, parts.routing_key, parts.body,
                                 message_id=parts.message_id,
                                 correlation_id=parts.correlation_id)
    received: list[codec.Decoded] = []
    async with probe.iterator() as messages:
        async for message in messages:
            async with message.process():
                assert message.content_type == CONTENT_TYPE
                assert message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
                assert message.message_id == str(codec.decode(message.body).envelope.id)
                received.append(codec.decode(message.body))
            if len(received) == len(envelopes):
                break
    return received


async def test_every_message_type_round_trips_through_the_real_broker(
        declared_topology: str) -> None:
    connection = await connect(declared_topology)
    try:
        channel = await connection.channel()
        for exchange, types in ((topology.EVENTS_EXCHANGE, EVENT_TYPES),
                                (topology.COMMANDS_EXCHANGE, COMMAND_TYPES)):
            sent = []
            for version, (message_type, model) in enumerate(sorted(types.items()), start=1):
                envelope = codec.make_envelope(
                    example_of(model), source=SOURCE_AGREEMENTS, time=NOW,
                    message_type=message_type, subject="3f1c6a52-8f4e-4f55-9d1e-3f4a2b1c0d9e",
                    sequence=sequence_of(version), position=version, correlationid="c-1")
                sent.append((codec.routing_key_of(message_type), envelope))
            received = await _roundtrip(channel, exchange, sent)
            assert [d.envelope for d in received] == [e for _, e in sent]
            assert [d.data for d in received] == [example_of(type(d.data)) for d in received]
        kpi = example_of(KpiUpdated, scope="opd:DISKUK")
        envelope = codec.make_envelope(kpi, source="/kerjasama/reporting", time=NOW)
        [got] = await _roundtrip(channel, topology.KPI_EXCHANGE,
                                 [(kpi_routing_key(kpi), envelope)])
        assert got.data == kpi
    finally:
        await connection.close()


def _asyncapi() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(ASYNCAPI.read_text())
    return doc


async def test_topology_declared_twice_matches_the_asyncapi_document(
        rabbit_vhost_factory: VhostFactory, rabbit_admin: RabbitAdmin,
        rabbitmq_management_url: str) -> None:
    vhost = await rabbit_vhost_factory()
    url = with_vhost(AMQP_URL, vhost)
    await declare_all(url, rabbitmq_management_url)
    await declare_all(url, rabbitmq_management_url)  # safely repeatable

    doc = _asyncapi()
    documented = doc["x-topology"]
    exchanges = {e["name"]: e for e in await rabbit_admin.list_exchanges(vhost)}
    for exchange in documented["exchanges"]:
        assert exchanges[exchange["name"]]["type"] == exchange["type"]
        assert exchanges[exchange["name"]]["durable"] is True
    for channel in doc["channels"].values():
        binding = channel.get("bindings", {}).get("amqp", {}).get("exchange")
        if binding:
            assert exchanges[binding["name"]]["type"] == binding["type"]

    for queue in documented["queues"]:
        info = await rabbit_admin.get_queue(vhost, queue["name"])
        assert info is not None, queue["name"]
        assert info["durable"] is True
        assert info["arguments"] == queue["arguments"]
    bindings = {(b["source"], b["destination"], b["routing_key"])
                for b in await rabbit_admin.list_bindings(vhost) if b["source"]}
    assert bindings == {(b["exchange"], q["name"], b["routingKey"])
                        for q in documented["queues"] for b in q["bindings"]}

    # every event channel's address is routed to the queues that consume it
    connection = await connect(url)
    try:
        channel = await connection.channel()
        for name, spec in doc["channels"].items():
            exchange = spec.get("bindings", {}).get("amqp", {}).get("exchange", {}).get("name")
            if exchange not in (topology.EVENTS_EXCHANGE, topology.COMMANDS_EXCHANGE):
                continue
            if spec["address"] == routing_key_of(LedgerCheckpointed.event_type):
                continue  # published for outside witnesses; no service of ours consumes it
            body = json.dumps({"probe": name}).encode()
            await publish_persistent(channel, exchange, spec["address"], body, mandatory=True)
    finally:
        await connection.close()
