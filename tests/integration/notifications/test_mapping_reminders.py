"""The mapping reminder against real PostgreSQL, RabbitMQ and SMTP: agencies that have not
mapped by the work program's due date are asked once, the TKKSD gets one list."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

from contracts.codec import encode, make_envelope
from contracts.envelope import SOURCE_AGREEMENTS, sequence_of
from contracts.events import MappingItemAdded, MappingItemWithdrawn
from contracts.planning import MappingStage, mapping_item_stream_id
from plumbing import clock
from tests.auth import auth_headers

from .conftest import (
    Agreements,
    Notifications,
    NotificationsFactory,
    SmtpFactory,
    SmtpServer,
    eventually,
    subject,
)
from .helpers import at, subjects

SECRETARIAT = "tkksd@kerjasama.local"
AGENCIES = {"DISKUK": "umkm@diskuk.jabarprov.go.id",
            "DISPARBUD": "info@disparbud.jabarprov.go.id",
            "BAPPEDA": "rencana@bappeda.jabarprov.go.id"}
ASK = "Mohon kirimkan pemetaan kerja sama tahun 2021"
LIST = "Pemetaan kerja sama tahun 2021"


async def _service(notifications_factory: NotificationsFactory, smtp: SmtpServer,
                   **settings: Any) -> Notifications:
    service = await notifications_factory(smtp_port=smtp.port, **settings)
    for code, address in AGENCIES.items():
        answer = await service.client.put(f"/contacts/{code}", json={"emails": [address]})
        assert answer.status_code == 201, answer.text
    return service


async def _adopt(agreements: Agreements, service: Notifications, due_on: str | None) -> None:
    """Adopt the 2021 work program with this mapping due date; its events reach the service."""
    await agreements.post("/work-programs/2021", {
        "realization_target": 80, "effectiveness_target": 60, "mapping_due_on": due_on},
        status=201 if not agreements.published else 200)
    answer = await agreements.client.get("/work-programs/2021/events")
    assert answer.status_code == 200, answer.text
    new = [e for e in answer.json() if e["id"] not in agreements.published]
    await agreements.publish(new, times=2)  # a redelivery too
    agreements.published.update(e["id"] for e in new)
    wanted = None if due_on is None else date.fromisoformat(due_on)

    async def applied() -> bool:
        stored = await service.runtime.pool.fetchrow(
            "SELECT due_on FROM mapping_due_dates WHERE year = 2021")
        return stored is not None and stored["due_on"] == wanted

    await eventually(applied, what="work program applied")


def _event(data: MappingItemAdded | MappingItemWithdrawn, on: date) -> dict[str, Any]:
    """A mapping item's event as the agreements relay would publish it."""
    envelope = make_envelope(data, source=SOURCE_AGREEMENTS,
                             time=datetime(on.year, on.month, on.day, 9, tzinfo=clock.WIB),
                             subject=mapping_item_stream_id(data.item_id),
                             sequence=sequence_of(data.version))
    event: dict[str, Any] = json.loads(encode(envelope))
    return event


def _added(item: UUID, opd: str, on: date) -> dict[str, Any]:
    return _event(MappingItemAdded(
        item_id=item, year=2021, opd=opd, version=1, stage=MappingStage.ACTIVE,
        affair="Pariwisata", description="Promosi wisata bersama provinsi kembar",
        prospective_partners=["Gyeongsangbuk-do"],
        rpjmd_target="Meningkatnya kunjungan wisatawan mancanegara"), on)


def _withdrawn(item: UUID, opd: str, on: date) -> dict[str, Any]:
    return _event(MappingItemWithdrawn(item_id=item, year=2021, opd=opd, version=2,
                                       stage=MappingStage.WITHDRAWN, reason="Digabung"), on)


async def _items(agreements: Agreements, service: Notifications,
                 events: list[dict[str, Any]], active: dict[str, bool]) -> None:
    """Publish mapping items' events (each twice) and wait until they are applied."""
    await agreements.publish(events, times=2)

    async def applied() -> bool:
        rows = await service.runtime.pool.fetch("SELECT item_id::text, active FROM mapping_items")
        return {r["item_id"]: r["active"] for r in rows} == active

    await eventually(applied, what="mapping items applied")






async def test_agencies_that_have_not_mapped_by_the_due_date_are_asked_once_and_the_tkksd_gets_one_list(  # noqa: E501
        agreements: Agreements, notifications_factory: NotificationsFactory,
        smtp_server: SmtpFactory) -> None:
    smtp = await smtp_server()
    clock.set_clock(date(2021, 1, 10))
    service = await _service(notifications_factory, smtp)
    # mapping items arrive before the work program (other streams), each twice: BAPPEDA
    # has mapped; DISPARBUD withdrew its only item
    kept, withdrawn = uuid4(), uuid4()
    await _items(agreements, service, [
        _added(kept, "BAPPEDA", date(2021, 1, 5)), _added(withdrawn, "DISPARBUD",
                                                           date(2021, 1, 6)),
        _withdrawn(withdrawn, "DISPARBUD", date(2021, 2, 1))],
        {str(kept): True, str(withdrawn): False})
    await _adopt(agreements, service, "2021-03-31")

    await at(date(2021, 3, 30), service)
    assert smtp.messages() == []
    await at(date(2021, 3, 31), service)
    assert subjects(smtp, AGENCIES["DISKUK"], ASK) == [
        f"{ASK} (batas 31 Maret 2021)"]
    assert len(subjects(smtp, AGENCIES["DISPARBUD"], ASK)) == 1
    assert smtp.to(AGENCIES["BAPPEDA"]) == []
    [summary] = smtp.to(SECRETARIAT)
    assert subject(summary) == (f"{LIST}: 2 Perangkat Daerah belum menyampaikan "
                                "(batas 31 Maret 2021)")
    assert "- DISKUK\n- DISPARBUD\n" in summary.get_content().replace("\r\n", "\n")

    # later runs, the program adopted again with the same due date, a second replica
    replica = await notifications_factory(
        smtp_port=smtp.port,
        notifications_database_url=service.settings.notifications_database_url)
    await _adopt(agreements, service, "2021-03-31")
    for day in (date(2021, 3, 31), date(2021, 4, 1), date(2021, 6, 30)):
        await at(day, service, replica)
    assert len(smtp.to(SECRETARIAT)) == 1
    assert len(smtp.to(AGENCIES["DISKUK"])) == len(smtp.to(AGENCIES["DISPARBUD"])) == 1

    # the log lists them under no agreement; an agency sees its own
    answer = await service.client.get("/deliveries", params={"rule": "mapping_missing"})
    [listed] = answer.json()
    assert (listed["agreement_id"], listed["recipient"], listed["occasion"],
            listed["status"]) == (None, "TKKSD", "mapping/2021/2021-03-31", "sent")
    mine = await service.client.get("/deliveries", headers=auth_headers("opd:DISKUK"))
    assert [(d["rule"], d["occasion"]) for d in mine.json()] == [
        ("mapping_due", "mapping/2021/2021-03-31/DISKUK")]


async def test_a_due_date_moved_later_asks_again_on_the_new_date_who_still_has_not_mapped(
        agreements: Agreements, notifications_factory: NotificationsFactory,
        smtp_server: SmtpFactory) -> None:
    smtp = await smtp_server()
    clock.set_clock(date(2021, 1, 10))
    service = await _service(notifications_factory, smtp)
    await _adopt(agreements, service, "2021-03-31")
    await at(date(2021, 3, 31), service)
    assert len(smtp.to(SECRETARIAT)) == 1

    clock.set_clock(date(2021, 4, 5))
    await _adopt(agreements, service, "2021-04-30")
    item = uuid4()
    await _items(agreements, service, [_added(item, "DISKUK", date(2021, 4, 10))],
                 {str(item): True})
    await at(date(2021, 4, 29), service)
    assert len(smtp.to(SECRETARIAT)) == 1
    await at(date(2021, 4, 30), service)
    assert subjects(smtp, AGENCIES["DISPARBUD"], ASK) == [
        f"{ASK} (batas 31 Maret 2021)", f"{ASK} (batas 30 April 2021)"]
    assert len(smtp.to(AGENCIES["DISKUK"])) == 1  # mapped before the new date
    assert sorted(subjects(smtp, SECRETARIAT, LIST)) == [
        f"{LIST}: 2 Perangkat Daerah belum menyampaikan (batas 30 April 2021)",
        f"{LIST}: 3 Perangkat Daerah belum menyampaikan (batas 31 Maret 2021)"]


async def test_a_work_program_adopted_after_its_mapping_due_date_sends_nothing(
        agreements: Agreements, notifications_factory: NotificationsFactory,
        smtp_server: SmtpFactory) -> None:
    smtp = await smtp_server()
    clock.set_clock(date(2021, 4, 5))
    service = await _service(notifications_factory, smtp)
    await _adopt(agreements, service, "2021-03-31")
    for day in (date(2021, 4, 5), date(2021, 4, 6), date(2021, 7, 1)):
        await at(day, service)
    assert smtp.messages() == []
    answer = await service.client.get("/deliveries")
    assert answer.json() == []
