"""A signed agreement asks its agency for a follow-up plan, by email and signed webhook."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from plumbing import clock
from plumbing.consume import MESSAGES
from services.notifications.adapters.webhook import verify

from .conftest import (
    Agreements,
    NotificationsFactory,
    SmtpFactory,
    WebhookReceiver,
    eventually,
    subject,
)
from .helpers import KSDPL_PROPOSAL, signed_ksdpl

SECRET = "rahasia-biro-pemerintahan-2021"
AGENCY_EMAIL = "biro.pemerintahan@jabarprov.go.id"
SIGNED_TYPE = "kerjasama.agreement.signed.v1"


async def _contact(service: Any, receiver: WebhookReceiver) -> None:
    answer = await service.client.put("/contacts/BIRO_PEM", json={
        "emails": [AGENCY_EMAIL], "webhooks": [{"url": receiver.url("biro"), "secret": SECRET}],
        "language": "id", "name": "Biro Pemerintahan dan Otonomi Daerah"})
    assert answer.status_code == 201, answer.text


def _plan_requests(deliveries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [d for d in deliveries if d["rule"] == "follow_up_plan_requested"
            and d["recipient"] == "BIRO_PEM"]


async def test_a_signed_ksdpl_agreement_asks_the_agency_for_a_follow_up_plan(
        agreements: Agreements, notifications_factory: NotificationsFactory,
        smtp_server: SmtpFactory, webhook_receiver: WebhookReceiver) -> None:
    clock.set_clock(date(2021, 4, 20))
    smtp = await smtp_server()
    service = await notifications_factory(smtp_port=smtp.port)
    await _contact(service, webhook_receiver)
    aid = await signed_ksdpl(agreements)
    await agreements.relay(aid)

    async def both_sent() -> bool:
        return [d["status"] for d in _plan_requests(await service.deliveries(aid))] == \
            ["sent", "sent"]

    await eventually(both_sent, what="plan request sent by email and webhook")

    [mail] = smtp.to(AGENCY_EMAIL)
    title = KSDPL_PROPOSAL["title"]
    assert subject(mail) == f"Permintaan rencana tindak lanjut: {title} (paling lambat " \
                              "20 Mei 2021)"
    text = mail.get_content()
    for fact in ("Yth. Biro Pemerintahan dan Otonomi Daerah", "Chungcheongnam-do (KR)",
                 "Kerja Sama Daerah dengan Pemerintah Daerah di Luar Negeri (KSDPL)",
                 "Kesepakatan Bersama (MoU), nomor 120/15/Pem.Um",
                 "ditandatangani pada 20 April 2021", "paling lambat 20 Mei 2021",
                 "Perangkat Daerah pelaksana: BIRO_PEM, didukung oleh DISPARBUD",
                 "20 April 2021 s.d. 19 April 2024", "rencana tindak lanjut", aid):
        assert fact in text, fact

    [hook] = [r for r in webhook_receiver.received
              if r.json()["rule"] == "follow_up_plan_requested"]
    timestamp = hook.headers["x-kerjasama-timestamp"]
    delivery_id = hook.headers["x-kerjasama-delivery"]
    signature = hook.headers["x-kerjasama-signature"]
    assert verify(SECRET, timestamp, delivery_id, hook.body, signature)
    assert not verify("another-secret-of-16+", timestamp, delivery_id, hook.body, signature)
    assert not verify(SECRET, timestamp, delivery_id,
                      hook.body.replace(b"BIRO_PEM", b"BIRO_XXX"), signature)
    body = hook.json()
    assert body["agreement"]["id"] == aid
    assert body["agreement"]["partner"]["name"] == "Chungcheongnam-do"
    assert body["due_on"] == "2021-05-20"
    assert body["subject"] == subject(mail)

    # the proposal, dated 11 January and recorded on 20 April, is old history: in the log
    # of the TKKSD secretariat (a configured contact) as skipped, and not mailed
    [proposal] = [d for d in await service.deliveries(aid)
                  if d["rule"] == "proposal_received"]
    assert (proposal["recipient"], proposal["status"], proposal["subject"]) == (
        "TKKSD", "skipped", f"Permohonan fasilitasi kerja sama baru: {title} (BIRO_PEM)")
    assert proposal["last_error"].startswith(
        "entered 99 days after it happened (proposed 2021-01-11)")
    assert smtp.to("tkksd@kerjasama.local") == []
    # DISPARBUD, a supporting agency without a contact, is visible in the log
    [missing] = [d for d in await service.deliveries(aid) if d["recipient"] == "DISPARBUD"]
    assert missing["status"] == "no_contact"


async def test_the_same_event_delivered_five_times_sends_one_email_and_one_webhook(
        agreements: Agreements, notifications_factory: NotificationsFactory,
        smtp_server: SmtpFactory, webhook_receiver: WebhookReceiver) -> None:
    clock.set_clock(date(2021, 4, 20))
    smtp = await smtp_server()
    service = await notifications_factory(smtp_port=smtp.port)
    await _contact(service, webhook_receiver)
    aid = await signed_ksdpl(agreements)
    events = await agreements.events(aid)
    signed = [e for e in events if e["type"] == SIGNED_TYPE]
    duplicates = MESSAGES.labels("notifications.events", SIGNED_TYPE, "duplicate")
    before: float = duplicates._value.get()
    await agreements.publish([e for e in events if e["type"] != SIGNED_TYPE])
    await agreements.publish(signed, times=5)

    async def all_consumed() -> bool:
        consumed: float = duplicates._value.get() - before
        return consumed >= 4

    await eventually(all_consumed, what="five deliveries of the signed event consumed")

    async def sent() -> bool:
        return {d["status"] for d in _plan_requests(await service.deliveries(aid))} == {"sent"}

    await eventually(sent, what="plan requests sent")
    await service.settle()
    plan_requests = _plan_requests(await service.deliveries(aid))
    assert sorted((d["channel"], d["status"], d["attempts"]) for d in plan_requests) == [
        ("email", "sent", 1), ("webhook", "sent", 1)]
    assert len([m for m in smtp.to(AGENCY_EMAIL)
                if subject(m).startswith("Permintaan rencana tindak lanjut")]) == 1
    assert len([r for r in webhook_receiver.received
                if json.loads(r.body)["rule"] == "follow_up_plan_requested"]) == 1
