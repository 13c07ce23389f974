"""WhatsApp through the real broker to a local provider on 127.0.0.1 (a development run):
each provider gets its documented request, once per reason whatever the redeliveries;
a provider error is retried, a refused request fails at once; the numbers are contacts'."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest

from plumbing import clock
from plumbing.consume import MESSAGES
from services.notifications.application.metrics import FAILED, SENT
from tests.auth import auth_headers

from .conftest import (
    Agreements,
    Notifications,
    NotificationsFactory,
    SmtpFactory,
    eventually,
)
from .helpers import KSDPL_PROPOSAL, signed_ksdpl
from .whatsapp_receiver import (
    CLOUD_TOKEN,
    GATEWAY_TOKEN,
    PHONE_NUMBER_ID,
    WhatsAppReceiver,
    run_receiver,
)

NUMBER = "+6281234567890"
SIGNED_TYPE = "kerjasama.agreement.signed.v1"
TITLE = KSDPL_PROPOSAL["title"]


def wamid(count: int) -> dict[str, Any]:
    """What the Cloud API answers a sent message (its id numbered by the request)."""
    return {"messaging_product": "whatsapp",
            "contacts": [{"input": "6281234567890", "wa_id": "6281234567890"}],
            "messages": [{"id": f"wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABEYEj{count}"}]}


def queued(count: int) -> dict[str, Any]:
    """What a Fonnte-style gateway answers a queued message."""
    return {"detail": "success! message in queue", "id": [str(80367170 + count)],
            "process": "pending", "status": True, "target": ["6281234567890"]}


@pytest.fixture
async def provider() -> AsyncIterator[WhatsAppReceiver]:
    async for receiver in run_receiver():
        yield receiver


async def _start(factory: NotificationsFactory, smtp: SmtpFactory, receiver: WhatsAppReceiver,
                 kind: str, language: str = "id", **settings: Any) -> Notifications:
    if kind == "cloud":
        receiver.ok, provider_settings = (200, wamid), receiver.cloud_settings()
    else:
        receiver.ok, provider_settings = (200, queued), receiver.gateway_settings()
    service = await factory(smtp_port=(await smtp()).port, **provider_settings, **settings)
    answer = await service.client.put("/contacts/BIRO_PEM", json={
        "emails": ["biro.pemerintahan@jabarprov.go.id"], "whatsapp": [NUMBER],
        "language": language, "name": "Biro Pemerintahan dan Otonomi Daerah"})
    assert answer.status_code == 201, answer.text
    return service


async def _whatsapp(service: Notifications, aid: str, *done: str) -> dict[str, Any]:
    """The plan request's WhatsApp delivery to BIRO_PEM, once its status is one of ``done``."""
    found: list[dict[str, Any]] = []

    async def settled() -> bool:
        found[:] = [d for d in await service.deliveries(aid)
                    if d["channel"] == "whatsapp" and d["rule"] == "follow_up_plan_requested"]
        return len(found) == 1 and found[0]["status"] in done

    await eventually(settled, what=f"the WhatsApp delivery {done}")
    await service.settle()
    await asyncio.sleep(0.3)  # longer than any retry's wait: nothing more may be sent
    [delivery] = [d for d in await service.deliveries(aid) if d["channel"] == "whatsapp"
                  and d["rule"] == "follow_up_plan_requested"]
    return delivery


async def test_a_signing_reaches_the_agencys_whatsapp_once_by_the_cloud_api_despite_redelivery(
        agreements: Agreements, notifications_factory: NotificationsFactory,
        smtp_server: SmtpFactory, provider: WhatsAppReceiver) -> None:
    clock.set_clock(date(2021, 4, 20))
    service = await _start(notifications_factory, smtp_server, provider, "cloud")
    sent = SENT.labels("whatsapp", "follow_up_plan_requested")
    sent_before: float = sent._value.get()
    aid = await signed_ksdpl(agreements)
    events = await agreements.events(aid)
    duplicates = MESSAGES.labels("notifications.events", SIGNED_TYPE, "duplicate")
    before: float = duplicates._value.get()
    await agreements.publish([e for e in events if e["type"] != SIGNED_TYPE])
    await agreements.publish([e for e in events if e["type"] == SIGNED_TYPE], times=3)

    async def redelivered() -> bool:
        return bool(duplicates._value.get() - before >= 2)

    await eventually(redelivered, what="three deliveries of the signed event consumed")
    delivery = await _whatsapp(service, aid, "sent")

    [request] = provider.seen
    assert (request.method, request.path) == ("POST", f"/v21.0/{PHONE_NUMBER_ID}/messages")
    assert request.headers["authorization"] == f"Bearer {CLOUD_TOKEN}"
    assert request.headers["content-type"] == "application/json"
    summary = f"Permintaan rencana tindak lanjut: {TITLE} (paling lambat 20 Mei 2021)"
    assert request.json() == {
        "messaging_product": "whatsapp", "recipient_type": "individual",
        "to": "6281234567890", "type": "template",
        "template": {"name": "kerjasama_follow_up_plan_requested", "language": {"code": "id"},
                     "components": [{"type": "body", "parameters": [
                         {"type": "text", "text": "Biro Pemerintahan dan Otonomi Daerah"},
                         {"type": "text", "text": summary}]}]}}
    assert (delivery["address"], delivery["status"], delivery["attempts"]) == (NUMBER, "sent", 1)
    assert delivery["provider_message_id"] == "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABEYEj1"
    assert delivery["subject"] == summary
    assert sent._value.get() - sent_before == 1  # kerjasama_notifications_sent_total
    # the email went out as before, beside it
    channels = {d["channel"] for d in await service.deliveries(aid)
                if d["recipient"] == "BIRO_PEM" and d["status"] == "sent"}
    assert channels == {"email", "whatsapp"}


async def test_a_gateway_is_sent_the_text_in_the_contacts_language(
        agreements: Agreements, notifications_factory: NotificationsFactory,
        smtp_server: SmtpFactory, provider: WhatsAppReceiver) -> None:
    clock.set_clock(date(2021, 4, 20))
    service = await _start(notifications_factory, smtp_server, provider, "gateway",
                           language="en")
    aid = await signed_ksdpl(agreements)
    await agreements.relay(aid)
    delivery = await _whatsapp(service, aid, "sent")

    [request] = provider.seen
    assert (request.method, request.path) == ("POST", "/send")
    assert request.headers["authorization"] == GATEWAY_TOKEN
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    form = request.form()
    assert set(form) == {"target", "message"} and form["target"] == "6281234567890"
    assert form["message"].startswith(
        f"*Follow-up plan requested: {TITLE} (due 20 May 2021)*\n\n"
        "Dear Biro Pemerintahan dan Otonomi Daerah,\n\n")
    assert f"Agreement ID: {aid}" in form["message"]
    assert delivery["provider_message_id"] == "80367171"


@pytest.mark.parametrize("kind", ["cloud", "gateway"])
async def test_a_provider_error_is_retried_and_the_message_delivered_once(
        kind: str, agreements: Agreements, notifications_factory: NotificationsFactory,
        smtp_server: SmtpFactory, provider: WhatsAppReceiver) -> None:
    clock.set_clock(date(2021, 4, 20))
    service = await _start(notifications_factory, smtp_server, provider, kind)
    provider.script = [(500, {"error": {"message": "Service temporarily unavailable"}}),
                       (429, {"error": {"message": "(#130429) Rate limit hit"}})]
    aid = await signed_ksdpl(agreements)
    await agreements.relay(aid)
    delivery = await _whatsapp(service, aid, "sent")
    assert (delivery["status"], delivery["attempts"], delivery["last_error"]) == ("sent", 3, None)
    assert len(provider.seen) == 3  # the two refusals and the one success, nothing after
    assert provider.seen[0].body == provider.seen[2].body  # the same message each time


@pytest.mark.parametrize("kind", ["cloud", "gateway"])
async def test_a_request_the_provider_refuses_fails_at_once_and_is_not_retried(
        kind: str, agreements: Agreements, notifications_factory: NotificationsFactory,
        smtp_server: SmtpFactory, provider: WhatsAppReceiver) -> None:
    clock.set_clock(date(2021, 4, 20))
    service = await _start(notifications_factory, smtp_server, provider, kind)
    provider.script = [(400, {"error": {"message": "(#132001) Template name does not exist "
                                        "in the translation", "code": 132001}})]
    failed = FAILED.labels("whatsapp", "follow_up_plan_requested")
    failed_before: float = failed._value.get()
    aid = await signed_ksdpl(agreements)
    await agreements.relay(aid)
    delivery = await _whatsapp(service, aid, "failed")
    assert (delivery["status"], delivery["attempts"]) == ("failed", 1)
    assert failed._value.get() - failed_before == 1  # kerjasama_notifications_failed_total
    assert "answered 400, not retried" in delivery["last_error"]
    assert "Template name does not exist" in delivery["last_error"]
    assert len(provider.seen) == 1
    assert CLOUD_TOKEN not in delivery["last_error"] and GATEWAY_TOKEN not in \
        delivery["last_error"]


async def test_a_gateway_that_answers_status_false_did_not_send_and_the_log_says_why(
        agreements: Agreements, notifications_factory: NotificationsFactory,
        smtp_server: SmtpFactory, provider: WhatsAppReceiver) -> None:
    clock.set_clock(date(2021, 4, 20))
    service = await _start(notifications_factory, smtp_server, provider, "gateway",
                           max_attempts=1)
    provider.script = [(200, {"status": False, "reason": "device disconnected"})]
    aid = await signed_ksdpl(agreements)
    await agreements.relay(aid)
    delivery = await _whatsapp(service, aid, "failed")
    assert delivery["last_error"].endswith("the gateway did not send: device disconnected")
    assert delivery["provider_message_id"] is None


async def test_a_cloud_api_2xx_without_a_message_id_is_sent_once_with_no_provider_id(
        agreements: Agreements, notifications_factory: NotificationsFactory,
        smtp_server: SmtpFactory, provider: WhatsAppReceiver) -> None:
    clock.set_clock(date(2021, 4, 20))
    service = await _start(notifications_factory, smtp_server, provider, "cloud")
    provider.script = [(200, {"messaging_product": "whatsapp"})]  # accepted, no wamid
    aid = await signed_ksdpl(agreements)
    await agreements.relay(aid)
    delivery = await _whatsapp(service, aid, "sent")
    assert (delivery["status"], delivery["attempts"], delivery["last_error"]) == ("sent", 1, None)
    assert delivery["provider_message_id"] is None
    assert len(provider.seen) == 1  # not retried: one message on the phone, not eight


async def test_a_number_with_a_trailing_line_feed_is_refused_not_kept_beside_the_number(
        notifications_factory: NotificationsFactory, smtp_server: SmtpFactory) -> None:
    service = await notifications_factory(smtp_port=(await smtp_server()).port)
    answer = await service.client.put("/contacts/DISKUK", json={
        "whatsapp": [NUMBER, NUMBER + "\n"]})
    assert answer.status_code == 422, answer.text
    [error] = answer.json()["errors"]
    assert error["field"] == "body.whatsapp[1]"
    assert "'+6281234567890\\n' is not an E.164 number" in error["message"]
    assert "body.whatsapp[1]" in answer.json()["detail"]
    answer = await service.client.put("/contacts/DISKUK", json={"whatsapp": [NUMBER]})
    assert answer.status_code == 201, answer.text  # nothing was stored by the refusal
    assert answer.json()["whatsapp"] == [NUMBER]


async def test_contacts_keep_whatsapp_numbers_in_e164_and_refuse_others_naming_them(
        notifications_factory: NotificationsFactory, smtp_server: SmtpFactory) -> None:
    service = await notifications_factory(smtp_port=(await smtp_server()).port)
    answer = await service.client.put("/contacts/DISKUK", json={
        "whatsapp": [NUMBER, "+6222 4230 9876"], "language": "id"})
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert answer.headers["content-type"] == "application/problem+json"
    [error] = problem["errors"]
    assert error["field"] == "body.whatsapp[1]"
    assert "'+6222 4230 9876' is not an E.164 number" in error["message"]
    assert "body.whatsapp[1]" in problem["detail"] and "+6222 4230 9876" in problem["detail"]
    for bad in ("081234567890", "+0812345678", "6281234567890", "+1234567"):
        answer = await service.client.put("/contacts/DISKUK", json={"whatsapp": [bad]})
        assert answer.status_code == 422 and bad in answer.text, bad

    answer = await service.client.put("/contacts/DISKUK", json={
        "whatsapp": [NUMBER, "+6281398765432", NUMBER]}, headers=auth_headers("opd:DISKUK"))
    assert answer.status_code == 201, answer.text
    assert answer.json()["whatsapp"] == [NUMBER, "+6281398765432"]
    shown = await service.client.get("/contacts/DISKUK", headers=auth_headers("opd:DISKUK"))
    assert shown.json()["whatsapp"] == [NUMBER, "+6281398765432"]
    assert shown.json()["emails"] == [] and shown.json()["webhooks"] == []
    other = await service.client.get("/contacts/DISKUK", headers=auth_headers("opd:BIRO_PEM"))
    assert other.status_code == 403
    listed = await service.client.get("/contacts", headers=auth_headers("opd:BIRO_PEM"))
    assert NUMBER not in listed.text

    schema = (await service.client.get("/openapi.json")).json()
    documented = schema["components"]["schemas"]["ContactBody"]["properties"]["whatsapp"]
    assert "E.164" in documented["description"] and documented["examples"] == [[
        "+6281234567890"]]


async def test_without_a_provider_an_agency_with_only_whatsapp_is_logged_as_not_reached(
        agreements: Agreements, notifications_factory: NotificationsFactory,
        smtp_server: SmtpFactory) -> None:
    clock.set_clock(date(2021, 4, 20))
    service = await notifications_factory(smtp_port=(await smtp_server()).port)
    answer = await service.client.put("/contacts/BIRO_PEM", json={"whatsapp": [NUMBER]})
    assert answer.status_code == 201, answer.text
    aid = await signed_ksdpl(agreements)
    await agreements.relay(aid)

    async def logged() -> bool:
        return any(d["recipient"] == "BIRO_PEM" and d["rule"] == "follow_up_plan_requested"
                   for d in await service.deliveries(aid))

    await eventually(logged, what="the plan request logged")
    [row] = [d for d in await service.deliveries(aid) if d["recipient"] == "BIRO_PEM"
             and d["rule"] == "follow_up_plan_requested"]
    assert (row["channel"], row["status"]) == ("none", "no_contact")
    assert "no WhatsApp provider is configured (KERJASAMA_WHATSAPP_PROVIDER)" in \
        row["last_error"]
