"""The RabbitMQ definitions of kerjasama, generated from ``contracts.topology``.

One vhost (``kerjasama``), the topology (exchanges, quorum queues with their arguments,
bindings, policies) exactly as the services declare it, and one least-privilege user per
service plus one for outside systems and one for operators.

Usage (from the repository root):

- ``python -m deploy.rabbitmq.definitions`` rewrites ``deploy/rabbitmq/definitions.json``
  (development passwords, for the compose stack on one's own machine);
- ``python -m deploy.rabbitmq.definitions --check`` exits 1 when that file is stale;
- ``python -m deploy.rabbitmq.definitions --passwords-from-env --output FILE`` writes
  definitions whose passwords come from ``KERJASAMA_RABBITMQ_PASSWORD_<USER>`` (``AGREEMENTS``,
  ``NOTIFICATIONS``, ``REPORTING``, ``EXTERNAL``, ``ADMIN``), for a real broker
  (``rabbitmqctl import_definitions FILE``).

Why each service user may configure every topology name: every service declares the whole
topology and PUTs its policies when it starts (``plumbing.topology.declare_all``), which
takes ``configure`` on each exchange and queue, ``write`` on each bound queue, ``read`` on
each bound exchange and the ``policymaker`` tag. What differs per user is what it may
publish to (``write`` on exchanges) and consume (``read`` on queues).
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
from plumbing.topology import policy_body

VHOST = "kerjasama"
BROKER_VERSION = "3.10"
HERE = Path(__file__).parent
DEFINITIONS = HERE / "definitions.json"
EXTERNAL_QUEUE_PREFIX = "external."
"""Outside systems name their own queues ``external.<system>.<purpose>``."""
SERVER_NAMED = r"amq\.gen-.*"
"""Queues the broker names (``queue.declare`` with an empty name), e.g. for replies."""
DEFAULT_EXCHANGE = "amq.default"
"""The default exchange ``""`` as permissions name it (replies go through it)."""


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
        return f"{self.key.lower()}-dev"


def _names(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(re.escape(n) for n in names)


def _regex(parts: tuple[str, ...]) -> str:
    return "^(" + "|".join(parts) + ")$" if parts else "^$"


_EXCHANGES = [e.name for e in topology.EXCHANGES]
_QUEUES = [q.name for q in topology.QUEUES]
_BOUND_EXCHANGES = sorted({b.exchange for q in topology.QUEUES for b in q.bindings})
_DECLARE = _names(_EXCHANGES + _QUEUES)  # declare_all: configure on every name
_BIND_WRITE = _names(_QUEUES)  # declare_all binds every queue: write on the queue
_BIND_READ = _names(_BOUND_EXCHANGES)  # ... and read on its exchange
_DLX = topology.DEAD_LETTER_EXCHANGE
_EXTERNAL = re.escape(EXTERNAL_QUEUE_PREFIX) + ".+"

USERS: tuple[User, ...] = (
    User("kerjasama-agreements", "AGREEMENTS", ("policymaker",), _DECLARE,
         _names([topology.EVENTS_EXCHANGE, _DLX, DEFAULT_EXCHANGE]) + _BIND_WRITE,
         _BIND_READ + _names([topology.AGREEMENTS_COMMANDS])),
    User("kerjasama-notifications", "NOTIFICATIONS", ("policymaker",), _DECLARE,
         _names([_DLX]) + _BIND_WRITE,
         _BIND_READ + _names([topology.NOTIFICATIONS_EVENTS])),
    User("kerjasama-reporting", "REPORTING", ("policymaker",), _DECLARE,
         _names([topology.KPI_EXCHANGE, _DLX]) + _BIND_WRITE,
         _BIND_READ + _names([topology.REPORTING_EVENTS])),
    User("kerjasama-external", "EXTERNAL", (), (_EXTERNAL, SERVER_NAMED),
         (*_names([topology.COMMANDS_EXCHANGE]), _EXTERNAL, SERVER_NAMED),
         (*_names([topology.EVENTS_EXCHANGE, topology.KPI_EXCHANGE]), _EXTERNAL, SERVER_NAMED)),
    # impersonator: `kerjasama dlq requeue` keeps a command's validated user_id
    User("kerjasama-admin", "ADMIN", ("administrator", "impersonator"), (".*",), (".*",),
         (".*",)),
)


def user(key: str) -> User:
    """The user whose password variable ends in ``key`` (e.g. ``EXTERNAL``)."""
    for u in USERS:
        if u.key == key:
            return u
    raise KeyError(key)


def password_hash(password: str, salt: bytes | None = None) -> str:
    """RabbitMQ's ``rabbit_password_hashing_sha256``: base64(salt + sha256(salt + password))."""
    salt = secrets.token_bytes(4) if salt is None else salt
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode()).digest()).decode()


def check_password(password: str, hashed: str) -> bool:
    """Whether ``password`` matches a ``rabbit_password_hashing_sha256`` hash."""
    raw = base64.b64decode(hashed)
    return password_hash(password, raw[:4]) == hashed


def build(passwords: Mapping[str, str] | None = None, vhost: str = VHOST) -> dict[str, Any]:
    """The definitions document; ``passwords`` by user key (development passwords if None).

    Development passwords get a salt derived from the user name, so the committed file is
    stable; given passwords get random salts.
    """
    users = []
    for u in USERS:
        if passwords is None:
            hashed = password_hash(u.dev_password, hashlib.sha256(u.name.encode()).digest()[:4])
        else:
            hashed = password_hash(passwords[u.key])
        users.append({"name": u.name, "password_hash": hashed,
                      "hashing_algorithm": "rabbit_password_hashing_sha256",
                      "tags": ",".join(u.tags), "limits": {}})
    return {
        "rabbit_version": BROKER_VERSION,
        "users": users,
        "vhosts": [{"name": vhost}],
        "permissions": [{"user": u.name, "vhost": vhost, "configure": _regex(u.configure),
                         "write": _regex(u.write), "read": _regex(u.read)} for u in USERS],
        "topic_permissions": [],
        "parameters": [],
        "global_parameters": [],
        "policies": [{"vhost": vhost, "name": p.name, **policy_body(p, BROKER_VERSION)}
                     for p in topology.POLICIES],
        "exchanges": [{"name": e.name, "vhost": vhost, "type": e.type, "durable": True,
                       "auto_delete": False, "internal": False, "arguments": {}}
                      for e in topology.EXCHANGES],
        "queues": [{"name": q.name, "vhost": vhost, "durable": True, "auto_delete": False,
                    "arguments": dict(q.arguments)} for q in topology.QUEUES],
        "bindings": [{"source": b.exchange, "vhost": vhost, "destination": q.name,
                      "destination_type": "queue", "routing_key": b.routing_key,
                      "arguments": {}} for q in topology.QUEUES for b in q.bindings],
    }


def dump(document: Mapping[str, Any]) -> str:
    """The JSON text of a definitions document, as committed."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def passwords_from_env(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """Every user's password from ``KERJASAMA_RABBITMQ_PASSWORD_<KEY>``; SystemExit if one lacks."""
    names = {u.key: f"KERJASAMA_RABBITMQ_PASSWORD_{u.key}" for u in USERS}
    missing = [n for n in names.values() if not environ.get(n)]
    if missing:
        raise SystemExit("definitions: set " + ", ".join(missing))
    return {key: environ[name] for key, name in names.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.rabbitmq.definitions",
                                     description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true",
                        help="exit 1 when deploy/rabbitmq/definitions.json is stale")
    parser.add_argument("--passwords-from-env", action="store_true",
                        help="passwords from KERJASAMA_RABBITMQ_PASSWORD_<USER>")
    parser.add_argument("--vhost", default=VHOST, help="virtual host (default %(default)s)")
    parser.add_argument("--output", type=Path, default=DEFINITIONS,
                        help="file to write (default deploy/rabbitmq/definitions.json)")
    args = parser.parse_args(argv)
    if args.passwords_from_env and args.output == DEFINITIONS:
        parser.error("--passwords-from-env writes real passwords: name another --output")
    passwords = passwords_from_env() if args.passwords_from_env else None
    text = dump(build(passwords, args.vhost))
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
