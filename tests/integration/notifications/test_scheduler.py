"""Time-driven rules on the shared clock: sleeping documents, and no backlog when late."""

from __future__ import annotations

from datetime import date
from typing import Any

from plumbing import clock

from .conftest import (
    Agreements,
    Notifications,
    NotificationsFactory,
    SmtpFactory,
    SmtpServer,
    subject,
)
from .helpers import KSDPK_PROPOSAL, at, relayed, signed_ksdpk, subjects

AGENCY = "umkm@diskuk.jabarprov.go.id"
REGIONAL_SECRETARY = "sekda@kerjasama.local"
TITLE = KSDPK_PROPOSAL["title"]


async def _service(notifications_factory: NotificationsFactory, smtp: SmtpServer,
                   **settings: Any) -> Notifications:
    service = await notifications_factory(smtp_port=smtp.port, **settings)
    answer = await service.client.put("/contacts/DISKUK", json={"emails": [AGENCY]})
    assert answer.status_code == 201, answer.text
    return service






async def _rules(service: Notifications, aid: str) -> list[str]:
    return sorted({d["rule"] for d in await service.deliveries(aid)})


async def test_ninety_days_without_follow_up_warn_once_and_180_days_tell_the_regional_secretary(
        agreements: Agreements, notifications_factory: NotificationsFactory,
        smtp_server: SmtpFactory) -> None:
    smtp = await smtp_server()
    clock.set_clock(date(2021, 4, 20))
    service = await _service(notifications_factory, smtp)
    aid = await signed_ksdpk(agreements, signed_on="2021-04-20")
    await relayed(agreements, service, aid)

    await at(date(2021, 7, 18), service)  # day 89
    assert subjects(smtp, AGENCY, "Peringatan dokumen tidur") == []
    await at(date(2021, 7, 19), service)  # day 90
    assert subjects(smtp, AGENCY, "Peringatan dokumen tidur") == [
        f"Peringatan dokumen tidur: {TITLE} (90 hari tanpa tindak lanjut)"]

    # later days, a restarted service and a second replica on the same database
    replica = await notifications_factory(
        smtp_port=smtp.port,
        notifications_database_url=service.settings.notifications_database_url)
    for day in (date(2021, 7, 20), date(2021, 8, 30), date(2021, 10, 16)):
        await at(day, service, replica)
    assert len(subjects(smtp, AGENCY, "Peringatan dokumen tidur")) == 1
    assert subjects(smtp, REGIONAL_SECRETARY, "Eskalasi dokumen tidur") == []

    await at(date(2021, 10, 17), replica, service)  # day 180
    [escalation] = smtp.to(REGIONAL_SECRETARY)
    assert subject(escalation) == \
        f"Eskalasi dokumen tidur: {TITLE} (180 hari tanpa tindak lanjut)"
    text = escalation.get_content()
    assert "Yth. Sekretaris Daerah Provinsi Jawa Barat" in text
    assert "Perangkat Daerah DISKUK" in text and "blibli.com" in text
    assert "kegiatan terakhir: 20 April 2021" in text
    assert subjects(smtp, AGENCY, "Eskalasi") == []
    assert len(subjects(smtp, AGENCY, "Peringatan dokumen tidur")) == 1
    warnings = [d for d in await service.deliveries(aid) if d["rule"] == "sleeping_warning"]
    assert {(d["recipient"], d["status"]) for d in warnings} == {
        ("DISKUK", "sent"), ("TKKSD", "sent")}


async def test_a_follow_up_before_ninety_days_prevents_the_warning(
        agreements: Agreements, notifications_factory: NotificationsFactory,
        smtp_server: SmtpFactory) -> None:
    smtp = await smtp_server()
    clock.set_clock(date(2021, 4, 20))
    service = await _service(notifications_factory, smtp)
    aid = await signed_ksdpk(agreements, signed_on="2021-04-20")
    await relayed(agreements, service, aid)

    clock.set_clock(date(2021, 6, 19))  # day 60
    await agreements.post(f"/agreements/{aid}/follow-ups", {
        "on": "2021-06-19", "summary": "Rapat koordinasi dengan blibli.com"})
    await relayed(agreements, service, aid)

    for day in (date(2021, 7, 19), date(2021, 8, 1), date(2021, 9, 16)):
        await at(day, service)
    assert subjects(smtp, AGENCY, "Peringatan dokumen tidur") == []
    await at(date(2021, 9, 17), service)  # 90 days after the follow-up
    assert subjects(smtp, AGENCY, "Peringatan dokumen tidur") == [
        f"Peringatan dokumen tidur: {TITLE} (90 hari tanpa tindak lanjut)"]


async def test_an_old_agreement_entered_today_sends_no_backlog_of_reminders(
        agreements: Agreements, notifications_factory: NotificationsFactory,
        smtp_server: SmtpFactory) -> None:
    smtp = await smtp_server()
    clock.set_clock(date(2023, 6, 1))
    service = await _service(notifications_factory, smtp)
    aid = await signed_ksdpk(agreements, proposed_on="2021-01-11", signed_on="2021-04-20",
                             effective_until="2024-04-19")
    await agreements.post(f"/agreements/{aid}/plan", {"milestones": [
        {"id": "m1", "title": "Galeri UMKM Juara dibuka", "due_on": "2021-06-30"},
        {"id": "m2", "title": "Evaluasi penjualan tahun pertama", "due_on": "2022-04-20"},
        {"id": "m3", "title": "Perluasan kurasi produk", "due_on": "2023-07-01"}]})
    await relayed(agreements, service, aid)

    for day in (date(2023, 6, 1), date(2023, 6, 2), date(2023, 6, 15)):
        await at(day, service)
    # only what the events themselves say, the proposal and the plan request, and they
    # are old history: in the delivery log as skipped, not sent
    assert {(d["rule"], d["recipient"], d["status"]) for d in await service.deliveries(aid)} \
        == {("proposal_received", "TKKSD", "skipped"),
            ("follow_up_plan_requested", "DISKUK", "skipped")}
    assert smtp.messages() == []

    # reminders falling due after the agreement was recorded are sent as usual
    await at(date(2023, 6, 24), service)
    assert await _rules(service, aid) == ["evaluation_due", "follow_up_plan_requested",
                                          "milestone_due_soon", "proposal_received"]
    assert sorted(subjects(smtp, AGENCY, "")) == sorted([
        f"Monitoring dan evaluasi semester 1 tahun 2023: {TITLE}",
        "Tahapan tindak lanjut jatuh tempo 1 Juli 2023: Perluasan kurasi produk"])
