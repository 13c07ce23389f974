"""Contacts over HTTP: agencies' addresses and language; configured offices overridable."""

from __future__ import annotations

from datetime import date

from plumbing import clock
from tests.auth import auth_headers

from .conftest import (
    Agreements,
    NotificationsFactory,
    SmtpFactory,
    WebhookReceiver,
    eventually,
    subject,
)
from .helpers import KSDPK_PROPOSAL


async def test_contacts_are_created_replaced_and_shown_without_their_secrets(
        notifications_factory: NotificationsFactory, smtp_server: SmtpFactory,
        webhook_receiver: WebhookReceiver) -> None:
    smtp = await smtp_server()
    service = await notifications_factory(smtp_port=smtp.port)
    body = {"emails": ["umkm@diskuk.jabarprov.go.id"], "language": "en",
            "webhooks": [{"url": webhook_receiver.url("diskuk"),
                          "secret": "a-long-enough-secret"}]}
    first = await service.client.put("/contacts/DISKUK", json=body)
    assert first.status_code == 201, first.text
    again = await service.client.put("/contacts/DISKUK", json={**body, "language": "id"})
    assert again.status_code == 200
    shown = (await service.client.get("/contacts/DISKUK")).json()
    assert shown["language"] == "id"
    assert shown["webhooks"] == [{"url": webhook_receiver.url("diskuk")}]
    assert "a-long-enough-secret" not in (await service.client.get("/contacts")).text

    codes = {c["code"]: c for c in (await service.client.get("/contacts")).json()}
    assert codes["TKKSD"]["emails"] == ["tkksd@kerjasama.local"]
    assert codes["TKKSD"]["configured"] is True
    assert codes["SEKDA"]["emails"] == ["sekda@kerjasama.local"]
    assert (await service.client.get("/contacts/NOBODY")).status_code == 404

    for code, bad in (("DISKUK", {"emails": ["not-an-email"]}),
                      ("DISKUK", {"webhooks": [{"url": "http://x", "secret": "short"}]}),
                      ("DISKUK", {"language": "fr"}),
                      ("diskuk", {"emails": []})):
        answer = await service.client.put(f"/contacts/{code}", json=bad)
        assert answer.status_code == 422, (code, bad)
        assert answer.headers["content-type"] == "application/problem+json"


async def test_an_english_speaking_agency_is_told_of_a_revision_in_english(
        agreements: Agreements, notifications_factory: NotificationsFactory,
        smtp_server: SmtpFactory) -> None:
    clock.set_clock(date(2021, 1, 20))
    smtp = await smtp_server()
    service = await notifications_factory(smtp_port=smtp.port)
    answer = await service.client.put("/contacts/DISKUK", json={
        "emails": ["umkm@diskuk.jabarprov.go.id"], "language": "en"})
    assert answer.status_code == 201
    answer = await service.client.put("/contacts/TKKSD", json={
        "emails": ["biro.pemotda@jabarprov.go.id"], "name": "Sekretariat TKKSD"})
    assert answer.status_code == 201
    created = await agreements.post("/agreements", {**KSDPK_PROPOSAL,
                                                     "proposed_on": "2021-01-11"}, 201)
    aid = str(created["id"])
    await agreements.post(f"/agreements/{aid}/review")
    await agreements.post(f"/agreements/{aid}/request-revision",
                          {"reason": "Lengkapi kajian manfaat dan analisis risiko"})
    await agreements.relay(aid)

    async def delivered() -> bool:
        return len(smtp.messages()) == 2

    await eventually(delivered, what="the proposal and the revision request emailed")
    [revision] = smtp.to("umkm@diskuk.jabarprov.go.id")
    assert subject(revision) == \
        f"Cooperation proposal needs revision: {KSDPK_PROPOSAL['title']}"
    text = revision.get_content()
    assert "Lengkapi kajian manfaat dan analisis risiko" in text
    assert "cooperation with a third party (KSDPK)" in text
    # the secretariat's stored contact replaces the configured one
    assert smtp.to("tkksd@kerjasama.local") == []
    [proposal] = smtp.to("biro.pemotda@jabarprov.go.id")
    assert "Yth. Sekretariat TKKSD" in proposal.get_content()


async def test_an_agency_sets_and_reads_its_own_contact_only(
        notifications_factory: NotificationsFactory, smtp_server: SmtpFactory) -> None:
    smtp = await smtp_server()
    service = await notifications_factory(smtp_port=smtp.port)
    body = {"emails": ["umkm@diskuk.jabarprov.go.id"], "language": "id"}
    diskuk = auth_headers("opd:DISKUK")
    assert (await service.client.put("/contacts/DISKUK", json=body,
                                     headers=diskuk)).status_code == 201
    refused = await service.client.put("/contacts/DISHUB", json=body, headers=diskuk)
    assert refused.status_code == 403 and "opd:DISHUB" in refused.json()["detail"]
    shown = await service.client.get("/contacts/DISKUK", headers=diskuk)
    assert shown.status_code == 200 and shown.json()["emails"] == body["emails"]
    assert (await service.client.get("/contacts/DISKUK", headers=auth_headers("reporting"))
            ).status_code == 403
    assert (await service.client.get("/deliveries", headers={"Authorization": ""})
            ).status_code == 401
