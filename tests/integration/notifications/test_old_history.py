"""No mail about old history, and nothing forgotten (real PostgreSQL, RabbitMQ and SMTP).

An agreement signed years before it is entered is logged as skipped, not mailed; one
entered within the late days is mailed; the TKKSD secretariat gets one digest a day of
the late-entered agreements that need attention, whatever the runs and replicas.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any

import pytest

from contracts.topology import NOTIFICATIONS_EVENTS
from plumbing import clock
from tests.auth import auth_headers
from tests.waiting import redelivered

from .conftest import (
    Agreements,
    Notifications,
    NotificationsFactory,
    SmtpFactory,
    SmtpServer,
    WebhookReceiver,
    eventually,
    subject,
)
from .helpers import KSDPK_PROPOSAL, relayed, signed_ksdpk
from .whatsapp_receiver import WhatsAppReceiver, run_receiver

AGENCY = "umkm@diskuk.jabarprov.go.id"
SECRETARIAT = "tkksd@kerjasama.local"
ENTERED = date(2026, 11, 30)
DIGEST = "late_entries_digest"


async def _service(notifications_factory: NotificationsFactory, smtp: SmtpServer,
                   **settings: Any) -> Notifications:
    service = await notifications_factory(smtp_port=smtp.port, **settings)
    answer = await service.client.put("/contacts/DISKUK", json={"emails": [AGENCY]})
    assert answer.status_code == 201, answer.text
    return service


async def _plan_requests(service: Notifications, aid: str) -> list[dict[str, Any]]:
    return [d for d in await service.deliveries(aid)
            if d["rule"] == "follow_up_plan_requested"]


async def test_a_signing_entered_five_years_late_is_logged_as_skipped_and_mails_nobody(
        agreements: Agreements, notifications_factory: NotificationsFactory,
        smtp_server: SmtpFactory, webhook_receiver: WebhookReceiver) -> None:
    clock.set_clock(ENTERED)
    smtp = await smtp_server()
    service = await notifications_factory(smtp_port=smtp.port)
    answer = await service.client.put("/contacts/DISKUK", json={
        "emails": [AGENCY], "webhooks": [{"url": webhook_receiver.url("diskuk"),
                                          "secret": "rahasia-diskuk-2021-umkm"}]})
    assert answer.status_code == 201, answer.text
    aid = await signed_ksdpk(agreements, proposed_on="2021-09-01", signed_on="2021-12-20",
                             effective_until="2026-12-19")
    await relayed(agreements, service, aid)
    signed = [e for e in await agreements.events(aid) if e["type"].endswith(".signed.v1")]
    async with redelivered(NOTIFICATIONS_EVENTS, 3 * len(signed)):
        await agreements.publish(signed, times=3)  # redeliveries change nothing
    await service.settle()
    await asyncio.sleep(0.3)  # the dispatcher's loop would have sent by now
    await service.settle()

    requests = await _plan_requests(service, aid)
    reason = ("entered 1,806 days after it happened (signed 2021-12-20); notices of old "
              "history (more than 30 days) are not sent")
    assert sorted((d["channel"], d["status"], d["attempts"], d["last_error"])
                  for d in requests) == [("email", "skipped", 0, reason),
                                         ("webhook", "skipped", 0, reason)]
    # what it would have said, at the time
    assert requests[0]["subject"] == (f"Permintaan rencana tindak lanjut: "
                                      f"{KSDPK_PROPOSAL['title']} (paling lambat 19 Januari "
                                      "2022)")
    [proposal] = [d for d in await service.deliveries(aid) if d["rule"] == "proposal_received"]
    assert (proposal["recipient"], proposal["status"]) == ("TKKSD", "skipped")
    assert proposal["last_error"].startswith("entered 1,916 days after it happened "
                                             "(proposed 2021-09-01)")
    assert smtp.messages() == [] and webhook_receiver.received == []
    skipped = (await service.client.get("/deliveries", params={"status": "skipped"})).json()
    assert {d["id"] for d in skipped} >= {d["id"] for d in requests}
    # the agency reads its own log, the reason included (nothing was attempted)
    own = await service.client.get("/deliveries", params={"agreement_id": aid},
                                   headers=auth_headers("opd:DISKUK"))
    assert {d["last_error"] for d in own.json()} == {reason}


async def test_a_signing_entered_within_the_late_days_is_mailed(
        agreements: Agreements, notifications_factory: NotificationsFactory,
        smtp_server: SmtpFactory) -> None:
    clock.set_clock(ENTERED)
    smtp = await smtp_server()
    service = await _service(notifications_factory, smtp)
    aid = await signed_ksdpk(agreements, proposed_on="2026-11-02", signed_on="2026-11-05",
                             effective_until="2029-10-30")
    await relayed(agreements, service, aid)

    async def sent() -> bool:
        return [d["status"] for d in await _plan_requests(service, aid)] == ["sent"]

    await eventually(sent, what="plan request sent")
    await service.settle()
    [mail] = smtp.to(AGENCY)
    assert subject(mail) == (f"Permintaan rencana tindak lanjut: {KSDPK_PROPOSAL['title']} "
                             "(paling lambat 30 Desember 2026)")
    assert [subject(m) for m in smtp.to(SECRETARIAT)] == [
        f"Permohonan fasilitasi kerja sama baru: {KSDPK_PROPOSAL['title']} (DISKUK)"]


async def _run_everywhere(*services: Notifications, times: int = 3) -> None:
    for _ in range(times):
        await asyncio.gather(*(s.runtime.scheduler.run_once() for s in services))
    for service in services:
        await service.settle()


def _digest_mails(smtp: SmtpServer) -> list[Any]:
    return [m for m in smtp.to(SECRETARIAT) if subject(m).startswith(
        ("Agreements entered late", "Kerja sama yang dicatat terlambat"))]


async def _digests(service: Notifications) -> list[dict[str, Any]]:
    answer = await service.client.get("/deliveries", params={"rule": DIGEST})
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()
    return items


async def test_the_late_entries_digest_is_sent_once_a_day_from_its_hour_on_all_replicas(
        agreements: Agreements, notifications_factory: NotificationsFactory,
        smtp_server: SmtpFactory, webhook_receiver: WebhookReceiver) -> None:
    clock.set_clock(datetime(2026, 11, 30, 6, 0))  # WIB, before the digest's hour
    smtp = await smtp_server()
    service = await _service(notifications_factory, smtp)
    answer = await service.client.put("/contacts/TKKSD", json={
        "emails": [SECRETARIAT], "webhooks": [{"url": webhook_receiver.url("tkksd"),
                                               "secret": "rahasia-sekretariat-tkksd"}],
        "language": "en", "name": "TKKSD secretariat"})
    assert answer.status_code == 201, answer.text
    replica = await notifications_factory(
        smtp_port=smtp.port,
        notifications_database_url=service.settings.notifications_database_url)
    late = await signed_ksdpk(agreements, proposed_on="2021-09-01", signed_on="2021-12-20",
                              effective_until="2026-12-19")
    timely = await signed_ksdpk(agreements, proposed_on="2026-11-02", signed_on="2026-11-20",
                                effective_until="2029-11-19")
    for aid in (late, timely):
        await relayed(agreements, service, aid)

    await _run_everywhere(service, replica)
    assert await _digests(service) == []

    clock.set_clock(datetime(2026, 11, 30, 7, 0))
    await _run_everywhere(service, replica)
    clock.set_clock(datetime(2026, 11, 30, 18, 30))
    await _run_everywhere(replica, service)
    digests = await _digests(service)
    assert sorted((d["recipient"], d["channel"], d["status"], d["occasion"])
                  for d in digests) == [
        ("TKKSD", "email", "sent", "late-entries/2026-11-30"),
        ("TKKSD", "webhook", "sent", "late-entries/2026-11-30")]
    assert all(d["agreement_id"] is None for d in digests)
    [mail] = _digest_mails(smtp)
    assert subject(mail) == "Agreements entered late that need attention: 1 (30 November 2026)"
    text = mail.get_content()
    for fact in (f"1. {KSDPK_PROPOSAL['title']}", "Number: 027/88/DISKUK; lead agency: DISKUK",
                 "Signed 20 December 2021, recorded 30 November 2026",
                 "Sleeping document: 1806 days without follow-up", "No follow-up plan yet",
                 "Ends 19 December 2026 (in 19 days)", late):
        assert fact in text, fact
    assert timely not in text
    [hook] = [r.json() for r in webhook_receiver.received if r.json()["rule"] == DIGEST]
    assert hook["agreement"] is None
    assert [i["agreement_id"] for i in hook["items"]] == [late]

    # the next day: the list of that day, once
    clock.set_clock(datetime(2026, 12, 1, 7, 5))
    await _run_everywhere(replica, service)
    assert sorted(d["occasion"] for d in await _digests(service)) == [
        "late-entries/2026-11-30", "late-entries/2026-11-30",
        "late-entries/2026-12-01", "late-entries/2026-12-01"]
    assert len(_digest_mails(smtp)) == 2


async def test_no_digest_when_no_late_entered_agreement_needs_attention(
        agreements: Agreements, notifications_factory: NotificationsFactory,
        smtp_server: SmtpFactory) -> None:
    # entered before the digest's hour: the service's own scheduler, which runs after each
    # event, must not take the day's digest while a plan or a follow-up is still on its way
    clock.set_clock(datetime(2026, 11, 30, 6, 0))
    smtp = await smtp_server()
    service = await _service(notifications_factory, smtp)
    timely = await signed_ksdpk(agreements, proposed_on="2026-11-02", signed_on="2026-11-20",
                                effective_until="2029-11-19")
    followed = await signed_ksdpk(agreements, proposed_on="2022-09-01",
                                  signed_on="2022-12-20", effective_until="2027-12-19")
    await agreements.post(f"/agreements/{followed}/plan", {"milestones": [
        {"id": "m1", "title": "Galeri dibuka kembali", "due_on": "2027-03-01"}]})
    await agreements.post(f"/agreements/{followed}/follow-ups", {
        "on": "2026-11-02", "summary": "Rapat koordinasi dengan blibli.com"})
    for aid in (timely, followed):
        await relayed(agreements, service, aid)
    clock.set_clock(datetime(2026, 11, 30, 8, 0))
    await _run_everywhere(service)
    assert await _digests(service) == []
    assert _digest_mails(smtp) == []
    # once one needs attention, that day's digest lists it (the next run looks again)
    clock.set_clock(datetime(2026, 11, 30, 15, 0))
    quiet = await signed_ksdpk(agreements, proposed_on="2022-01-03", signed_on="2022-02-01",
                               effective_until="2027-01-31")
    await relayed(agreements, service, quiet)
    await _run_everywhere(service)
    [mail] = _digest_mails(smtp)
    assert subject(mail).endswith(": 1 naskah (30 November 2026)")
    assert quiet in mail.get_content() and followed not in mail.get_content()


@pytest.fixture
async def provider() -> AsyncIterator[WhatsAppReceiver]:
    async for receiver in run_receiver():
        yield receiver


async def test_the_digest_reaches_every_channel_of_the_secretariat_whatsapp_included(
        agreements: Agreements, notifications_factory: NotificationsFactory,
        smtp_server: SmtpFactory, provider: WhatsAppReceiver) -> None:
    provider.ok = (200, {"status": True, "id": ["80367170"]})
    clock.set_clock(datetime(2026, 11, 30, 7, 0))
    smtp = await smtp_server()
    service = await notifications_factory(smtp_port=smtp.port, **provider.gateway_settings())
    answer = await service.client.put("/contacts/TKKSD", json={
        "emails": [SECRETARIAT], "whatsapp": ["+6281234567890"]})
    assert answer.status_code == 201, answer.text
    late = await signed_ksdpk(agreements, proposed_on="2021-09-01", signed_on="2021-12-20",
                              effective_until="2026-12-19")
    await relayed(agreements, service, late)
    await _run_everywhere(service)
    assert sorted((d["channel"], d["status"]) for d in await _digests(service)) == [
        ("email", "sent"), ("whatsapp", "sent")]
    [sent] = [s.form() for s in provider.seen
              if "dicatat terlambat" in s.form().get("message", "")]
    assert sent["target"] == "6281234567890"
    assert sent["message"].startswith(
        "*Kerja sama yang dicatat terlambat dan perlu perhatian: 1 naskah (30 November 2026)*")
    assert (f"1. {KSDPK_PROPOSAL['title']} (DISKUK): dokumen tidur 1806 hari; belum ada "
            "rencana tindak lanjut; berakhir 19 Desember 2026.") in sent["message"]
    assert "GET /deliveries?rule=late_entries_digest" in sent["message"]


async def _proposed(agreements: Agreements, proposed_on: str, *actions: str) -> str:
    """A KSDPK proposal of DISKUK dated ``proposed_on``, taken through ``actions``."""
    created = await agreements.post("/agreements", {**KSDPK_PROPOSAL,
                                                     "proposed_on": proposed_on}, 201)
    aid = str(created["id"])
    for action in actions:
        body = {"reason": "Tidak sesuai prioritas RPJMD"} if action == "reject" else None
        await agreements.post(f"/agreements/{aid}/{action}", body)
    return aid


async def test_a_proposal_entered_late_is_in_the_digest_while_it_is_open(
        agreements: Agreements, notifications_factory: NotificationsFactory,
        smtp_server: SmtpFactory, webhook_receiver: WebhookReceiver) -> None:
    clock.set_clock(datetime(2026, 11, 30, 8, 0))
    smtp = await smtp_server()
    service = await _service(notifications_factory, smtp)
    answer = await service.client.put("/contacts/TKKSD", json={
        "emails": [SECRETARIAT], "webhooks": [{"url": webhook_receiver.url("tkksd"),
                                               "secret": "rahasia-sekretariat-tkksd"}]})
    assert answer.status_code == 201, answer.text
    pending = await _proposed(agreements, "2021-09-01", "review")
    rejected = await _proposed(agreements, "2021-10-04", "review", "reject")
    timely = await _proposed(agreements, "2026-11-20")  # the secretariat was told of it
    for aid in (pending, rejected, timely):
        await relayed(agreements, service, aid)
    told = [d for d in await service.deliveries(pending) if d["rule"] == "proposal_received"]
    assert sorted((d["channel"], d["status"]) for d in told) == [
        ("email", "skipped"), ("webhook", "skipped")]

    await _run_everywhere(service)
    assert _digest_mails(smtp) == []  # entered today: from tomorrow on (it may be signed)

    clock.set_clock(datetime(2026, 12, 1, 8, 0))
    await _run_everywhere(service)
    [mail] = _digest_mails(smtp)
    assert subject(mail) == ("Kerja sama yang dicatat terlambat dan perlu perhatian: 1 naskah "
                             "(1 Desember 2026)")
    text = mail.get_content()
    for fact in (f"1. {KSDPK_PROPOSAL['title']}", "Perangkat Daerah pelaksana: DISKUK",
                 "- Usulan belum selesai: diusulkan 1 September 2021, dicatat 30 November "
                 "2026, masih dalam penelaahan", pending):
        assert fact in text, fact
    assert rejected not in text and timely not in text
    [hook] = [r.json() for r in webhook_receiver.received if r.json()["rule"] == DIGEST]
    assert (hook["facts"]["count"], hook["facts"]["proposals"]) == (1, 1)
    [item] = hook["items"]
    assert (item["agreement_id"], item["stage"], item["proposed_on"], item["recorded_on"],
            item["signed_on"]) == (pending, "IN_REVIEW", "2021-09-01", "2026-11-30", None)

    # listed every day while open; once withdrawn, no more
    clock.set_clock(datetime(2026, 12, 2, 8, 0))
    await _run_everywhere(service)
    assert len(_digest_mails(smtp)) == 2
    await agreements.post(f"/agreements/{pending}/withdraw", {"reason": "Mitra mundur"})
    await relayed(agreements, service, pending)
    clock.set_clock(datetime(2026, 12, 3, 8, 0))
    await _run_everywhere(service)
    assert len(_digest_mails(smtp)) == 2
    assert sorted({d["occasion"] for d in await _digests(service)}) == [
        "late-entries/2026-12-01", "late-entries/2026-12-02"]
