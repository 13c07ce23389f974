"""A consumer never silently drops an agreement (docs/domain.md#boundaries): a stream it cannot
apply is
parked with its reason, the stream's later events wait with it, other streams flow, the
figures it touches say ``complete: false``, and after a fix ``kerjasama parked retry``
gives the figures a rebuild gives."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aio_pika
import asyncpg
import httpx
import pytest

from contracts import codec
from contracts.envelope import SOURCE_AGREEMENTS
from contracts.events import AgreementReviewStarted
from contracts.examples import example_of
from plumbing.amqp import connect
from plumbing.clock import now
from services.cli import main
from tests.auth import auth_headers
from tests.integration.agreements.conftest import propose_body
from tests.system import System

MARK = "[rusak]"
"""Titles with this mark hit the 'bug' the test plants in each consumer's database."""
BUG = f"""
CREATE FUNCTION planted_bug() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF {{title}} LIKE '%{MARK}%' THEN
        RAISE EXCEPTION 'planted bug: cannot store %', {{title}};
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER planted_bug BEFORE INSERT OR UPDATE ON agreements
    FOR EACH ROW EXECUTE FUNCTION planted_bug();
"""
SCHEMA = {"reporting": "reporting_g1", "notifications": "public"}
TITLE = {"reporting": "NEW.title", "notifications": "NEW.view->>'title'"}


async def _in_each_consumer(system: System, sql: str) -> None:
    for service in ("reporting", "notifications"):
        conn = await asyncpg.connect(system.databases[service])
        try:
            await conn.execute(f"SET search_path = {SCHEMA[service]}")
            await conn.execute(sql.replace("{title}", TITLE[service]))
        finally:
            await conn.close()


async def _kpi_listener(url: str) -> tuple[aio_pika.abc.AbstractConnection,
                                            list[dict[str, Any]]]:
    connection = await connect(url)
    channel = await connection.channel()
    queue = await channel.declare_queue("", exclusive=True)
    await queue.bind("kerjasama.kpi", "kpi.realization.2021.#")
    received: list[dict[str, Any]] = []

    async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        async with message.process():
            received.append(json.loads(message.body)["data"])

    await queue.consume(on_message)
    return connection, received


async def _eventually(check: Any, what: str, seconds: float = 30.0) -> Any:
    for _ in range(int(seconds / 0.2)):
        found = await check()
        if found:
            return found
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _item(items: list[dict[str, Any]], indicator: str, scope: str) -> dict[str, Any]:
    return next(i for i in items if i["indicator"] == indicator and i["scope"] == scope)


def _numbers(items: list[dict[str, Any]]) -> dict[tuple[str, int, str], tuple[Any, ...]]:
    return {(i["indicator"], i["year"], i["scope"]): (
        i["numerator"], i["denominator"], i["value"], i["target"], i["complete"])
        for i in items if i["indicator"] not in ("sleeping", "expiring_90_days")}


async def test_a_parked_stream_waits_marks_its_figures_and_is_applied_after_a_fix(
        system: System, fresh_topology: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    await _in_each_consumer(system, BUG)
    connection, kpis = await _kpi_listener(fresh_topology)
    agreements = httpx.AsyncClient(base_url=system["agreements"].url, headers=auth_headers())
    reporting = httpx.AsyncClient(base_url=system["reporting"].url, headers=auth_headers())
    notifications = httpx.AsyncClient(base_url=system["notifications"].url,
                                      headers=auth_headers())
    async with connection, agreements, reporting, notifications:
        assert (await agreements.post("/work-programs/2021", json={
            "realization_target": 80, "effectiveness_target": 60})).status_code == 201
        broken = (await agreements.post("/agreements", json=propose_body(
            title=f"Kerja sama {MARK}", lead_opd="DISPERINDAG"))).json()["id"]
        fine = (await agreements.post("/agreements", json=propose_body(
            lead_opd="DISKUK"))).json()["id"]
        assert (await agreements.post(f"/agreements/{broken}/review")).status_code == 200

        async def parked_in(client: httpx.AsyncClient) -> list[dict[str, Any]]:
            found: list[dict[str, Any]] = (await client.get("/parked")).json()
            return found if found and found[0]["waiting"] == 2 else []

        for client in (reporting, notifications):  # the stream and the event behind it
            parked = await _eventually(lambda c=client: parked_in(c), "a parked stream")
            assert [p["stream_id"] for p in parked] == [broken]
            # whichever of its events failed first (a consumer handles them concurrently)
            assert parked[0]["version"] in (1, 2) and "planted bug" in parked[0]["reason"]

        async def counted() -> list[dict[str, Any]]:  # the other stream went on
            items: list[dict[str, Any]] = (await reporting.get(
                "/kpis", params={"year": 2021})).json()
            ok = any(i["scope"] == "opd:DISKUK" and i["indicator"] == "realization"
                     for i in items)
            return items if ok else []

        items = await _eventually(counted, "the healthy stream counted")
        assert _item(items, "realization", "opd:DISKUK")["complete"] is True
        province = _item(items, "realization", "province")
        assert (province["denominator"], province["complete"]) == (1, False)
        await _eventually(lambda: _async(any(k["scope"] == "province" and not k["complete"]
                                             for k in kpis)),
                          "kpi.updated saying the province figure is incomplete")
        metrics = (await reporting.get("/metrics")).text
        assert 'kerjasama_parked_streams{queue="reporting.events"} 1.0' in metrics

        # an event of a newer writer's version parks its stream too; one without a
        # readable stream would go to the dead-letter queue
        newer = json.loads(codec.encode(codec.make_envelope(
            example_of(AgreementReviewStarted, agreement_id=fine, version=2),
            source=SOURCE_AGREEMENTS, time=now(), subject=fine, sequence="0000000002",
            position=10_000)))
        newer["type"] = "kerjasama.agreement.review_started.v7"
        channel = await connection.channel()
        exchange = await channel.get_exchange("kerjasama.events")
        await exchange.publish(aio_pika.Message(json.dumps(newer).encode(),
                               delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                               "agreement.review_started")

        async def two_parked() -> bool:
            return len((await reporting.get("/parked")).json()) == 2

        await _eventually(two_parked, "the newer version parked")
        listed = (await reporting.get("/parked")).json()
        assert any(p["stream_id"] == fine and p["reason"].startswith("unsupported-version")
                   for p in listed)

        monkeypatch.setenv("KERJASAMA_NOTIFICATIONS_URL", system["notifications"].url)
        monkeypatch.setenv("KERJASAMA_REPORTING_URL", system["reporting"].url)
        assert await asyncio.to_thread(main, ["parked", "list"]) == 0
        listing = capsys.readouterr().out
        assert listing.count(broken) == 2 and "planted bug" in listing

        # the fix: the bug is gone, and the newer writer's message was not for us
        await _in_each_consumer(system, "DROP TRIGGER planted_bug ON agreements")
        assert await asyncio.to_thread(main, ["parked", "retry", broken]) == 0
        assert f"{broken} released, 2 event(s) applied" in capsys.readouterr().out
        assert await asyncio.to_thread(main, ["parked", "retry"]) == 1  # v7 still unknown
        assert "still parked" in capsys.readouterr().err
        reporting_db = await asyncpg.connect(system.databases["reporting"])
        try:  # the operator drops the message no reader of this contract can read
            await reporting_db.execute("DELETE FROM reporting_g1.parked_events")
        finally:
            await reporting_db.close()
        assert (await reporting.post(f"/parked/{fine}/retry")).json()["released"] is True

        after = (await reporting.get("/kpis", params={"year": 2021})).json()
        province = _item(after, "realization", "province")
        assert (province["denominator"], province["complete"]) == (2, True)
        assert all(i["complete"] for i in after)
        assert _item(after, "realization", "opd:DISPERINDAG")["denominator"] == 1
        await _eventually(lambda: _async(kpis[-1]["complete"] if any(
            k["scope"] == "province" and k["complete"] and k["denominator"] == 2
            for k in kpis) else False), "kpi.updated saying the figure is complete again")
        deliveries = (await notifications.get("/deliveries",
                                              params={"agreement_id": broken})).json()
        assert any(d["rule"] == "proposal_received" for d in deliveries)

        monkeypatch.setenv("KERJASAMA_REPORTING_DATABASE_URL", system.databases["reporting"])
        monkeypatch.setenv("KERJASAMA_AGREEMENTS_URL", system["agreements"].url)
        monkeypatch.setenv("KERJASAMA_AMQP_URL", fresh_topology)
        assert await asyncio.to_thread(main, ["rebuild"]) == 0
        rebuilt = (await reporting.get("/kpis", params={"year": 2021})).json()
        assert _numbers(rebuilt) == _numbers(after)


async def _async(value: Any) -> Any:
    return value


def _event(data: Any, message_type: str, subject: str, version: int) -> bytes:
    envelope = json.loads(codec.encode(codec.make_envelope(
        data, source=SOURCE_AGREEMENTS, time=now(), subject=subject,
        sequence=f"{version:010d}", position=10_000 + version)))
    envelope["type"] = message_type
    return json.dumps(envelope).encode()


async def test_an_unknown_event_type_of_a_known_family_is_stepped_over_and_counted(
        system: System, fresh_topology: str) -> None:
    async with httpx.AsyncClient(base_url=system["agreements"].url,
                                 headers=auth_headers()) as agreements:
        agreement = (await agreements.post("/agreements", json=propose_body(
            lead_opd="DISKUK"))).json()["id"]
    archived = _event(example_of(AgreementReviewStarted, agreement_id=agreement, version=2),
                      "kerjasama.agreement.archived.v1", agreement, 2)
    review = _event(example_of(AgreementReviewStarted, agreement_id=agreement, version=3,
                               stage="IN_REVIEW"),
                    AgreementReviewStarted.event_type, agreement, 3)
    connection = await connect(fresh_topology)
    async with connection, httpx.AsyncClient(base_url=system["reporting"].url,
                                             headers=auth_headers()) as reporting:
        channel = await connection.channel()
        exchange = await channel.get_exchange("kerjasama.events")
        for body, key in ((archived, "agreement.archived"), (review, "agreement.review_started")):
            await exchange.publish(aio_pika.Message(
                body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT), key)

        async def in_review() -> bool:  # version 3 applied right after the stepped-over 2
            items = (await reporting.get("/kpis", params={"year": 2021})).json()
            return any(i["scope"] == "stage:IN_REVIEW" and i["numerator"] == 1 for i in items)

        await _eventually(in_review, "the event after the unknown one applied")
        assert (await reporting.get("/parked")).json() == []
        metrics = (await reporting.get("/metrics")).text
        assert ('kerjasama_unknown_events_total{queue="reporting.events",'
                'type="kerjasama.agreement.archived.v1"} 1.0') in metrics
        for queue in ("reporting.events.dlq", "notifications.events.dlq"):
            declared = await channel.declare_queue(queue, passive=True)
            assert declared.declaration_result.message_count == 0
