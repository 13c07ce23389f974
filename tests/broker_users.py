"""The broker definitions of ``deploy/`` loaded into the real test broker under unique names.

``deploy/rabbitmq/definitions.json`` is imported through the management API's
definitions import (what ``rabbitmqctl import_definitions`` runs) with the vhost and the
user names made unique (``kerjasama-test-<time>-<uuid6>``, ``<user>-<uuid6>``), so services and
tests can connect as the least-privilege users a deployment has; everything is deleted
afterwards. Passwords are the development passwords of the committed file.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from deploy.rabbitmq import definitions as defs
from plumbing.rabbitadmin import ManagementApiError, RabbitAdmin
from plumbing.urls import with_vhost
from tests.conftest import AMQP_URL, MANAGEMENT_URL, unique_vhost_name

DEFINITIONS = Path(defs.__file__).parent / "definitions.json"
SYSTEMS = defs.load_systems()
"""The outside systems of the committed definitions."""
KPI_READER = "EXTERNAL_KEMENDAGRI"
"""An outside system that follows KPI updates (user key in the committed definitions)."""
KPI_QUEUE = "external.kemendagri.kpi"
"""Its queue, bound to ``kerjasama.kpi`` with ``kpi.#`` by the definitions."""
COMMANDER = "EXTERNAL_SIMKOP_DISKUK"
"""An outside system that sends commands (as ``opd:DISKUK``)."""


def with_credentials(url: str, user: str, password: str) -> str:
    """``url`` logging in as ``user``."""
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    netloc = f"{quote(user, safe='')}:{quote(password, safe='')}@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


@dataclass(frozen=True)
class LoadedDefinitions:
    """The committed definitions as loaded into the test broker under unique names."""

    vhost: str
    users: dict[str, str]
    """Test user name by definitions user key (``AGREEMENTS``, ``EXTERNAL_KEMENDAGRI``, ...)."""
    document: dict[str, Any]

    def amqp_url(self, key: str) -> str:
        """AMQP URL of the loaded vhost, as the user of ``key`` with its password."""
        url = with_vhost(AMQP_URL, self.vhost)
        return with_credentials(url, self.users[key], defs.user(key, SYSTEMS).dev_password)

    def management_url(self, key: str) -> str:
        """Management API URL as the user of ``key``."""
        return with_credentials(MANAGEMENT_URL, self.users[key],
                                defs.user(key, SYSTEMS).dev_password)


def rename(document: dict[str, Any], vhost: str, suffix: str) -> dict[str, Any]:
    """The definitions with every vhost set to ``vhost`` and ``-<suffix>`` on user names."""
    text = json.dumps(document)
    renamed: dict[str, Any] = json.loads(text)
    for item in renamed["vhosts"]:
        item["name"] = vhost
    for section in ("permissions", "topic_permissions", "policies", "exchanges", "queues",
                    "bindings", "parameters"):
        for item in renamed.get(section, []):
            item["vhost"] = vhost
    for item in renamed["users"]:
        item["name"] = f"{item['name']}-{suffix}"
    for item in renamed["permissions"] + renamed.get("topic_permissions", []):
        item["user"] = f"{item['user']}-{suffix}"
    return renamed


@asynccontextmanager
async def definitions_loaded(admin: RabbitAdmin) -> AsyncIterator[LoadedDefinitions]:
    """The committed definitions imported under unique names; removed at the end."""
    vhost = unique_vhost_name()
    suffix = vhost.rsplit("-", 1)[1]
    document = json.loads(DEFINITIONS.read_text())
    renamed = rename(document, vhost, suffix)
    users = {u.key: f"{u.name}-{suffix}" for u in defs.users(SYSTEMS)}
    try:
        await admin.request("POST", "/definitions", renamed)
        yield LoadedDefinitions(vhost, users, document)
    finally:
        for name in users.values():
            try:
                await admin.request("DELETE", f"/users/{quote(name, safe='')}")
            except ManagementApiError as exc:
                if exc.status != 404:
                    raise
        await admin.delete_vhost(vhost)
