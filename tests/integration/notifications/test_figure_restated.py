"""A restated headline figure is told to the TKKSD secretariat, at most once per figure and
business day, with the old and the new value, in the secretariat's language."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from contracts.codec import encode, make_envelope
from contracts.envelope import SOURCE_REPORTING
from contracts.kpi import KpiUpdated, kpi_routing_key, kpi_subject
from contracts.topology import KPI_EXCHANGE
from plumbing import clock
from plumbing.amqp import connect, publish_persistent
from plumbing.consume import MESSAGES

from .conftest import NotificationsFactory, SmtpFactory, eventually, subject

SECRETARIAT = "tkksd@kerjasama.local"


def update(revision: int, value: float, previous: float | None, *, restated: bool = True,
           indicator: str = "realization", scope: str = "province") -> KpiUpdated:
    return KpiUpdated(indicator=indicator, year=2021, scope=scope, numerator=value,
                      denominator=100, value=value, target=80.0, achievement=None,
                      as_of_position=400 + revision, revision=revision, restated=restated,
                      previous_value=previous)


async def publish(amqp_url: str, data: KpiUpdated, on: date) -> None:
    envelope = make_envelope(data, source=SOURCE_REPORTING, subject=kpi_subject(data),
                             time=datetime(on.year, on.month, on.day, 10, tzinfo=clock.WIB))
    connection = await connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        await publish_persistent(channel, KPI_EXCHANGE, kpi_routing_key(data),
                                 encode(envelope), message_id=str(envelope.id))


def handled(outcome: str) -> float:
    return MESSAGES.labels("notifications.kpi", "kerjasama.kpi.updated.v1",
                           outcome)._value.get()


async def test_a_restated_headline_figure_is_told_once_a_day_to_the_secretariat(
        notifications_factory: NotificationsFactory, smtp_server: SmtpFactory,
        fresh_topology: str) -> None:
    clock.set_clock(date(2023, 1, 10))
    smtp = await smtp_server()
    service = await notifications_factory(smtp_port=smtp.port)
    ignored, duplicates = handled("ignored"), handled("told_today")

    async def figure_deliveries() -> list[dict[str, Any]]:
        answer = await service.client.get("/deliveries", params={"limit": 100})
        return [d for d in answer.json() if d["rule"] == "figure_restated"]

    await publish(fresh_topology, update(1, 69.23, None, restated=False), date(2022, 12, 30))
    await publish(fresh_topology, update(2, 70.0, 69.23), date(2023, 1, 10))
    await eventually(lambda: _sent(figure_deliveries, 1), what="the restatement mailed")
    [mail] = smtp.to(SECRETARIAT)
    assert subject(mail) == ("Koreksi angka Realisasi Jumlah Naskah Kerja Sama tahun 2021: "
                             "69.23 menjadi 70")
    text = mail.get_content()
    assert "Sebelumnya: 69.23" in text and "Sekarang: 70 (70 dari 100), target 80" in text
    assert "X-Kerjasama-Agreement" not in mail
    [delivery] = await figure_deliveries()
    assert (delivery["agreement_id"], delivery["recipient"], delivery["occasion"]) == (
        None, "TKKSD", "realization/2021/province/2023-01-10")

    # the same day again, a district's figure, another indicator: nothing more is told
    await publish(fresh_topology, update(3, 71.0, 70.0), date(2023, 1, 10))
    await publish(fresh_topology, update(4, 72.0, 71.0, indicator="sleeping"),
                  date(2023, 1, 10))
    await eventually(lambda: _counted(lambda: handled("told_today") - duplicates, 1),
                     what="the second restatement of the day taken as told")
    assert len(await figure_deliveries()) == 1
    assert handled("ignored") - ignored == 1  # the first, not restated (sleeping is unbound)

    # in English the next day, once more
    answer = await service.client.put("/contacts/TKKSD", json={
        "emails": [SECRETARIAT], "webhooks": [], "language": "en"})
    assert answer.status_code in (200, 201), answer.text
    await publish(fresh_topology, update(5, 68.0, 71.0, indicator="effectiveness"),
                  date(2023, 1, 11))
    await eventually(lambda: _sent(figure_deliveries, 2), what="the next restatement mailed")
    english = smtp.to(SECRETARIAT)[-1]
    assert subject(english) == "Restated cooperation effectiveness 2021: 71 is now 68"


async def _sent(deliveries: Any, count: int) -> bool:
    found = await deliveries()
    return len(found) == count and all(d["status"] == "sent" for d in found)


async def _counted(value: Any, count: int) -> bool:
    return bool(value() >= count)
