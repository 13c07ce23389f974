"""Contacts and the delivery log are readable by their own agency and the TKKSD only; raw
errors of failed attempts by the TKKSD only (docs/domain.md#boundaries)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from plumbing import clock
from services.notifications.entrypoints.http import HIDDEN_ERROR
from tests.auth import auth_headers

from .conftest import (
    Agreements,
    Notifications,
    NotificationsFactory,
    SmtpFactory,
    WebhookReceiver,
    eventually,
)
from .helpers import KSDPK_PROPOSAL, KSDPL_PROPOSAL

DISKUK, BIRO_PEM = auth_headers("opd:DISKUK"), auth_headers("opd:BIRO_PEM")
TKKSD = auth_headers("tkksd")


async def _revision_requested(agreements: Agreements, proposal: dict[str, Any]) -> str:
    created = await agreements.post("/agreements", {**proposal, "proposed_on": "2021-01-11"},
                                    201)
    aid = str(created["id"])
    await agreements.post(f"/agreements/{aid}/review")
    await agreements.post(f"/agreements/{aid}/request-revision",
                          {"reason": "Lengkapi kajian manfaat"})
    await agreements.relay(aid)
    return aid


async def _log(service: Notifications, headers: dict[str, str]) -> list[dict[str, Any]]:
    answer = await service.client.get("/deliveries", headers=headers)
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()
    return items


async def _codes(service: Notifications, headers: dict[str, str]) -> list[str]:
    answer = await service.client.get("/contacts", headers=headers)
    assert answer.status_code == 200, answer.text
    return [c["code"] for c in answer.json()]


@pytest.fixture
async def two_agencies(agreements: Agreements, notifications_factory: NotificationsFactory,
                       smtp_server: SmtpFactory, webhook_receiver: WebhookReceiver,
                       ) -> Notifications:
    """DISKUK (email and a webhook answering 503) and BIRO_PEM (email) each told of a
    revision; the TKKSD told of both proposals; every delivery settled."""
    clock.set_clock(date(2021, 1, 20))
    smtp = await smtp_server()
    service = await notifications_factory(smtp_port=smtp.port, max_attempts=1)
    webhook_receiver.refuse = 1000
    for code, body, headers in (
            ("DISKUK", {"emails": ["umkm@diskuk.jabarprov.go.id"], "webhooks": [
                {"url": webhook_receiver.url("diskuk"), "secret": "rahasia-diskuk-2021"}]},
             DISKUK),
            ("BIRO_PEM", {"emails": ["pem@jabarprov.go.id"]}, BIRO_PEM)):
        answer = await service.client.put(f"/contacts/{code}", json=body, headers=headers)
        assert answer.status_code == 201, answer.text
    for proposal in (KSDPK_PROPOSAL, KSDPL_PROPOSAL):
        await _revision_requested(agreements, proposal)

    async def settled() -> bool:
        statuses = [d["status"] for d in await _log(service, TKKSD)]
        return len(statuses) == 5 and not {"pending", "sending"} & set(statuses)

    await eventually(settled, what="five deliveries sent or failed")
    return service


async def test_an_agency_reads_its_own_contact_and_deliveries_only(
        two_agencies: Notifications) -> None:
    service = two_agencies
    assert await _codes(service, DISKUK) == ["DISKUK"]
    assert {d["recipient"] for d in await _log(service, DISKUK)} == {"DISKUK"}
    assert {d["recipient"] for d in await _log(service, BIRO_PEM)} == {"BIRO_PEM"}
    for code in ("BIRO_PEM", "TKKSD", "SEKDA"):
        refused = await service.client.get(f"/contacts/{code}", headers=DISKUK)
        assert refused.status_code == 403, (code, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"
        assert "readable by the TKKSD secretariat (role tkksd)" in refused.json()["detail"]
    refused = await service.client.get("/contacts/BIRO_PEM", headers=DISKUK)
    assert refused.json()["detail"] == ("the contact BIRO_PEM is readable by the TKKSD "
                                        "secretariat (role tkksd) or that agency (role "
                                        "opd:BIRO_PEM)")


async def test_the_tkksd_reads_every_contact_and_the_whole_log(
        two_agencies: Notifications) -> None:
    service = two_agencies
    assert await _codes(service, TKKSD) == ["BIRO_PEM", "DISKUK", "SEKDA", "TKKSD"]
    log = await _log(service, TKKSD)
    assert sorted(d["recipient"] for d in log) == [
        "BIRO_PEM", "DISKUK", "DISKUK", "TKKSD", "TKKSD"]
    assert (await service.client.get("/contacts/BIRO_PEM", headers=TKKSD)).status_code == 200


async def test_raw_errors_of_attempts_are_shown_to_the_tkksd_only(
        two_agencies: Notifications) -> None:
    service = two_agencies

    def failed(log: list[dict[str, Any]]) -> dict[str, Any]:
        [hook] = [d for d in log if d["channel"] == "webhook"]
        assert hook["status"] == "failed"
        return hook

    assert "answered 503" in failed(await _log(service, TKKSD))["last_error"]
    assert failed(await _log(service, DISKUK))["last_error"] == HIDDEN_ERROR


async def test_the_regional_secretary_reads_its_own_contact_and_others_read_nothing(
        two_agencies: Notifications) -> None:
    service = two_agencies
    sekda = auth_headers("sekda")
    assert await _codes(service, sekda) == ["SEKDA"]
    assert (await service.client.get("/contacts/SEKDA", headers=sekda)).status_code == 200
    assert await _log(service, sekda) == []
    for roles in (("reporting",), ("governor",), ("operator",), ("opd:TKKSD", "opd:SEKDA")):
        assert await _codes(service, auth_headers(*roles)) == [], roles
        assert await _log(service, auth_headers(*roles)) == [], roles
