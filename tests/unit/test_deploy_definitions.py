"""deploy/rabbitmq/definitions.json: generated from contracts.topology, never drifting."""

from __future__ import annotations

import json
import re

import pytest

from contracts import topology
from deploy.rabbitmq import definitions as defs


def committed() -> dict[str, object]:
    document: dict[str, object] = json.loads(defs.DEFINITIONS.read_text())
    return document


def test_the_committed_definitions_are_what_the_generator_writes() -> None:
    assert defs.main(["--check"]) == 0, "run python -m deploy.rabbitmq.definitions"


def test_the_definitions_hold_exactly_the_topology_of_the_contracts() -> None:
    document: dict[str, list[dict[str, object]]] = committed()  # type: ignore[assignment]
    assert document["vhosts"] == [{"name": "kerjasama"}]
    assert {(e["name"], e["type"], e["durable"]) for e in document["exchanges"]} == {
        (e.name, e.type, True) for e in topology.EXCHANGES}
    assert {q["name"]: q["arguments"] for q in document["queues"]} == {
        q.name: q.arguments for q in topology.QUEUES}
    assert all(q["durable"] and q["arguments"]["x-queue-type"] == "quorum"  # type: ignore[index]
               for q in document["queues"])
    assert {(b["source"], b["destination"], b["routing_key"]) for b in document["bindings"]} == {
        (b.exchange, q.name, b.routing_key) for q in topology.QUEUES for b in q.bindings}
    policies = {p["name"]: p for p in document["policies"]}
    assert set(policies) == {p.name for p in topology.POLICIES}
    for policy in topology.POLICIES:
        assert policies[policy.name]["pattern"] == policy.pattern
        assert policies[policy.name]["definition"] == policy.definition
        assert policies[policy.name]["apply-to"] == "queues"  # RabbitMQ 3.10 knows no other


def test_dead_lettering_and_the_delivery_limit_cover_every_consumer_queue() -> None:
    document: dict[str, list[dict[str, object]]] = committed()  # type: ignore[assignment]
    queues = {q["name"]: q["arguments"] for q in document["queues"]}
    [limit] = [p for p in document["policies"] if "delivery-limit" in p["definition"]]  # type: ignore[operator]
    for queue in topology.CONSUMER_QUEUES:
        arguments: dict[str, object] = queues[queue.name]  # type: ignore[assignment]
        assert arguments["x-dead-letter-exchange"] == topology.DEAD_LETTER_EXCHANGE
        assert arguments["x-dead-letter-routing-key"] in queues  # its .dlq exists
        assert re.fullmatch(str(limit["pattern"]), queue.name)
    for name in queues:
        if name.endswith(".dlq"):
            assert not re.fullmatch(str(limit["pattern"]), name)


def _permission(user: str, kind: str) -> str:
    document: dict[str, list[dict[str, str]]] = committed()  # type: ignore[assignment]
    [entry] = [p for p in document["permissions"] if p["user"] == user]
    return entry[kind]


@pytest.mark.parametrize(("user", "kind", "name", "allowed"), [
    ("kerjasama-external", "write", "kerjasama.commands", True),
    ("kerjasama-external", "write", "kerjasama.events", False),
    ("kerjasama-external", "write", "kerjasama.kpi", False),
    ("kerjasama-external", "write", "amq.default", False),
    ("kerjasama-external", "read", "kerjasama.events", True),
    ("kerjasama-external", "read", "kerjasama.kpi", True),
    ("kerjasama-external", "read", "agreements.commands", False),
    ("kerjasama-external", "configure", "external.bappeda.events", True),
    ("kerjasama-external", "configure", "reporting.events", False),
    ("kerjasama-external", "configure", "kerjasama.events", False),
    ("kerjasama-agreements", "write", "kerjasama.events", True),
    ("kerjasama-agreements", "write", "kerjasama.kpi", False),
    ("kerjasama-reporting", "write", "kerjasama.kpi", True),
    ("kerjasama-reporting", "write", "kerjasama.events", False),
    ("kerjasama-notifications", "write", "kerjasama.events", False),
    ("kerjasama-notifications", "read", "reporting.events", False),
    ("kerjasama-notifications", "read", "notifications.events", True),
])
def test_permissions_name_what_each_user_may_touch(user: str, kind: str, name: str,
                                                  allowed: bool) -> None:
    assert bool(re.fullmatch(_permission(user, kind), name)) is allowed


def test_only_the_operator_user_administers_the_broker() -> None:
    document: dict[str, list[dict[str, str]]] = committed()  # type: ignore[assignment]
    tags = {u["name"]: u["tags"] for u in document["users"]}
    assert tags.pop("kerjasama-admin") == "administrator,impersonator"  # keeps user_id on requeue
    assert tags.pop("kerjasama-external") == ""
    assert set(tags.values()) == {"policymaker"}  # the services PUT their policies at start


def test_password_hashes_are_rabbitmq_sha256_and_real_passwords_come_from_the_environment(
) -> None:
    hashed = defs.password_hash("rahasia")
    assert defs.check_password("rahasia", hashed)
    assert not defs.check_password("rahasia2", hashed)
    env = {f"KERJASAMA_RABBITMQ_PASSWORD_{u.key}": f"pw-{u.key}" for u in defs.USERS}
    document = defs.build(defs.passwords_from_env(env))
    for user, entry in zip(defs.USERS, document["users"], strict=True):
        assert defs.check_password(f"pw-{user.key}", entry["password_hash"])
        assert not defs.check_password(user.dev_password, entry["password_hash"])
    del env["KERJASAMA_RABBITMQ_PASSWORD_EXTERNAL"]
    with pytest.raises(SystemExit, match="KERJASAMA_RABBITMQ_PASSWORD_EXTERNAL"):
        defs.passwords_from_env(env)
