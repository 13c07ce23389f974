"""deploy/rabbitmq/definitions.json: generated from contracts.topology, never drifting."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
    services = {q["name"]: q["arguments"] for q in document["queues"]
                if not str(q["name"]).startswith(topology.EXTERNAL_QUEUE_PREFIX)}
    assert services == {q.name: q.arguments for q in topology.QUEUES}
    assert all(q["durable"] and q["arguments"]["x-queue-type"] == "quorum"  # type: ignore[index]
               for q in document["queues"])
    assert {(b["source"], b["destination"], b["routing_key"]) for b in document["bindings"]
            if b["destination"] in services} == {
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


DIRECT_REPLY_TO = "amq.rabbitmq.reply-to"
KEMENDAGRI = "kerjasama-external-kemendagri"
DISKUK = "kerjasama-external-simkop-diskuk"


@pytest.mark.parametrize(("user", "kind", "name", "allowed"), [
    (KEMENDAGRI, "write", "kerjasama.commands", True),
    (KEMENDAGRI, "write", "kerjasama.events", False),
    (KEMENDAGRI, "write", "kerjasama.kpi", False),
    (KEMENDAGRI, "write", "kerjasama.dlx", False),
    (KEMENDAGRI, "write", "amq.default", False),
    (KEMENDAGRI, "write", "external.kemendagri.kpi", False),  # binding it: no
    (KEMENDAGRI, "write", "amq.gen-abc", False),
    # no exchange is readable, so it binds nothing: no queue and no exchange to an exchange
    (KEMENDAGRI, "read", "kerjasama.events", False),
    (KEMENDAGRI, "read", "kerjasama.kpi", False),
    (KEMENDAGRI, "read", "kerjasama.commands", False),
    (KEMENDAGRI, "read", "external.kemendagri.kpi", True),
    (KEMENDAGRI, "read", "external.kemendagri.events", True),
    (KEMENDAGRI, "read", "external.simkop-diskuk.events", False),  # another system's
    (KEMENDAGRI, "read", "external.kemendagri", False),
    (KEMENDAGRI, "read", "agreements.commands", False),
    (KEMENDAGRI, "read", "amq.gen-abc", True),
    (KEMENDAGRI, "configure", "amq.gen-abc", True),  # broker-named reply queues
    (KEMENDAGRI, "configure", "external.kemendagri.kpi", False),
    (KEMENDAGRI, "configure", "reporting.events", False),
    (KEMENDAGRI, "configure", "kerjasama.events", False),
    (DISKUK, "read", "external.simkop-diskuk.events", True),
    (DISKUK, "read", "external.kemendagri.kpi", False),
    ("kerjasama-agreements", "write", "kerjasama.events", True),
    ("kerjasama-agreements", "write", "amq.default", True),  # replies to amq.gen-*
    ("kerjasama-agreements", "write", "kerjasama.kpi", False),
    ("kerjasama-agreements", "write", "agreements.commands", False),
    ("kerjasama-agreements", "read", "agreements.commands", True),
    ("kerjasama-agreements", "read", "kerjasama.dlx", False),
    ("kerjasama-reporting", "write", "kerjasama.kpi", True),
    ("kerjasama-reporting", "write", "kerjasama.events", False),
    ("kerjasama-reporting", "write", "reporting.events", False),
    ("kerjasama-reporting", "read", "kerjasama.events", False),
    ("kerjasama-notifications", "write", "kerjasama.events", False),
    ("kerjasama-notifications", "write", "kerjasama.dlx", True),
    ("kerjasama-notifications", "write", "reporting.events", False),
    ("kerjasama-notifications", "write", "agreements.commands", False),
    ("kerjasama-notifications", "read", "kerjasama.dlx", False),
    ("kerjasama-notifications", "read", "reporting.events", False),
    ("kerjasama-notifications", "read", "notifications.events", True),
])
def test_permissions_name_what_each_user_may_touch(user: str, kind: str, name: str,
                                                  allowed: bool) -> None:
    assert bool(re.fullmatch(_permission(user, kind), name)) is allowed


@pytest.mark.parametrize("user", ["kerjasama-agreements", "kerjasama-notifications",
                                  "kerjasama-reporting"])
def test_a_service_user_configures_nothing_and_reads_no_exchange(user: str) -> None:
    assert _permission(user, "configure") == "^$"
    for exchange in topology.EXCHANGES:
        assert not re.fullmatch(_permission(user, "read"), exchange.name)


def test_only_the_operator_user_administers_the_broker() -> None:
    document: dict[str, list[dict[str, str]]] = committed()  # type: ignore[assignment]
    tags = {u["name"]: u["tags"] for u in document["users"]}
    assert tags.pop("kerjasama-admin") == "administrator,impersonator"  # keeps user_id on requeue
    assert set(tags.values()) == {""}  # no policymaker: policies come with the definitions


def test_each_outside_system_is_its_own_user_with_its_own_queues() -> None:
    document: dict[str, list[dict[str, Any]]] = committed()  # type: ignore[assignment]
    systems = defs.load_systems()
    assert {s.user for s in systems} <= {u["name"] for u in document["users"]}
    queues = {q["name"] for q in document["queues"]}
    for system in systems:
        for purpose, bindings in system.queues.items():
            assert system.queue(purpose) in queues
            assert {(b["source"], b["routing_key"]) for b in document["bindings"]
                    if b["destination"] == system.queue(purpose)} == {
                (b.exchange, b.routing_key) for b in bindings}
    assert all(b["destination_type"] == "queue" for b in document["bindings"])
    assert defs.user_roles(systems) == {
        DISKUK: ["opd:DISKUK"], "kerjasama-external-contoh-python": ["opd:DISPARBUD"],
        "kerjasama-external-contoh-node": ["opd:DISKOMINFO"]}  # the examples/ systems


def test_every_dead_letter_and_outside_queue_is_bounded_by_a_policy() -> None:
    document: dict[str, list[dict[str, Any]]] = committed()  # type: ignore[assignment]
    for queue in document["queues"]:
        name = queue["name"]
        matching = [p for p in document["policies"] if re.fullmatch(p["pattern"], name)
                    or (p["pattern"].startswith("^") and not p["pattern"].endswith("$")
                        and re.match(p["pattern"], name))]
        assert len(matching) <= 1, f"{name}: more than one policy applies"
        if name.endswith(".dlq"):
            assert matching[0]["definition"]["overflow"] == "reject-publish"  # never dropped
            assert matching[0]["definition"]["max-length"] > 0
        if name.startswith("external."):
            assert matching[0]["definition"]["overflow"] == "drop-head"  # never stalls a relay
            assert matching[0]["definition"]["max-length"] > 0


@pytest.mark.parametrize(("entry", "message"), [
    ({"name": "Bad Name"}, "name"),
    ({"name": "a", "roles": ["root"]}, "roles"),
    ({"name": "expiry", "roles": ["system:expiry"]}, "system:expiry is the role of the "
     "service's own job"),
    ({"name": "a", "roles": ["opd:DISKUK", "system:partners"]}, "system:partners is the"),
    ({"name": "a", "queues": {"x": [{"exchange": "kerjasama.commands",
                                     "routing_key": "agreement.sign"}]}}, "queues.x"),
    ({"name": "a", "queues": {"x": [{"exchange": "kerjasama.dlx",
                                     "routing_key": "reporting.events.dlq"}]}}, "queues.x"),
    ({"name": "a", "queues": {"a.b": [{"exchange": "kerjasama.kpi",
                                       "routing_key": "kpi.#"}]}}, "a purpose"),
    ({"name": "a", "extra": 1}, "unknown field"),
])
def test_a_bad_systems_file_is_refused_naming_the_entry(
        tmp_path: Path, entry: dict[str, Any], message: str) -> None:
    path = tmp_path / "systems.json"
    path.write_text(json.dumps({"systems": [entry]}))
    with pytest.raises(defs.SystemsError, match=message):
        defs.load_systems(path)


def test_a_deployment_names_its_systems_and_gets_their_users_and_roles(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "systems.json"
    path.write_text(json.dumps({"systems": [{
        "name": "bekasi", "roles": ["system:bekasi"],
        "queues": {"signed": [{"exchange": "kerjasama.events",
                               "routing_key": "agreement.signed"}]}}]}))
    env = {f"KERJASAMA_RABBITMQ_PASSWORD_{k}": "x" * 20 for k in
           ("AGREEMENTS", "NOTIFICATIONS", "REPORTING", "PORTAL", "ADMIN",
            "EXTERNAL_BEKASI")}
    document = defs.build(defs.passwords_from_env(defs.load_systems(path), env),
                          systems=defs.load_systems(path))
    assert "kerjasama-external-bekasi" in {u["name"] for u in document["users"]}
    assert "external.bekasi.signed" in {q["name"] for q in document["queues"]}
    assert defs.main(["--systems", str(path), "--user-roles"]) == 0
    assert json.loads(capsys.readouterr().out) == {"kerjasama-external-bekasi": ["system:bekasi"]}


def test_password_hashes_are_rabbitmq_sha256_and_real_passwords_come_from_the_environment(
) -> None:
    hashed = defs.password_hash("rahasia")
    assert defs.check_password("rahasia", hashed)
    assert not defs.check_password("rahasia2", hashed)
    systems = defs.load_systems()
    everyone = defs.users(systems)
    env = {f"KERJASAMA_RABBITMQ_PASSWORD_{u.key}": f"pw-{u.key}" for u in everyone}
    document = defs.build(defs.passwords_from_env(systems, env), systems=systems)
    for user, entry in zip(everyone, document["users"], strict=True):
        assert defs.check_password(f"pw-{user.key}", entry["password_hash"])
        assert not defs.check_password(user.dev_password, entry["password_hash"])
    del env["KERJASAMA_RABBITMQ_PASSWORD_EXTERNAL_KEMENDAGRI"]
    with pytest.raises(SystemExit, match="KERJASAMA_RABBITMQ_PASSWORD_EXTERNAL_KEMENDAGRI"):
        defs.passwords_from_env(systems, env)


NAME_PARTS = st.sampled_from([
    "kerjasama", "events", "commands", "kpi", "dlx", "dlq", "external", "kemendagri",
    "simkop-diskuk", "notifications", "reporting", "agreements", "amq", "gen-", "default",
    "rabbitmq", "reply-to", "x", ""])
NAMES = st.one_of(
    st.lists(NAME_PARTS, min_size=1, max_size=5).map(".".join),
    st.sampled_from([e.name for e in topology.EXCHANGES] + [q.name for q in topology.QUEUES]
                    + ["amq.default", "external.kemendagri.kpi", "amq.gen-x"]).flatmap(
        lambda name: st.sampled_from([name, name + "x", "x" + name, name + ".x",
                                      name.replace(".", "x")])),
    st.text(max_size=30)).filter(bool)  # the broker checks no empty name ("^$" is "none")


@settings(max_examples=400)
@given(name=NAMES)
def test_no_permission_pattern_admits_more_than_its_list(name: str) -> None:
    """Whatever a name looks like, each user's patterns admit exactly the names listed
    for it: anchored, dots escaped, another system's prefix not taken for its own."""
    systems = defs.load_systems()
    exact = {
        "kerjasama-agreements": {"configure": set(), "write": {
            "kerjasama.events", "kerjasama.dlx", "amq.default"}, "read": {"agreements.commands"}},
        "kerjasama-notifications": {"configure": set(), "write": {"kerjasama.dlx"},
                                    "read": {"notifications.events", "notifications.kpi"}},
        "kerjasama-reporting": {"configure": set(), "write": {"kerjasama.kpi", "kerjasama.dlx"},
                                "read": {"reporting.events"}},
        "kerjasama-portal": {"configure": set(), "write": {"kerjasama.dlx"},
                             "read": {"portal.events"}},
    }
    for user, kinds in exact.items():
        for kind, allowed in kinds.items():
            assert bool(re.fullmatch(_permission(user, kind), name)) is (name in allowed)
    for system in systems:
        own = name.startswith(f"external.{system.name}.") and len(name) > len(
            f"external.{system.name}.")
        server_named = name.startswith("amq.gen-")
        assert bool(re.fullmatch(_permission(system.user, "read"), name)) is (
            own or server_named)
        assert bool(re.fullmatch(_permission(system.user, "configure"), name)) is server_named
        assert bool(re.fullmatch(_permission(system.user, "write"), name)) is (
            name == "kerjasama.commands")
