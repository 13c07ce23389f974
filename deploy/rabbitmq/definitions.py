"""The RabbitMQ definitions of kerjasama, generated from ``contracts.topology``.

One vhost (``kerjasama``), the topology (exchanges, quorum queues with their arguments,
bindings, policies), one least-privilege user per service, one user per outside system
(``deploy/rabbitmq/systems.json``: its queues, bindings and command roles) and one for
operators. The definitions are the only place the topology is created: services declare
nothing and check at start that what they use exists.

Usage (from the repository root):

- ``python -m deploy.rabbitmq.definitions`` rewrites ``deploy/rabbitmq/definitions.json``
  (development passwords, for the compose stack on one's own machine);
- ``python -m deploy.rabbitmq.definitions --check`` exits 1 when that file is stale;
- ``python -m deploy.rabbitmq.definitions --systems FILE --passwords-from-env --output OUT``
  writes definitions for a real broker (``rabbitmqctl import_definitions OUT``) with the
  outside systems of FILE, passwords from ``KERJASAMA_RABBITMQ_PASSWORD_<USER>``
  (``AGREEMENTS``, ``NOTIFICATIONS``, ``REPORTING``, ``ADMIN``, ``EXTERNAL_<SYSTEM>``);
- ``python -m deploy.rabbitmq.definitions --systems FILE --user-roles`` prints the value
  of the agreements service's ``KERJASAMA_AMQP_USER_ROLES`` for those systems.

Rights (docs/domain.md#boundaries): a service user may write only to the exchanges its service
publishes to and read only its own queue; it may configure and bind nothing, and has no
``policymaker`` tag. An outside system's user may publish commands, read its own queues
``external.<system>.<purpose>`` (declared and bound here) and use broker-named reply
queues (``amq.gen-…``) or Direct Reply-to; it may read no exchange, so it can bind
nothing — neither a queue to an exchange nor an exchange to an exchange.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import secrets
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contracts import topology
from contracts.roles import EXPIRY_JOB, PARTNER_ADOPTION_JOB
from plumbing.topology import policy_body

VHOST = "kerjasama"
BROKER_VERSION = "3.10"
HERE = Path(__file__).parent
DEFINITIONS = HERE / "definitions.json"
SYSTEMS = HERE / "systems.json"
"""The outside systems of a development broker (examples; a deployment names its own)."""
EXTERNAL_QUEUE_PREFIX = topology.EXTERNAL_QUEUE_PREFIX
SERVER_NAMED = r"amq\.gen-.*"
"""Queues the broker names (``queue.declare`` with an empty name), e.g. for replies."""
DEFAULT_EXCHANGE = "amq.default"
"""The default exchange ``""`` as permissions name it (replies go through it)."""
SYSTEM_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?")
PURPOSE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?")
FOLLOWABLE = (topology.EVENTS_EXCHANGE, topology.KPI_EXCHANGE)
"""The exchanges an outside system's queue may be bound to."""
ROLE = re.compile(r"(opd:[A-Z0-9_-]+|tkksd|sekda|governor|reporting|system:[a-z0-9-]+)")
JOB_ROLES = frozenset({EXPIRY_JOB, PARTNER_ADOPTION_JOB})
"""The roles of the agreements service's own jobs (contracts.roles)."""


@dataclass(frozen=True)
class User:
    """A broker user: permissions on the vhost as lists of names or regex parts."""

    name: str
    key: str
    """Suffix of its password variable, ``KERJASAMA_RABBITMQ_PASSWORD_<KEY>``."""
    tags: tuple[str, ...]
    configure: tuple[str, ...]
    write: tuple[str, ...]
    read: tuple[str, ...]

    @property
    def dev_password(self) -> str:
        """The development password of the compose stack."""
        return f"{self.key.lower().replace('_', '-')}-dev"


@dataclass(frozen=True)
class System:
    """An outside system: its broker user, its queues and the roles of its commands."""

    name: str
    description: str
    roles: tuple[str, ...]
    queues: dict[str, tuple[topology.Binding, ...]]
    """Bindings by purpose; the queue is ``external.<name>.<purpose>``."""

    @property
    def user(self) -> str:
        """Its broker user (the ``user_id`` its commands carry)."""
        return f"kerjasama-external-{self.name}"

    @property
    def key(self) -> str:
        """Its password variable's suffix, ``EXTERNAL_<NAME>``."""
        return "EXTERNAL_" + self.name.upper().replace("-", "_")

    def queue(self, purpose: str) -> str:
        """The name of its queue for ``purpose``."""
        return f"{EXTERNAL_QUEUE_PREFIX}{self.name}.{purpose}"


class SystemsError(ValueError):
    """Raised when a systems file is invalid; the message names the file and the entry."""


def _names(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(re.escape(n) for n in names)


def _regex(parts: tuple[str, ...]) -> str:
    return "^(" + "|".join(parts) + ")$" if parts else "^$"


def _system(entry: Any, where: str) -> System:
    if not isinstance(entry, dict):
        raise SystemsError(f"{where}: must be an object")
    unknown = set(entry) - {"name", "description", "roles", "queues"}
    if unknown:
        raise SystemsError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    name = entry.get("name")
    if not isinstance(name, str) or not SYSTEM_NAME.fullmatch(name):
        raise SystemsError(f"{where}.name: {name!r} must be 1-40 of a-z, 0-9 and '-' "
                           "(not at either end)")
    description = entry.get("description", "")
    if not isinstance(description, str) or not description.isprintable():
        raise SystemsError(f"{where}.description: must be one line of text")
    roles = entry.get("roles", [])
    if not isinstance(roles, list) or not all(isinstance(r, str) and ROLE.fullmatch(r)
                                              for r in roles):
        raise SystemsError(f"{where}.roles: must be a list of roles such as opd:DISKUK, "
                           f"tkksd or system:{name}")
    if reserved := sorted(set(roles) & JOB_ROLES):
        raise SystemsError(f"{where}.roles: {', '.join(reserved)} is the role of the "
                           "service's own job, which no outside system may act as")
    queues = entry.get("queues", {})
    if not isinstance(queues, dict):
        raise SystemsError(f"{where}.queues: must map a purpose to its bindings")
    bound: dict[str, tuple[topology.Binding, ...]] = {}
    for purpose, bindings in queues.items():
        here = f"{where}.queues.{purpose}"
        if not PURPOSE.fullmatch(purpose):
            raise SystemsError(f"{here}: a purpose is 1-40 of a-z, 0-9 and '-'")
        if not isinstance(bindings, list) or not bindings:
            raise SystemsError(f"{here}: must be a non-empty list of "
                               '{"exchange": ..., "routing_key": ...}')
        parsed = []
        for i, binding in enumerate(bindings):
            if (not isinstance(binding, dict) or set(binding) != {"exchange", "routing_key"}
                    or binding["exchange"] not in FOLLOWABLE
                    or not isinstance(binding["routing_key"], str)
                    or not re.fullmatch(r"[a-z0-9_#*]+(\.[a-z0-9_#*]+)*", binding["routing_key"])):
                raise SystemsError(f"{here}[{i}]: must be {{\"exchange\": one of "
                                   f"{', '.join(FOLLOWABLE)}, \"routing_key\": a binding key "
                                   "such as agreement.signed or kpi.#}")
            parsed.append(topology.Binding(binding["exchange"], binding["routing_key"]))
        bound[purpose] = tuple(parsed)
    return System(name, description, tuple(roles), bound)


def load_systems(path: Path = SYSTEMS) -> tuple[System, ...]:
    """The outside systems of ``path``; SystemsError naming the file and entry if invalid."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SystemsError(f"{path}: cannot read: {exc.strerror}") from None
    except ValueError as exc:
        raise SystemsError(f"{path}: not JSON: {exc}") from None
    entries = document.get("systems") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise SystemsError(f'{path}: must be {{"systems": [...]}}')
    systems = tuple(_system(e, f"{path}: systems[{i}]") for i, e in enumerate(entries))
    names = [s.name for s in systems]
    if len(set(names)) != len(names):
        raise SystemsError(f"{path}: a system is named twice")
    return systems


def service_users() -> tuple[User, ...]:
    """The users of the services and of the operators."""
    return (
        User("kerjasama-agreements", "AGREEMENTS", (), (),
             _names([topology.EVENTS_EXCHANGE, topology.DEAD_LETTER_EXCHANGE,
                     DEFAULT_EXCHANGE]),
             _names([topology.AGREEMENTS_COMMANDS])),
        User("kerjasama-notifications", "NOTIFICATIONS", (), (),
             _names([topology.DEAD_LETTER_EXCHANGE]),
             _names([topology.NOTIFICATIONS_EVENTS, topology.NOTIFICATIONS_KPI])),
        User("kerjasama-reporting", "REPORTING", (), (),
             _names([topology.KPI_EXCHANGE, topology.DEAD_LETTER_EXCHANGE]),
             _names([topology.REPORTING_EVENTS])),
        User("kerjasama-portal", "PORTAL", (), (),
             _names([topology.DEAD_LETTER_EXCHANGE]),
             _names([topology.PORTAL_EVENTS])),
        # impersonator: `kerjasama dlq requeue` keeps a command's validated user_id
        User("kerjasama-admin", "ADMIN", ("administrator", "impersonator"), (".*",), (".*",),
             (".*",)),
    )


def system_user(system: System) -> User:
    """The user of an outside system: commands in, its own queues and reply queues out."""
    return User(system.user, system.key, (), (SERVER_NAMED,),
                _names([topology.COMMANDS_EXCHANGE]),
                (re.escape(f"{EXTERNAL_QUEUE_PREFIX}{system.name}.") + ".+", SERVER_NAMED))


def users(systems: Iterable[System] = ()) -> tuple[User, ...]:
    """Every user: the services', the operators' and one per outside system."""
    return service_users() + tuple(system_user(s) for s in systems)


USERS = service_users()


def user(key: str, systems: Iterable[System] = ()) -> User:
    """The user whose password variable ends in ``key`` (e.g. ``EXTERNAL_KEMENDAGRI``)."""
    for u in users(systems):
        if u.key == key:
            return u
    raise KeyError(key)


def user_roles(systems: Iterable[System]) -> dict[str, list[str]]:
    """``KERJASAMA_AMQP_USER_ROLES`` of the agreements service for ``systems``."""
    return {s.user: list(s.roles) for s in systems if s.roles}


def password_hash(password: str, salt: bytes | None = None) -> str:
    """RabbitMQ's ``rabbit_password_hashing_sha256``: base64(salt + sha256(salt + password))."""
    salt = secrets.token_bytes(4) if salt is None else salt
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode()).digest()).decode()


def check_password(password: str, hashed: str) -> bool:
    """Whether ``password`` matches a ``rabbit_password_hashing_sha256`` hash."""
    raw = base64.b64decode(hashed)
    return password_hash(password, raw[:4]) == hashed


def build(passwords: Mapping[str, str] | None = None, vhost: str = VHOST,
          systems: Iterable[System] | None = None) -> dict[str, Any]:
    """The definitions document; ``passwords`` by user key (development passwords if None),
    ``systems`` the outside systems (those of ``systems.json`` if None).

    Development passwords get a salt derived from the user name, so the committed file is
    stable; given passwords get random salts.
    """
    outside = load_systems() if systems is None else tuple(systems)
    everyone = users(outside)
    entries = []
    for u in everyone:
        if passwords is None:
            hashed = password_hash(u.dev_password, hashlib.sha256(u.name.encode()).digest()[:4])
        else:
            hashed = password_hash(passwords[u.key])
        entries.append({"name": u.name, "password_hash": hashed,
                        "hashing_algorithm": "rabbit_password_hashing_sha256",
                        "tags": ",".join(u.tags), "limits": {}})
    queues = [(q.name, dict(q.arguments), q.bindings) for q in topology.QUEUES]
    queues += [(s.queue(purpose), {"x-queue-type": "quorum"}, bindings)
               for s in outside for purpose, bindings in s.queues.items()]
    return {
        "rabbit_version": BROKER_VERSION,
        "users": entries,
        "vhosts": [{"name": vhost}],
        "permissions": [{"user": u.name, "vhost": vhost, "configure": _regex(u.configure),
                         "write": _regex(u.write), "read": _regex(u.read)} for u in everyone],
        "topic_permissions": [],
        "parameters": [],
        "global_parameters": [],
        "policies": [{"vhost": vhost, "name": p.name, **policy_body(p, BROKER_VERSION)}
                     for p in topology.POLICIES],
        "exchanges": [{"name": e.name, "vhost": vhost, "type": e.type, "durable": True,
                       "auto_delete": False, "internal": False, "arguments": {}}
                      for e in topology.EXCHANGES],
        "queues": [{"name": name, "vhost": vhost, "durable": True, "auto_delete": False,
                    "arguments": arguments} for name, arguments, _ in queues],
        "bindings": [{"source": b.exchange, "vhost": vhost, "destination": name,
                      "destination_type": "queue", "routing_key": b.routing_key,
                      "arguments": {}} for name, _, bindings in queues for b in bindings],
    }


def dump(document: Mapping[str, Any]) -> str:
    """The JSON text of a definitions document, as committed."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def passwords_from_env(systems: Iterable[System] = (),
                       environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """Every user's password from ``KERJASAMA_RABBITMQ_PASSWORD_<KEY>``; SystemExit if one lacks."""
    names = {u.key: f"KERJASAMA_RABBITMQ_PASSWORD_{u.key}" for u in users(systems)}
    missing = [n for n in names.values() if not environ.get(n)]
    if missing:
        raise SystemExit("definitions: set " + ", ".join(missing))
    return {key: environ[name] for key, name in names.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.rabbitmq.definitions",
                                     description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true",
                        help="exit 1 when deploy/rabbitmq/definitions.json is stale")
    parser.add_argument("--systems", type=Path, default=SYSTEMS,
                        help="the outside systems (default deploy/rabbitmq/systems.json)")
    parser.add_argument("--passwords-from-env", action="store_true",
                        help="passwords from KERJASAMA_RABBITMQ_PASSWORD_<USER>")
    parser.add_argument("--user-roles", action="store_true",
                        help="print KERJASAMA_AMQP_USER_ROLES for the systems and exit")
    parser.add_argument("--vhost", default=VHOST, help="virtual host (default %(default)s)")
    parser.add_argument("--output", type=Path, default=DEFINITIONS,
                        help="file to write (default deploy/rabbitmq/definitions.json)")
    args = parser.parse_args(argv)
    try:
        systems = load_systems(args.systems)
    except SystemsError as exc:
        parser.error(str(exc))
    if args.user_roles:
        print(json.dumps(user_roles(systems), separators=(",", ":")))
        return 0
    if args.passwords_from_env and args.output == DEFINITIONS:
        parser.error("--passwords-from-env writes real passwords: name another --output")
    if args.output == DEFINITIONS and args.systems != SYSTEMS:
        parser.error("--systems names a deployment's systems: name another --output")
    passwords = passwords_from_env(systems) if args.passwords_from_env else None
    text = dump(build(passwords, args.vhost, systems))
    if args.check:
        if not args.output.exists() or args.output.read_text() != text:
            print(f"{args.output} is stale: run python -m deploy.rabbitmq.definitions",
                  file=sys.stderr)
            return 1
        return 0
    args.output.write_text(text)
    if passwords is not None:
        args.output.chmod(0o600)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
