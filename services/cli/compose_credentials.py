"""The credentials of the compose stack, made where it runs (``kerjasama credentials init``,
:mod:`services.cli.credentials` tells what lies where).

Every password is random, made on the first run and kept afterwards; what the servers and
services read is written again only when it changes, so a second run changes nothing.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import stat
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from deploy.postgres import roles
from deploy.rabbitmq import definitions
from deploy.rabbitmq.definitions import System

SERVICES = ("agreements", "notifications", "reporting", "portal")
"""The services that get credentials; each reads them as its ``KERJASAMA_*`` settings
from files named after the variables (``KERJASAMA_SECRETS_DIR``)."""
RABBITMQ_HOST = "rabbitmq"
POSTGRES_HOST = "postgres"
"""The servers as the compose stack names them."""
DEFINITIONS = Path("rabbitmq") / "kerjasama.json"
MIGRATE = "agreements-migrate"
"""The directory of the owner credentials ``kerjasama migrate`` reads; no service mounts it."""
ROLES_SCRIPT = Path("postgres-init") / "10-kerjasama-roles.sql"
SUPERUSER_PASSWORD = Path("postgres") / "password"
GRAFANA_PASSWORD = Path("grafana") / "admin-password"
PRIVATE, SHARED = 0o600, 0o644
"""Modes: read by the services' own user; read by a server that runs as another user."""


def new_password() -> str:
    """A random password that needs no quoting in a URL or SQL (256 bits)."""
    return secrets.token_urlsafe(32)


def new_key() -> str:
    """A key of the webhook secrets: base64 of 32 random bytes."""
    return base64.b64encode(secrets.token_bytes(32)).decode()


def write(path: Path, text: str, mode: int) -> str:
    """Write ``text`` to ``path`` unless it holds it already; what was done, as a line."""
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        if stat.S_IMODE(path.stat().st_mode) != mode:
            path.chmod(mode)
        return f"kept {path}"
    existed = path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)
    temporary.chmod(mode)
    temporary.replace(path)
    return f"{'updated' if existed else 'made'} {path}"


def kept_or_made(path: Path, make: Callable[[], str], lines: list[str]) -> str:
    """The secret in ``path``, made and written first when there is none."""
    if path.is_file() and (value := path.read_text(encoding="utf-8").strip()):
        lines.append(f"kept {path}")
        return value
    value = make()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    lines.append(write(path, value, PRIVATE))
    return value


def _hash_matches(password: str, hashed: Any) -> bool:
    try:
        return isinstance(hashed, str) and definitions.check_password(password, hashed)
    except ValueError:  # not base64
        return False


def broker_definitions(passwords: dict[str, str], systems: Sequence[System],
                       previous: str = "") -> str:
    """The definitions text; ``passwords`` by user name. A hash of ``previous`` that still
    matches its user's password is kept, so unchanged passwords give an unchanged text."""
    document = definitions.build({u.key: passwords[u.name] for u in definitions.users(systems)},
                                 definitions.VHOST, systems)
    try:
        old = {u["name"]: u["password_hash"] for u in json.loads(previous)["users"]}
    except (ValueError, KeyError, TypeError):
        old = {}
    for entry in document["users"]:
        if _hash_matches(passwords[entry["name"]], old.get(entry["name"])):
            entry["password_hash"] = old[entry["name"]]
    return definitions.dump(document)


def service_files(service: str, broker: dict[str, str], database: dict[str, str],
                  webhook_keys: str, systems: Sequence[System] = ()) -> dict[str, str]:
    """The credentials of ``service``, by variable name (for agreements also the command
    roles of the outside systems, which come with their broker users)."""
    user, role = f"kerjasama-{service}", roles.role(service)
    password = quote(broker[user], safe="")
    files = {
        "KERJASAMA_AMQP_URL": f"amqp://{user}:{password}@{RABBITMQ_HOST}:5672/"
                              f"{quote(definitions.VHOST, safe='')}",
        "KERJASAMA_RABBITMQ_MANAGEMENT_URL": f"http://{user}:{password}@{RABBITMQ_HOST}:15672",
        f"KERJASAMA_{service.upper()}_DATABASE_URL":
            f"postgresql://{role}:{quote(database[role], safe='')}"
            f"@{POSTGRES_HOST}:5432/kerjasama_{service}",
    }
    if service == "notifications":
        files["KERJASAMA_WEBHOOK_SECRET_KEYS"] = webhook_keys
    if service == "agreements":
        files["KERJASAMA_AMQP_USER_ROLES"] = json.dumps(definitions.user_roles(systems),
                                                        separators=(",", ":"))
    return files


def _previous(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def init(directory: Path, systems: Sequence[System]) -> list[str]:
    """Make what is missing under ``directory``; a line per file saying what was done."""
    lines: list[str] = []
    operator = directory / "operator"
    broker = {u.name: kept_or_made(operator / "rabbitmq" / u.name, new_password, lines)
              for u in definitions.users(systems)}
    database = {name: kept_or_made(operator / "postgres" / name, new_password, lines)
                for name in (*roles.ROLES, roles.SUPERUSER)}
    grafana = kept_or_made(operator / "grafana" / "admin", new_password, lines)
    webhook_keys = kept_or_made(operator / "notifications" / "webhook-secret-keys", new_key,
                                lines)
    for service in SERVICES:
        for name, value in service_files(service, broker, database, webhook_keys,
                                         systems).items():
            lines.append(write(directory / service / name, value, PRIVATE))
    lines.append(write(directory / MIGRATE / "KERJASAMA_AGREEMENTS_OWNER_DATABASE_URL",
                       f"postgresql://{roles.AGREEMENTS_OWNER}:"
                       f"{quote(database[roles.AGREEMENTS_OWNER], safe='')}"
                       f"@{POSTGRES_HOST}:5432/kerjasama_agreements", PRIVATE))
    path = directory / DEFINITIONS
    lines.append(write(path, broker_definitions(broker, systems, _previous(path)), SHARED))
    path = directory / ROLES_SCRIPT
    lines.append(write(path, roles.script(database, _previous(path)), SHARED))
    lines.append(write(directory / SUPERUSER_PASSWORD, database[roles.SUPERUSER], SHARED))
    lines.append(write(directory / GRAFANA_PASSWORD, grafana, SHARED))
    return lines
