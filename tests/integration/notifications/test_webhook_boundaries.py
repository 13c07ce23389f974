"""Webhooks reach only the outside, and their secrets are stored encrypted
(docs/domain.md#boundaries)."""

from __future__ import annotations

import base64
import json
import os
from datetime import date
from typing import Any

import pytest

from plumbing import clock
from plumbing.errors import ConfigError
from plumbing.settings import load_settings
from services.notifications.adapters import contacts as contact_store
from services.notifications.adapters.database import open_database
from services.notifications.adapters.secret_box import key_id, secret_box_from
from services.notifications.adapters.webhook import verify
from services.notifications.domain.contacts import Contact, Webhook
from services.notifications.settings import NotificationsSettings

from .conftest import (
    Agreements,
    Notifications,
    NotificationsFactory,
    WebhookReceiver,
    eventually,
)
from .helpers import KSDPK_PROPOSAL

STRICT = {"webhook_allow_http": False, "webhook_allow_private_addresses": False}


async def _propose(agreements: Agreements) -> str:
    clock.set_clock(date(2021, 1, 11))
    created = await agreements.post("/agreements", {**KSDPK_PROPOSAL,
                                                     "proposed_on": "2021-01-11"}, 201)
    aid = str(created["id"])
    await agreements.relay(aid)
    return aid


async def _webhook_delivery(service: Notifications, aid: str) -> dict[str, Any]:
    """The proposal's webhook delivery to the secretariat, once it is sent or failed."""
    found: dict[str, Any] = {}

    async def done() -> bool:
        items = await service.deliveries(aid, limit=10)
        found.update(next((d for d in items if d["channel"] == "webhook"), {}))
        return found.get("status") in {"sent", "failed"}

    await eventually(done, what="the webhook delivery sent or failed")
    return found


async def _stored_webhooks(service: Notifications, code: str) -> str:
    text: str = await service.runtime.pool.fetchval(
        "SELECT webhooks::text FROM contacts WHERE code = $1", code)
    return text


REFUSED = [  # an internal target (the broker's management API, the database, metadata)
    ("https://127.0.0.1:15672/api/users", "127.0.0.1 is a loopback address"),
    ("https://localhost:5432/", "localhost resolves to 127.0.0.1, which is a loopback"),
    ("https://[::ffff:127.0.0.1]:15672/api", "(it stands for 127.0.0.1)"),
    ("https://10.20.30.40/hook", "10.20.30.40 is a private address"),
    ("https://169.254.169.254/latest/meta-data/", "a cloud metadata address"),
    ("https://100.100.100.200/latest/meta-data/", "a cloud metadata address"),
    ("https://[fd00:ec2::254]/latest/meta-data/", "a cloud metadata address"),
    ("https://guest:guest@hooks.example.invalid/api", "credentials in the URL are refused"),
    ("http://hooks.example.invalid/hook", "plain http is refused"),
]


async def test_webhooks_to_the_inside_are_refused_at_registration_naming_each_field(
        notifications_factory: NotificationsFactory) -> None:
    service = await notifications_factory(**STRICT)
    answer = await service.client.put("/contacts/DISKUK", json={"webhooks": [
        {"url": "https://hooks.example.invalid/kerjasama", "secret": "s" * 32},
        *({"url": url, "secret": "s" * 32} for url, _ in REFUSED)]})
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    errors = answer.json()["errors"]
    assert [e["field"] for e in errors] == [f"body.webhooks[{i}].url"
                                            for i in range(1, len(REFUSED) + 1)]
    for error, (url, says) in zip(errors, REFUSED, strict=True):
        assert says in error["message"], (url, error)
        assert says in answer.json()["detail"]
    assert (await service.client.get("/contacts/DISKUK")).status_code == 404


async def test_a_stored_webhook_to_the_inside_fails_at_once_and_nothing_is_requested(
        agreements: Agreements, notifications_factory: NotificationsFactory,
        webhook_receiver: WebhookReceiver) -> None:
    service = await notifications_factory(webhook_allow_http=True,
                                          webhook_allow_private_addresses=False)
    # stored before addresses were checked: the check at send time still holds
    await contact_store.put(service.runtime.pool, Contact(
        "TKKSD", webhooks=(Webhook(webhook_receiver.url("tkksd")),)),
        {webhook_receiver.url("tkksd"): "tkksd-webhook-secret"},
        secret_box_from(service.settings))
    aid = await _propose(agreements)

    delivery = await _webhook_delivery(service, aid)
    assert (delivery["status"], delivery["attempts"]) == ("failed", 1)
    assert delivery["last_error"] == (
        "webhook URL refused, not attempted: 127.0.0.1 is a loopback address: webhooks "
        "reach only outside addresses")
    assert webhook_receiver.received == []


async def test_webhook_secrets_are_stored_encrypted(
        notifications_factory: NotificationsFactory) -> None:
    service = await notifications_factory(**STRICT)
    answer = await service.client.put("/contacts/DISKUK", json={"webhooks": [
        {"url": "https://hooks.example.invalid/kerjasama", "secret": "rahasia-diskuk-2021"}]})
    assert answer.status_code == 201, answer.text
    stored = await _stored_webhooks(service, "DISKUK")
    assert "rahasia-diskuk-2021" not in stored
    [hook] = json.loads(stored)
    assert set(hook) == {"url", "sealed_secret"} and hook["sealed_secret"].startswith("v1.")


async def test_plain_text_secrets_are_encrypted_at_start_and_still_sign(
        agreements: Agreements, notifications_factory: NotificationsFactory,
        database_url_factory: Any, webhook_receiver: WebhookReceiver) -> None:
    url = await database_url_factory("notifications_legacy")
    pool = await open_database(load_settings(NotificationsSettings,
                                             notifications_database_url=url))
    try:  # a contact as the service stored it before secrets were encrypted
        await pool.execute(
            "INSERT INTO contacts (code, name, emails, webhooks, language)"
            " VALUES ('TKKSD', NULL, '{}', $1::jsonb, 'id')",
            json.dumps([{"url": webhook_receiver.url("tkksd"), "secret": "legacy-plain-1234"}]))
    finally:
        await pool.close()

    key = base64.b64encode(os.urandom(32)).decode()
    service = await notifications_factory(notifications_database_url=url,
                                          webhook_secret_keys=key)
    stored = await _stored_webhooks(service, "TKKSD")
    assert "legacy-plain-1234" not in stored
    assert json.loads(stored)[0]["sealed_secret"].startswith(
        f"v1.{key_id(base64.b64decode(key))}.")

    aid = await _propose(agreements)
    assert (await _webhook_delivery(service, aid))["status"] == "sent"
    [request] = webhook_receiver.received
    assert verify("legacy-plain-1234", request.headers["x-kerjasama-timestamp"],
                  request.headers["x-kerjasama-delivery"], request.body,
                  request.headers["x-kerjasama-signature"])


async def test_keys_that_cannot_open_the_stored_secrets_stop_the_start_and_rotation_works(
        notifications_factory: NotificationsFactory) -> None:
    old, new = (base64.b64encode(os.urandom(32)).decode() for _ in range(2))
    first = await notifications_factory(webhook_secret_keys=old)
    answer = await first.client.put("/contacts/DISKUK", json={"webhooks": [
        {"url": "https://hooks.example.invalid/kerjasama", "secret": "rahasia-diskuk-2021"}]})
    assert answer.status_code == 201, answer.text
    database = first.settings.notifications_database_url

    with pytest.raises(ConfigError, match="KERJASAMA_WEBHOOK_SECRET_KEYS: the webhook secrets "
                       "of these contacts open with none of its keys: DISKUK"):
        await notifications_factory(notifications_database_url=database,
                                    webhook_secret_keys=new)

    await notifications_factory(notifications_database_url=database,
                                webhook_secret_keys=f"{new},{old}")
    [hook] = json.loads(await _stored_webhooks(first, "DISKUK"))
    assert hook["sealed_secret"].startswith(f"v1.{key_id(base64.b64decode(new))}.")
