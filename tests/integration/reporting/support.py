"""Helpers of the reporting tests: the real agreements service driven over HTTP, a relay of
its feed to the broker, waiting for applied events, KPI subscribers."""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import aio_pika
import httpx
from fastapi import FastAPI

from contracts import topology
from contracts.codec import Decoded, encode
from contracts.envelope import routing_key_of
from contracts.partners import partner_id_of
from plumbing.agreements_client import AgreementsClient
from plumbing.amqp import connect, publish_persistent
from plumbing.settings import load_settings
from services.reporting.adapters import generations
from services.reporting.app import Reporting
from services.reporting.settings import ReportingSettings
from tests.integration.reporting.histories import History
from tests.waiting import read_until

TODAY = date(2023, 1, 10)
SIGNATORY = {"name": "Setiawan Wangsaatmaja", "role": "REGIONAL_SECRETARY"}


def proposal(**changes: Any) -> dict[str, Any]:
    """A valid KSDPK proposal of DISKUK; ``changes`` override fields."""
    body: dict[str, Any] = {
        "title": "Galeri UMKM Juara", "kind": "KSDPK", "document_type": "MOU",
        "partner": {"name": "blibli.com", "category": "THIRD_PARTY", "country": "ID"},
        "lead_opd": "DISKUK", "objective": "Pemasaran produk UMKM", "sector": "Ekonomi",
        "burdens_budget": False, "proposed_on": "2020-01-06",
    }
    body.update(changes)
    return body


class AgreementsService:
    """The real agreements service in-process, driven over HTTP."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.client = AgreementsClient("http://agreements", client=http)
        self.versions: dict[str, int] = {}
        """Last version of every stream written, from the answers: their sum is the number
        of events stored."""

    async def post(self, path: str, body: Any = None, status: int = 200) -> dict[str, Any]:
        """POST and check the status; the JSON answer."""
        answer = await self.http.post(path, json=body)
        assert answer.status_code == status, f"{path}: {answer.status_code} {answer.text}"
        result: dict[str, Any] = answer.json()
        self.versions[str(result["id"])] = int(result["version"])
        if path == "/agreements":
            await self._count_partner(body)
        return result

    async def _count_partner(self, body: dict[str, Any]) -> None:
        """Count the events of the partner a proposal named: the registry registers it
        with the first proposal that names it (docs/domain.md#partners)."""
        named = body.get("partner")
        partner_id = body.get("partner_id") or (named and partner_id_of(
            named["name"], named["country"]))
        if not partner_id:
            return
        answer = await self.http.get(f"/partners/{partner_id}/events")
        if answer.status_code == 200:
            self.versions[f"partner-{partner_id}"] = len(answer.json())

    async def propose(self, **changes: Any) -> str:
        """Propose; the new agreement's id."""
        return str((await self.post("/agreements", proposal(**changes), 201))["id"])

    async def sign(self, signed_on: str, effective_until: str, *,
                   effective_from: str | None = None, **changes: Any) -> str:
        """Propose, review, draft, discuss (agreed) and sign; the id."""
        changes.setdefault("proposed_on", f"{signed_on[:4]}-01-02")
        aid = await self.propose(**changes)
        held_on = changes["proposed_on"]
        for action, body in (("review", None), ("draft", {"note": "Draf 1"}),
                             ("discuss", {"held_on": held_on, "summary": "Sepakat",
                                          "outcome": "AGREED"})):
            await self.post(f"/agreements/{aid}/{action}", body)
        await self.post(f"/agreements/{aid}/sign", {
            "number": f"120/{aid[:6]}/Pem.Um", "signed_on": signed_on, "signatory": SIGNATORY,
            "effective_from": effective_from or signed_on, "effective_until": effective_until})
        return aid

    async def follow_up(self, aid: str, on: str) -> None:
        """Record a follow-up activity."""
        await self.post(f"/agreements/{aid}/follow-ups", {"on": on, "summary": "Rapat"})

    async def work_program(self, year: int, realization: float, effectiveness: float) -> None:
        """Adopt (or replace) a year's targets."""
        answer = await self.http.post(f"/work-programs/{year}", json={
            "realization_target": realization, "effectiveness_target": effectiveness})
        assert answer.status_code in (200, 201), answer.text
        self.versions[f"work-program-{year}"] = int(answer.json()["version"])

    @property
    def stored(self) -> int:
        """How many events the service stored."""
        return sum(self.versions.values())


class FeedRelay:
    """Publishes the agreements feed to ``kerjasama.events``, as the outbox relay would."""

    def __init__(self, agreements: AgreementsService, amqp_url: str) -> None:
        self._agreements = agreements
        self._amqp_url = amqp_url
        self.position = 0
        self.handed_out = 0
        self.published: list[Any] = []

    async def new_events(self, seconds: float = 30) -> list[Any]:
        """The feed's events not handed out yet: every event stored so far.

        The feed holds back events while any transaction of the PostgreSQL cluster older
        than them runs (docs/domain.md#event-log), so this waits until all stored events showed up.
        """
        found: list[Any] = []
        deadline = asyncio.get_running_loop().time() + seconds
        while self.handed_out + len(found) < self._agreements.stored:
            assert asyncio.get_running_loop().time() < deadline, "the feed lags"
            page = await self._agreements.client.feed(self.position)
            if not page:
                await asyncio.sleep(0.02)
                continue
            found.extend(page)
            self.position = page[-1].envelope.position
        self.handed_out += len(found)
        return found

    async def publish(self, events: list[Any]) -> None:
        """Publish these decoded events, persistent and confirmed."""
        connection = await connect(self._amqp_url)
        async with connection:
            channel = await connection.channel()
            exchange = await channel.get_exchange(topology.EVENTS_EXCHANGE, ensure=False)
            for event in events:
                await publish_persistent(exchange, topology.EVENTS_EXCHANGE,
                                         routing_key_of(event.type), encode(event.envelope),
                                         message_id=str(event.envelope.id))
        self.published.extend(events)

    async def relay(self) -> list[Any]:
        """Publish every new event of the feed; what was published."""
        events = await self.new_events()
        await self.publish(events)
        return events


ReportingFactory = Callable[..., Awaitable[Reporting]]


def reporting_settings(database_url: str, amqp_url: str, **changes: Any) -> ReportingSettings:
    """Settings for a test: refresh only when asked (or after events if set)."""
    values: dict[str, Any] = {"reporting_database_url": database_url, "amqp_url": amqp_url,
                              "refresh_seconds": 3600, "refresh_after_events_seconds": 3600,
                              "transient_retry_seconds": 5}
    values.update(changes)
    return load_settings(ReportingSettings, **values)


async def applied(service: Reporting) -> int:
    """How many events the current generation applied."""
    async with generations.enter(service.pool, "read") as conn:
        return int(await conn.fetchval("SELECT count(*) FROM inbox_events"))


async def wait_applied(service: Reporting, count: int, seconds: float = 20) -> None:
    """Wait until the service applied ``count`` events."""
    deadline = asyncio.get_running_loop().time() + seconds
    while (done := await applied(service)) < count:
        assert asyncio.get_running_loop().time() < deadline, f"applied {done} of {count}"
        await asyncio.sleep(0.05)


async def kpis_published(service: Reporting, seconds: float = 30) -> None:
    """Wait until reporting's outbox relay has published every ``kpi.updated`` queued so
    far (it publishes them some time after the events were applied, and then deletes
    them from ``kpi_outbox``)."""
    left = await read_until(lambda: service.pool.fetchval("SELECT count(*) FROM kpi_outbox"),
                            lambda n: n == 0, seconds, 0.05)
    assert left == 0, f"{left} kpi.updated unpublished"


async def kpi_queue(amqp_url: str, pattern: str) -> tuple[Any, aio_pika.abc.AbstractQueue]:
    """An exclusive queue bound to ``kerjasama.kpi`` with ``pattern``; (connection, queue)."""
    connection = await connect(amqp_url)
    channel = await connection.channel()
    queue = await channel.declare_queue(exclusive=True)
    await queue.bind(topology.KPI_EXCHANGE, pattern)
    return connection, queue


async def drain(queue: aio_pika.abc.AbstractQueue, quiet: float = 0.5, *,
                at_least: int = 0, seconds: float = 30) -> list[Any]:
    """Every message (acked) until ``at_least`` came, within ``seconds`` (reporting's
    outbox relay publishes them some time after the events were applied), and then none
    came for ``quiet`` seconds (so that one too many is seen)."""
    got: list[Any] = []
    loop = asyncio.get_running_loop()
    first = loop.time() + seconds
    deadline = loop.time() + quiet
    while loop.time() < deadline or (len(got) < at_least and loop.time() < first):
        message = await queue.get(fail=False)
        if message is None:
            await asyncio.sleep(0.02)
            continue
        await message.ack()
        got.append(message)
        deadline = loop.time() + quiet
    return got


class HistoryFeed:
    """The agreements service's read side over a generated history.

    ``stored`` events exist (the stream endpoints serve them); the global feed shows the
    first ``visible`` of them, as the real feed holds back events behind a running
    transaction.
    """

    def __init__(self, history: History, stored: int) -> None:
        self.history = history
        self.stored = self.visible = stored
        self.app = FastAPI()
        self.app.get("/events")(self._feed)
        self.app.get("/agreements/{stream_id}/events")(self._stream)
        self.app.get("/work-programs/{year}/events")(self._work_program)
        self.app.get("/mapping-items/{item_id}/events")(self._mapping_item)
        self.app.get("/partners/{partner_id}/events")(self._partner)
        self.client = AgreementsClient("http://agreements", client=httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://agreements"))

    @staticmethod
    def _json(event: Decoded) -> dict[str, Any]:
        data: dict[str, Any] = event.envelope.model_dump(mode="json", exclude_none=True)
        return data

    async def _feed(self, after: int = 0, limit: int = 100) -> list[dict[str, Any]]:
        shown = self.history.events[:self.visible]
        return [self._json(e) for e in shown if (e.envelope.position or 0) > after][:limit]

    def _stored_stream(self, stream_id: str) -> list[dict[str, Any]]:
        return [self._json(e) for e in self.history.streams.get(stream_id, [])
                if (e.envelope.position or 0) <= self.stored]

    async def _stream(self, stream_id: str) -> list[dict[str, Any]]:
        return self._stored_stream(stream_id)

    async def _work_program(self, year: int) -> list[dict[str, Any]]:
        return self._stored_stream(f"work-program-{year}")

    async def _mapping_item(self, item_id: str) -> list[dict[str, Any]]:
        return self._stored_stream(f"mapping-item-{item_id}")

    async def _partner(self, partner_id: str) -> list[dict[str, Any]]:
        return self._stored_stream(f"partner-{partner_id}")


async def publish_all(amqp_url: str, events: list[Decoded], chunk: int = 200) -> None:
    """Publish events persistent and confirmed, ``chunk`` of them in flight at once."""
    connection = await connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange(topology.EVENTS_EXCHANGE, ensure=False)
        for start in range(0, len(events), chunk):
            await asyncio.gather(*(
                publish_persistent(exchange, topology.EVENTS_EXCHANGE,
                                   routing_key_of(e.type), encode(e.envelope),
                                   message_id=str(e.envelope.id))
                for e in events[start:start + chunk]))
