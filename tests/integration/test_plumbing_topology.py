"""The topology of contracts.topology, declared on the real broker, read back over HTTP;
and the check a service makes at start instead of declaring it."""

from __future__ import annotations

import pytest

from contracts import topology as contract
from plumbing.amqp import connect
from plumbing.errors import BrokerUnavailable, TopologyError
from plumbing.rabbitadmin import RabbitAdmin
from plumbing.topology import (
    apply_policies,
    check_topology,
    declare_all,
    declare_topology,
    policy_body,
    uses_queue,
)
from plumbing.urls import with_vhost
from tests.conftest import AMQP_URL, VhostFactory
from tests.waiting import effective_policies


@pytest.fixture
async def fresh_vhost(rabbit_vhost_factory: VhostFactory) -> str:
    return await rabbit_vhost_factory()


async def test_declaring_twice_gives_exactly_the_contract(
    fresh_vhost: str, rabbit_admin: RabbitAdmin
) -> None:
    connection = await connect(with_vhost(AMQP_URL, fresh_vhost))
    try:
        for _ in range(2):
            channel = await connection.channel()
            await declare_topology(channel)
            await channel.close()
    finally:
        await connection.close()

    exchanges = {e["name"]: e for e in await rabbit_admin.list_exchanges(fresh_vhost)}
    for exchange in contract.EXCHANGES:
        assert exchanges[exchange.name]["type"] == exchange.type
        assert exchanges[exchange.name]["durable"] is True

    queues = await rabbit_admin.list_queues(fresh_vhost)
    assert {q["name"] for q in queues} == {q.name for q in contract.QUEUES}
    for queue in contract.QUEUES:
        info = await rabbit_admin.get_queue(fresh_vhost, queue.name)
        assert info is not None
        assert info["durable"] is True
        assert info["type"] == "quorum"
        assert info["arguments"] == queue.arguments

    bindings = {
        (b["source"], b["destination"], b["routing_key"])
        for b in await rabbit_admin.list_bindings(fresh_vhost)
        if b["source"]  # the default exchange binds every queue implicitly
    }
    assert bindings == {
        (b.exchange, q.name, b.routing_key) for q in contract.QUEUES for b in q.bindings
    }


async def test_policies_are_applied_and_take_effect(
    fresh_vhost: str, rabbitmq_management_url: str, rabbit_admin: RabbitAdmin
) -> None:
    await declare_all(with_vhost(AMQP_URL, fresh_vhost), rabbitmq_management_url)
    await apply_policies(rabbitmq_management_url, fresh_vhost)  # repeatable

    version = (await rabbit_admin.overview())["rabbitmq_version"]
    policies = {p["name"]: p for p in await rabbit_admin.list_policies(fresh_vhost)}
    assert set(policies) == {p.name for p in contract.POLICIES}
    for policy in contract.POLICIES:
        assert policies[policy.name]["pattern"] == policy.pattern
        assert policies[policy.name]["definition"] == policy.definition
        assert policies[policy.name]["apply-to"] == policy_body(policy, version)["apply-to"]

    # The delivery limit reaches the consumer queues, the length limit their dead letters.
    effective = await effective_policies(rabbit_admin, fresh_vhost,
                                         [q.name for q in contract.QUEUES])
    for q in contract.QUEUES:
        expected = ({"delivery-limit": contract.DELIVERY_LIMIT} if q.dead_letter_queue else
                    {"max-length": contract.DEAD_LETTER_MAX_LENGTH, "overflow": "reject-publish"})
        assert effective[q.name] == expected, q.name


async def test_a_queue_declared_with_other_arguments_is_reported(fresh_vhost: str) -> None:
    connection = await connect(with_vhost(AMQP_URL, fresh_vhost))
    try:
        channel = await connection.channel()
        await channel.declare_queue(contract.REPORTING_EVENTS, durable=True,
                                    arguments={"x-queue-type": "classic"})
        channel = await connection.channel()
        with pytest.raises(TopologyError, match=r"reporting\.events"):
            await declare_topology(channel)
    finally:
        await connection.close()


def test_queue_type_policies_fall_back_to_queues_before_rabbitmq_3_12() -> None:
    policy = contract.Policy("p", "^q$", "quorum_queues", {"delivery-limit": 5})
    assert policy_body(policy, "3.10.8")["apply-to"] == "queues"
    assert policy_body(policy, "3.13.0")["apply-to"] == "quorum_queues"


async def test_unreachable_management_api_is_a_clear_error() -> None:
    with pytest.raises(BrokerUnavailable, match=r"management API at http://127\.0\.0\.1:1 "):
        await apply_policies("http://guest:hunter2@127.0.0.1:1", "/")


async def test_the_check_at_start_names_everything_missing_and_declares_nothing(
    fresh_vhost: str, rabbit_admin: RabbitAdmin
) -> None:
    url = with_vhost(AMQP_URL, fresh_vhost)
    exchanges, queues = uses_queue(contract.REPORTING_EVENTS, contract.KPI_EXCHANGE)
    with pytest.raises(TopologyError) as missing:
        await check_topology(url, exchanges=exchanges, queues=queues)
    for name in ("exchange kerjasama.kpi", "exchange kerjasama.dlx", "queue reporting.events",
                 "queue reporting.events.dlq", "deploy/rabbitmq/definitions.json"):
        assert name in str(missing.value)
    assert await rabbit_admin.list_queues(fresh_vhost) == []

    connection = await connect(url)
    try:
        await declare_topology(await connection.channel())
    finally:
        await connection.close()
    await check_topology(url, exchanges=exchanges, queues=queues)
