"""The broker definitions on the real broker: they load, and each user may do only its part.

Outside systems may send commands and follow events and KPI updates through the queues
the definitions give them, and may not publish events, bind anything or read another
system's queue; each service user may do what its service does (check its topology,
publish where it publishes, consume its own queue) and no more: it declares, binds and
sets policies on nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aio_pika
import aio_pika.abc
import aiormq.exceptions
import pytest

from contracts import topology
from plumbing.rabbitadmin import ManagementApiError, RabbitAdmin
from plumbing.topology import check_topology, uses_queue
from tests.broker_users import COMMANDER, KPI_QUEUE, KPI_READER
from tests.integration.deploy.conftest import LoadedDefinitions
from tests.waiting import effective_policies

REFUSED = (aiormq.exceptions.ChannelAccessRefused,)


@pytest.fixture
async def connect_as(
    loaded_definitions: LoadedDefinitions,
) -> AsyncIterator[object]:
    opened: list[aio_pika.abc.AbstractConnection] = []

    async def connect(key: str) -> aio_pika.abc.AbstractConnection:
        connection = await aio_pika.connect(loaded_definitions.amqp_url(key))
        opened.append(connection)
        return connection

    yield connect
    for connection in opened:
        await connection.close()


async def _publish(connection: aio_pika.abc.AbstractConnection, exchange: str,
                   routing_key: str) -> None:
    """Publish one persistent message with a confirm on a fresh channel."""
    channel = await connection.channel(publisher_confirms=True)
    try:
        target = (channel.default_exchange if exchange == ""
                  else await channel.get_exchange(exchange, ensure=False))
        await asyncio.wait_for(target.publish(
            aio_pika.Message(b'{"probe": true}', delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
            routing_key), 10)
    finally:
        if not channel.is_closed:
            await channel.close()


async def _refused(action: object) -> None:
    with pytest.raises(REFUSED) as refusal:
        await action  # type: ignore[misc]
    assert "ACCESS_REFUSED" in str(refusal.value)


async def test_definitions_load_into_the_broker_as_the_topology(
    loaded_definitions: LoadedDefinitions, rabbit_admin: RabbitAdmin
) -> None:
    vhost = loaded_definitions.vhost
    exchanges = {e["name"]: e for e in await rabbit_admin.list_exchanges(vhost)}
    for exchange in topology.EXCHANGES:
        assert exchanges[exchange.name]["type"] == exchange.type
        assert exchanges[exchange.name]["durable"] is True
    queues = {q["name"]: q for q in await rabbit_admin.list_queues(vhost)}
    assert set(queues) == {q["name"] for q in loaded_definitions.document["queues"]}
    assert {q.name for q in topology.QUEUES} <= set(queues)
    for queue in topology.QUEUES:
        assert queues[queue.name]["type"] == "quorum"
        assert queues[queue.name]["arguments"] == queue.arguments
    bindings = {(b["source"], b["destination"], b["routing_key"])
                for b in await rabbit_admin.list_bindings(vhost) if b["source"]}
    assert bindings == {(b["source"], b["destination"], b["routing_key"])
                        for b in loaded_definitions.document["bindings"]}
    assert {(b.exchange, q.name, b.routing_key)
            for q in topology.QUEUES for b in q.bindings} <= bindings
    policies = {p["name"]: p for p in await rabbit_admin.list_policies(vhost)}
    assert set(policies) == {p.name for p in topology.POLICIES}
    for policy in topology.POLICIES:
        assert policies[policy.name]["definition"] == policy.definition
    # The broker applies policies to queues shortly after the import, to each on its own.
    effective = await effective_policies(rabbit_admin, vhost, [q.name for q in topology.QUEUES])
    for queue in topology.QUEUES:
        expected = ({"delivery-limit": topology.DELIVERY_LIMIT}
                    if queue in topology.CONSUMER_QUEUES else
                    {"max-length": topology.DEAD_LETTER_MAX_LENGTH, "overflow": "reject-publish"})
        assert effective[queue.name] == expected, queue.name
    external = await effective_policies(rabbit_admin, vhost, [KPI_QUEUE])
    assert external[KPI_QUEUE] == {
        "max-length": topology.EXTERNAL_MAX_LENGTH, "overflow": "drop-head"}


@pytest.mark.parametrize(("key", "queue", "publishes"), [
    ("AGREEMENTS", topology.AGREEMENTS_COMMANDS, (topology.EVENTS_EXCHANGE,)),
    ("NOTIFICATIONS", topology.NOTIFICATIONS_EVENTS, ()),
    ("REPORTING", topology.REPORTING_EVENTS, (topology.KPI_EXCHANGE,))])
async def test_each_service_user_checks_its_topology_and_may_change_none_of_it(
    loaded_definitions: LoadedDefinitions, connect_as: object, key: str, queue: str,
    publishes: tuple[str, ...]
) -> None:
    exchanges, queues = uses_queue(queue, *publishes)
    await check_topology(loaded_definitions.amqp_url(key), exchanges=exchanges, queues=queues)
    connection = await connect_as(key)  # type: ignore[operator]
    channel = await connection.channel()
    await _refused(channel.declare_queue("anything", durable=True))
    channel = await connection.channel()
    await _refused(channel.declare_exchange("anything", aio_pika.ExchangeType.TOPIC))
    channel = await connection.channel()
    await _refused(channel.declare_queue(queue, durable=True, arguments=dict(
        topology.queue(queue).arguments)))  # not even its own, as it is
    for victim in (topology.REPORTING_EVENTS, topology.AGREEMENTS_COMMANDS,
                   topology.NOTIFICATIONS_EVENTS, queue):  # cross-wiring, or its own
        channel = await connection.channel()
        target = await channel.get_queue(victim, ensure=False)
        await _refused(target.bind(topology.DEAD_LETTER_EXCHANGE, "anything"))
        channel = await connection.channel()
        target = await channel.get_queue(victim, ensure=False)
        await _refused(target.bind(topology.EVENTS_EXCHANGE, "agreement.#"))
    channel = await connection.channel()
    dlx = await channel.get_exchange(topology.DEAD_LETTER_EXCHANGE, ensure=False)
    await _refused(dlx.bind(topology.EVENTS_EXCHANGE, "#"))
    with pytest.raises(ManagementApiError) as refused:
        async with RabbitAdmin(loaded_definitions.management_url(key)) as admin:
            await admin.put_policy(loaded_definitions.vhost, "mine", {
                "pattern": ".*", "definition": {"max-length": 1}, "apply-to": "queues"})
    assert refused.value.status in (401, 403)


async def test_outside_system_sends_commands_and_follows_events_and_kpis_in_its_own_queue(
    loaded_definitions: LoadedDefinitions, connect_as: object
) -> None:
    external = await connect_as(KPI_READER)  # type: ignore[operator]
    channel = await external.channel()
    replies = await channel.declare_queue("", exclusive=True)  # amq.gen-...: for reply_to
    assert replies.name.startswith("amq.gen-")

    await _publish(external, topology.COMMANDS_EXCHANGE, "agreement.sign")
    command = await _get(await (await connect_as("AGREEMENTS")).channel(),
                         topology.AGREEMENTS_COMMANDS)
    assert command.routing_key == "agreement.sign"

    await _publish(await connect_as("AGREEMENTS"), topology.EVENTS_EXCHANGE, "agreement.signed")
    await _publish(await connect_as("REPORTING"), topology.KPI_EXCHANGE,
                   "kpi.realization.2021.province")
    await _publish(await connect_as("AGREEMENTS"), "", replies.name)  # the command's reply
    assert (await _get(channel, KPI_QUEUE)).routing_key == "kpi.realization.2021.province"
    assert (await _get(channel, "external.kemendagri.events")).routing_key == "agreement.signed"
    assert (await _get(channel, replies.name)).routing_key == replies.name
    commander = await (await connect_as(COMMANDER)).channel()  # type: ignore[operator]
    assert (await _get(commander, "external.simkop-diskuk.events")).routing_key == (
        "agreement.signed")


async def test_outside_system_may_use_direct_reply_to(connect_as: object) -> None:
    external = await connect_as(KPI_READER)  # type: ignore[operator]
    channel = await external.channel(publisher_confirms=False)
    pseudo = await channel.get_queue("amq.rabbitmq.reply-to", ensure=False)

    async def ignore(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        return None

    await pseudo.consume(ignore, no_ack=True)
    exchange = await channel.get_exchange(topology.COMMANDS_EXCHANGE, ensure=False)
    await exchange.publish(aio_pika.Message(b"{}", reply_to="amq.rabbitmq.reply-to"),
                           "agreement.sign")
    agreements = await (await connect_as("AGREEMENTS")).channel()  # type: ignore[operator]
    command = await _get(agreements, topology.AGREEMENTS_COMMANDS)
    assert str(command.reply_to).startswith("amq.rabbitmq.reply-to.")


async def _get(channel: aio_pika.abc.AbstractChannel,
               queue: str) -> aio_pika.abc.AbstractIncomingMessage:
    declared = await channel.get_queue(queue, ensure=False)
    for _ in range(600):
        message = await declared.get(no_ack=True, fail=False)
        if message is not None:
            return message
        await asyncio.sleep(0.05)
    raise AssertionError(f"nothing arrived in {queue}")


@pytest.mark.parametrize(("exchange", "routing_key"), [
    (topology.EVENTS_EXCHANGE, "agreement.signed"),
    (topology.KPI_EXCHANGE, "kpi.realization.2021.province"),
    (topology.DEAD_LETTER_EXCHANGE, "reporting.events.dlq"),
    ("", topology.AGREEMENTS_COMMANDS),  # around the commands exchange
])
async def test_outside_system_may_not_publish_events_kpis_or_dead_letters(
    connect_as: object, exchange: str, routing_key: str
) -> None:
    external = await connect_as(COMMANDER)  # type: ignore[operator]
    await _refused(_publish(external, exchange, routing_key))


async def test_outside_system_may_not_read_tap_bind_or_cross_wire(
    connect_as: object
) -> None:
    external = await connect_as(KPI_READER)  # type: ignore[operator]
    await _refused(_consume(external, topology.AGREEMENTS_COMMANDS))
    await _refused(_consume(external, topology.REPORTING_EVENTS))
    await _refused(_consume(external, "reporting.events.dlq"))
    await _refused(_consume(external, "external.simkop-diskuk.events"))  # another system's
    channel = await external.channel()
    await _refused(channel.declare_queue("reporting.events.copy", durable=True))
    channel = await external.channel()
    await _refused(channel.declare_queue("external.kemendagri.more", durable=True))
    channel = await external.channel()
    await _refused(channel.declare_exchange("external.kemendagri.x",
                                            aio_pika.ExchangeType.FANOUT))
    for source, key in ((topology.EVENTS_EXCHANGE, "#"), (topology.KPI_EXCHANGE, "#"),
                        (topology.DEAD_LETTER_EXCHANGE, "reporting.events.dlq")):
        channel = await external.channel()
        own = await channel.get_queue(KPI_QUEUE, ensure=False)
        await _refused(own.bind(source, key))
        channel = await external.channel()
        reply = await channel.declare_queue("", exclusive=True)
        await _refused(reply.bind(source, key))
    # no exchange-to-exchange binding: events (or KPIs) into the commands exchange
    for source in (topology.EVENTS_EXCHANGE, topology.KPI_EXCHANGE):
        channel = await external.channel()
        commands = await channel.get_exchange(topology.COMMANDS_EXCHANGE, ensure=False)
        await _refused(commands.bind(source, "#"))


async def _consume(connection: aio_pika.abc.AbstractConnection, queue: str) -> None:
    channel = await connection.channel()
    declared = await channel.get_queue(queue, ensure=False)
    await declared.get(no_ack=False, fail=False)


@pytest.mark.parametrize(("key", "allowed", "refused"), [
    ("AGREEMENTS", [(topology.EVENTS_EXCHANGE, "agreement.signed"),
                    (topology.DEAD_LETTER_EXCHANGE, "agreements.commands.dlq"),
                    ("", "amq.gen-reply")],
     [(topology.KPI_EXCHANGE, "kpi.realization.2021.province"),
      (topology.COMMANDS_EXCHANGE, "agreement.sign")]),
    ("REPORTING", [(topology.KPI_EXCHANGE, "kpi.realization.2021.province"),
                   (topology.DEAD_LETTER_EXCHANGE, "reporting.events.dlq")],
     [(topology.EVENTS_EXCHANGE, "agreement.signed"),
      (topology.COMMANDS_EXCHANGE, "agreement.sign"), ("", "reporting.events")]),
    ("NOTIFICATIONS", [(topology.DEAD_LETTER_EXCHANGE, "notifications.events.dlq")],
     [(topology.EVENTS_EXCHANGE, "agreement.signed"),
      (topology.KPI_EXCHANGE, "kpi.realization.2021.province"),
      (topology.COMMANDS_EXCHANGE, "agreement.sign"), ("", "notifications.events")]),
    ("PORTAL", [(topology.DEAD_LETTER_EXCHANGE, "portal.events.dlq")],
     [(topology.EVENTS_EXCHANGE, "agreement.signed"),
      (topology.KPI_EXCHANGE, "kpi.realization.2021.province"),
      (topology.COMMANDS_EXCHANGE, "agreement.sign"), ("", "portal.events")]),
])
async def test_each_service_user_publishes_only_where_its_service_publishes(
    connect_as: object, key: str, allowed: list[tuple[str, str]],
    refused: list[tuple[str, str]]
) -> None:
    connection = await connect_as(key)  # type: ignore[operator]
    for exchange, routing_key in allowed:
        await _publish(connection, exchange, routing_key)
    for exchange, routing_key in refused:
        await _refused(_publish(connection, exchange, routing_key))


@pytest.mark.parametrize(("key", "own"), [
    ("AGREEMENTS", (topology.AGREEMENTS_COMMANDS,)),
    ("NOTIFICATIONS", (topology.NOTIFICATIONS_EVENTS, topology.NOTIFICATIONS_KPI)),
    ("REPORTING", (topology.REPORTING_EVENTS,)),
    ("PORTAL", (topology.PORTAL_EVENTS,))])
async def test_each_service_user_consumes_only_its_own_queue(
    connect_as: object, key: str, own: tuple[str, ...]
) -> None:
    connection = await connect_as(key)  # type: ignore[operator]
    for queue_name in own:
        await _consume(connection, queue_name)
    for queue in topology.QUEUES:
        if queue.name not in own:
            await _refused(_consume(connection, queue.name))
