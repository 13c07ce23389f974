"""The broker topology of :mod:`contracts.topology`: loaded at deploy time, checked at start.

Topology and policies are loaded when a broker is set up, never by a running service
(docs/domain.md#boundaries): in a deployment by the definitions of ``deploy/rabbitmq`` (which also
hold the users), on a developer's machine by ``./scripts/run`` (the same definitions), in the tests
by :func:`declare_all`. A service user may neither declare nor bind, so a compromised service cannot
re-wire queues. At start a service only checks, with :func:`check_topology`, that what it uses
exists, and names whatever is missing.

Declaring is repeatable: the broker accepts a declaration identical to the existing
one. A queue declared earlier with other arguments is refused by the broker (it
closes the channel); :class:`~plumbing.errors.TopologyError` then names the queue.
Tunables that may change later belong in ``contracts.topology.POLICIES``.
"""

from __future__ import annotations

import aio_pika
import aio_pika.abc
import aiormq.exceptions

from contracts import topology as contract
from plumbing.amqp import connect
from plumbing.errors import BrokerUnavailable, TopologyError
from plumbing.rabbitadmin import ManagementApiError, RabbitAdmin
from plumbing.urls import redact, vhost_of

LOAD_HINT = ("the topology is loaded at deploy time: import deploy/rabbitmq/definitions.json "
             "(python -m deploy.rabbitmq.definitions; rabbitmqctl import_definitions), which "
             "./scripts/run does for a local broker")


def uses_queue(queue: str, *publishes_to: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What a consumer of ``queue`` needs: the exchanges it publishes to (and the
    dead-letter exchange), its queue and that queue's dead-letter queue."""
    dead_letters = contract.queue(queue).dead_letter_queue
    return ((*publishes_to, contract.DEAD_LETTER_EXCHANGE),
            (queue, *((dead_letters,) if dead_letters else ())))


async def check_topology(amqp_url: str, *, exchanges: tuple[str, ...] = (),
                         queues: tuple[str, ...] = ()) -> None:
    """Check (passively: nothing is declared) that ``exchanges`` and ``queues`` exist.

    Raises TopologyError naming every missing one and how to load them, or
    BrokerUnavailable when the broker cannot be reached.
    """
    connection = await connect(amqp_url, attempts=1)
    missing: list[str] = []
    try:
        channel = await connection.channel()
        for kind, name in [("exchange", e) for e in exchanges] + [("queue", q) for q in queues]:
            try:
                if kind == "exchange":
                    await channel.declare_exchange(name, passive=True)
                else:
                    await channel.declare_queue(name, passive=True)
            except aiormq.exceptions.ChannelNotFoundEntity:
                missing.append(f"{kind} {name}")
                channel = await connection.channel()  # the broker closed the channel
            except aiormq.exceptions.ChannelAccessRefused as exc:
                missing.append(f"{kind} {name} (access refused: {exc})")
                channel = await connection.channel()
        await channel.close()
    except aiormq.exceptions.AMQPConnectionError as exc:
        raise BrokerUnavailable(f"RabbitMQ at {redact(amqp_url)}: {exc!r}") from exc
    finally:
        await connection.close()
    if missing:
        raise TopologyError(f"RabbitMQ vhost {vhost_of(amqp_url)!r} at {redact(amqp_url)} lacks "
                            f"{', '.join(missing)}; {LOAD_HINT}")


async def declare_topology(channel: aio_pika.abc.AbstractChannel) -> None:
    """Declare every exchange, queue (durable, with its arguments) and binding."""
    for exchange in contract.EXCHANGES:
        try:
            await channel.declare_exchange(
                exchange.name, aio_pika.ExchangeType(exchange.type), durable=True
            )
        except aiormq.exceptions.ChannelPreconditionFailed as exc:
            raise TopologyError(
                f"exchange {exchange.name!r} exists with other properties: {exc}"
            ) from exc
    for queue in contract.QUEUES:
        try:
            declared = await channel.declare_queue(
                queue.name, durable=True, arguments=dict(queue.arguments)
            )
        except aiormq.exceptions.ChannelPreconditionFailed as exc:
            raise TopologyError(
                f"queue {queue.name!r} exists with other arguments than contracts.topology "
                f"declares ({exc}); change tunables through policies, not arguments"
            ) from exc
        for binding in queue.bindings:
            await declared.bind(binding.exchange, binding.routing_key)


# apply-to values for one queue type exist from RabbitMQ 3.12 on; the broker we run
# (3.10) knows only queues, exchanges and all. The policy patterns name the queues.
_QUEUE_TYPE_APPLY_TO = {"quorum_queues", "classic_queues", "streams"}


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split("+")[0].split("-")[0].split(".") if p.isdigit())


def policy_body(policy: contract.Policy, broker_version: str = "3.12") -> dict[str, object]:
    """The management API body of a policy, for a broker of ``broker_version``."""
    apply_to: str = policy.apply_to
    if apply_to in _QUEUE_TYPE_APPLY_TO and _version(broker_version) < (3, 12):
        apply_to = "queues"
    return {
        "pattern": policy.pattern,
        "definition": dict(policy.definition),
        "priority": policy.priority,
        "apply-to": apply_to,
    }


async def apply_policies(management_url: str, vhost: str) -> None:
    """PUT every policy of ``contracts.topology.POLICIES`` on ``vhost`` (repeatable).

    On brokers before 3.12, ``apply-to: quorum_queues`` is sent as ``queues``. Raises
    BrokerUnavailable when the management API cannot be reached and TopologyError when
    it refuses a policy.
    """
    async with RabbitAdmin(management_url) as admin:
        version = str((await admin.overview()).get("rabbitmq_version", "0"))
        for policy in contract.POLICIES:
            try:
                await admin.put_policy(vhost, policy.name, policy_body(policy, version))
            except ManagementApiError as exc:
                raise TopologyError(f"policy {policy.name!r} refused: {exc}") from exc


async def declare_all(amqp_url: str, management_url: str) -> None:
    """Declare the topology on the vhost of ``amqp_url`` and apply the policies there.

    For setting up a broker (the tests, a private node) as a user with every right; the
    services never call it.
    """
    connection = await connect(amqp_url)
    try:
        channel = await connection.channel()
        await declare_topology(channel)
        await channel.close()
    finally:
        await connection.close()
    await apply_policies(management_url, vhost_of(amqp_url))
