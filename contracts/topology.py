"""The broker topology as data: exchanges, queues, their arguments and bindings.

This module is the single source of the names of docs/domain.md#messages. It performs no I/O;
``plumbing.topology`` declares it on a broker, and ``contracts.asyncapi`` documents it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

EVENTS_EXCHANGE = "kerjasama.events"
COMMANDS_EXCHANGE = "kerjasama.commands"
KPI_EXCHANGE = "kerjasama.kpi"
DEAD_LETTER_EXCHANGE = "kerjasama.dlx"

ExchangeType = Literal["topic", "direct", "fanout"]


@dataclass(frozen=True)
class Exchange:
    """A durable exchange."""

    name: str
    type: ExchangeType
    description: str


@dataclass(frozen=True)
class Binding:
    """A binding of a queue to an exchange with one routing key (or pattern)."""

    exchange: str
    routing_key: str


@dataclass(frozen=True)
class Queue:
    """A durable quorum queue, its arguments and its bindings."""

    name: str
    description: str
    bindings: tuple[Binding, ...]
    dead_letter_queue: str | None = None
    arguments: dict[str, str | int] = field(default_factory=dict)


@dataclass(frozen=True)
class Policy:
    """A broker policy: tunables that may change later without redeclaring a queue."""

    name: str
    pattern: str
    apply_to: Literal["queues", "quorum_queues", "exchanges", "all"]
    definition: dict[str, str | int]
    priority: int = 0


EXCHANGES: tuple[Exchange, ...] = (
    Exchange(EVENTS_EXCHANGE, "topic", "Agreement events; routing key is the event type "
             "without prefix and version, e.g. agreement.signed."),
    Exchange(COMMANDS_EXCHANGE, "direct", "Commands to the agreements service; routing key "
             "is the command name, e.g. agreement.sign; the outcome goes to reply_to."),
    Exchange(KPI_EXCHANGE, "topic", "KPI updates; routing key kpi.<indicator>.<year>.<scope>."),
    Exchange(DEAD_LETTER_EXCHANGE, "direct", "Dead letters; routing key is the name of the "
             "dead-letter queue, e.g. reporting.events.dlq."),
)

# Command routing keys, in the order of the lifecycle table of docs/domain.md#lifecycle.
COMMAND_ROUTING_KEYS: tuple[str, ...] = (
    "agreement.propose",
    "agreement.review",
    "agreement.request_revision",
    "agreement.resubmit",
    "agreement.reject",
    "agreement.draft",
    "agreement.discuss",
    "agreement.approve",
    "agreement.sign",
    "agreement.plan",
    "agreement.record_follow_up",
    "agreement.complete_milestone",
    "agreement.evaluate",
    "agreement.terminate",
    "agreement.expire",
    "agreement.withdraw",
    "work_program.adopt",
    "mapping.add_item",
    "mapping.revise_item",
    "mapping.withdraw_item",
    "partner.register",
    "partner.revise",
    "partner.merge",
)


def _quorum_arguments(queue: str) -> dict[str, str | int]:
    return {
        "x-queue-type": "quorum",
        "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE,
        "x-dead-letter-routing-key": f"{queue}.dlq",
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",
    }


def _consumer_queue(name: str, description: str, bindings: tuple[Binding, ...]) -> Queue:
    return Queue(
        name=name,
        description=description,
        bindings=bindings,
        dead_letter_queue=f"{name}.dlq",
        arguments=_quorum_arguments(name),
    )


def _dead_letter_queue(of: str) -> Queue:
    name = f"{of}.dlq"
    return Queue(
        name=name,
        description=f"Dead letters of {of}, each with an x-error header naming the reason.",
        bindings=(Binding(DEAD_LETTER_EXCHANGE, name),),
        arguments={"x-queue-type": "quorum"},
    )


NOTIFICATIONS_EVENTS = "notifications.events"
NOTIFICATIONS_KPI = "notifications.kpi"
REPORTING_EVENTS = "reporting.events"
PORTAL_EVENTS = "portal.events"
AGREEMENTS_COMMANDS = "agreements.commands"

CONSUMER_QUEUES: tuple[Queue, ...] = (
    _consumer_queue(
        NOTIFICATIONS_EVENTS,
        "Agreement, work-program and mapping events for the notifications service (the "
        "work program's mapping due date, and who has mapped).",
        (Binding(EVENTS_EXCHANGE, "agreement.*"), Binding(EVENTS_EXCHANGE, "work_program.*"),
         Binding(EVENTS_EXCHANGE, "mapping.*")),
    ),
    _consumer_queue(
        NOTIFICATIONS_KPI,
        "Updates of the headline figures (realization and effectiveness of the province) "
        "for the notifications service: a restatement is told to the secretariat.",
        (Binding(KPI_EXCHANGE, "kpi.realization.*.province"),
         Binding(KPI_EXCHANGE, "kpi.effectiveness.*.province")),
    ),
    _consumer_queue(
        REPORTING_EVENTS,
        "Agreement, work-program, mapping and partner events for the reporting service.",
        (Binding(EVENTS_EXCHANGE, "agreement.*"), Binding(EVENTS_EXCHANGE, "work_program.*"),
         Binding(EVENTS_EXCHANGE, "mapping.*"), Binding(EVENTS_EXCHANGE, "partner.*")),
    ),
    _consumer_queue(
        PORTAL_EVENTS,
        "Agreement, work-program and partner events and KPI updates for the portal (the "
        "public register and dashboard; the work program names the year's priorities, the "
        "registry the partners).",
        (Binding(EVENTS_EXCHANGE, "agreement.*"), Binding(EVENTS_EXCHANGE, "work_program.*"),
         Binding(EVENTS_EXCHANGE, "partner.*"), Binding(KPI_EXCHANGE, "kpi.#")),
    ),
    _consumer_queue(
        AGREEMENTS_COMMANDS,
        "Commands from outside systems to the agreements service.",
        tuple(Binding(COMMANDS_EXCHANGE, key) for key in COMMAND_ROUTING_KEYS),
    ),
)

QUEUES: tuple[Queue, ...] = CONSUMER_QUEUES + tuple(
    _dead_letter_queue(q.name) for q in CONSUMER_QUEUES
)

EXTERNAL_QUEUE_PREFIX = "external."
"""Queues of outside systems are ``external.<system>.<purpose>`` (deploy/rabbitmq/systems.json)."""
DEAD_LETTER_MAX_LENGTH = 100_000
"""Dead letters a ``.dlq`` holds; beyond it the broker refuses more (nothing is dropped:
the consumer keeps the message and retries, and the DLQ alert fires long before)."""
EXTERNAL_MAX_LENGTH = 100_000
"""Messages an outside system's queue holds; beyond it the oldest are dropped, so a
system that stops reading cannot stall the relay (it catches up from GET /events)."""

# The delivery limit is a backstop against a message that crashes its consumer before
# it can be dead-lettered; it lives in a policy so that it can change later.
DELIVERY_LIMIT = 20

POLICIES: tuple[Policy, ...] = (
    Policy(
        name="kerjasama-delivery-limit",
        pattern=r"^(notifications\.events|notifications\.kpi|reporting\.events"
                r"|portal\.events|agreements\.commands)$",
        apply_to="queues",
        definition={"delivery-limit": DELIVERY_LIMIT},
    ),
    Policy(
        name="kerjasama-dead-letters-max-length",
        pattern="^(" + "|".join(re.escape(q.dead_letter_queue)
                                for q in CONSUMER_QUEUES if q.dead_letter_queue) + ")$",
        apply_to="queues",
        definition={"max-length": DEAD_LETTER_MAX_LENGTH, "overflow": "reject-publish"},
    ),
    Policy(
        name="kerjasama-external-max-length",
        pattern="^" + re.escape(EXTERNAL_QUEUE_PREFIX),
        apply_to="queues",
        definition={"max-length": EXTERNAL_MAX_LENGTH, "overflow": "drop-head"},
    ),
)


def queue(name: str) -> Queue:
    """The queue of that name; raises KeyError when the topology has none."""
    for q in QUEUES:
        if q.name == name:
            return q
    raise KeyError(f"no queue named {name!r} in the topology")
