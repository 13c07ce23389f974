"""Failed sends retry with backoff up to a limit, then stay failed, visible to operators."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from plumbing import clock
from services.notifications.adapters.webhook import verify

from .conftest import (
    Agreements,
    Notifications,
    NotificationsFactory,
    SmtpFactory,
    WebhookReceiver,
    eventually,
    subject,
)
from .helpers import KSDPK_PROPOSAL

SECRETARIAT = "tkksd@kerjasama.local"


async def _propose(agreements: Agreements) -> str:
    created = await agreements.post("/agreements", {**KSDPK_PROPOSAL,
                                                     "proposed_on": "2021-01-11"}, 201)
    aid = str(created["id"])
    await agreements.relay(aid)
    return aid


async def _settled(service: Notifications, aid: str) -> dict[str, Any]:
    """The proposal's delivery to the secretariat, once it is sent or failed."""
    found: dict[str, Any] = {}

    async def done() -> bool:
        items = await service.deliveries(aid)
        found.update(items[0] if items else {})
        return bool(items) and items[0]["status"] in {"sent", "failed"}

    await eventually(done, what="the delivery sent or failed")
    return found


def _metric(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        match = re.fullmatch(rf"{name}\{{(.*)\}} (\S+)", line)
        if match and ",".join(sorted(match.group(1).split(","))) == wanted:
            return float(match.group(2))
    return 0.0


async def _metrics(service: Notifications) -> str:
    answer = await service.client.get("/metrics")
    assert answer.status_code == 200
    return answer.text


async def test_an_smtp_server_that_refuses_twice_gets_the_email_on_the_third_attempt(
        agreements: Agreements, notifications_factory: NotificationsFactory,
        smtp_server: SmtpFactory) -> None:
    clock.set_clock(date(2021, 1, 11))
    smtp = await smtp_server(refuse=2)
    service = await notifications_factory(smtp_port=smtp.port, max_attempts=3)
    labels = {"channel": "email", "rule": "proposal_received"}
    sent_before = _metric(await _metrics(service), "kerjasama_notifications_sent_total",
                          **labels)
    aid = await _propose(agreements)

    delivery = await _settled(service, aid)
    assert (delivery["status"], delivery["attempts"]) == ("sent", 3)
    assert delivery["recipient"] == "TKKSD" and delivery["address"] == SECRETARIAT
    assert delivery["last_error"] is None
    [mail] = smtp.to(SECRETARIAT)
    assert subject(mail).startswith("Permohonan fasilitasi kerja sama baru")
    metrics = await _metrics(service)
    assert _metric(metrics, "kerjasama_notifications_sent_total", **labels) == sent_before + 1
    assert _metric(metrics, "kerjasama_notifications_attempt_errors_total", **labels) >= 2


async def test_an_smtp_server_that_always_refuses_leaves_the_delivery_failed_and_visible(
        agreements: Agreements, notifications_factory: NotificationsFactory,
        smtp_server: SmtpFactory) -> None:
    clock.set_clock(date(2021, 1, 11))
    smtp = await smtp_server(refuse_always=True)
    service = await notifications_factory(smtp_port=smtp.port, max_attempts=3)
    labels = {"channel": "email", "rule": "proposal_received"}
    failed_before = _metric(await _metrics(service), "kerjasama_notifications_failed_total",
                            **labels)
    aid = await _propose(agreements)

    delivery = await _settled(service, aid)
    assert (delivery["status"], delivery["attempts"]) == ("failed", 3)
    assert "451" in delivery["last_error"]
    assert smtp.messages() == []
    await service.settle()  # a failed delivery is not tried again
    [again] = await service.deliveries(aid, status="failed")
    assert again["attempts"] == 3
    metrics = await _metrics(service)
    assert _metric(metrics, "kerjasama_notifications_failed_total", **labels) == \
        failed_before + 1


async def test_a_webhook_answering_503_is_retried_with_the_same_delivery_id_and_signed_anew(
        agreements: Agreements, notifications_factory: NotificationsFactory,
        smtp_server: SmtpFactory, webhook_receiver: WebhookReceiver) -> None:
    clock.set_clock(date(2021, 1, 11))
    smtp = await smtp_server()
    service = await notifications_factory(smtp_port=smtp.port, max_attempts=3)
    webhook_receiver.refuse = 1
    answer = await service.client.put("/contacts/TKKSD", json={
        "webhooks": [{"url": webhook_receiver.url("tkksd"), "secret": "tkksd-webhook-secret"}]})
    assert answer.status_code == 201
    aid = await _propose(agreements)

    delivery = await _settled(service, aid)
    assert (delivery["channel"], delivery["status"], delivery["attempts"]) == (
        "webhook", "sent", 2)
    first, second = webhook_receiver.received
    assert first.headers["x-kerjasama-delivery"] == second.headers["x-kerjasama-delivery"] \
        == str(delivery["id"])
    assert first.body == second.body
    for request in (first, second):
        assert verify("tkksd-webhook-secret", request.headers["x-kerjasama-timestamp"],
                      request.headers["x-kerjasama-delivery"], request.body,
                      request.headers["x-kerjasama-signature"])
