"""Poison messages without a readable stream reach each consumer's dead-letter queue with the
reason; the rest flows. (A message whose stream is readable parks its stream instead:
tests/reliability/test_parked_streams.py.)"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import aio_pika
import httpx
import pytest

from contracts import codec
from contracts.envelope import SOURCE_AGREEMENTS
from contracts.events import AgreementProposed
from contracts.examples import example_of
from plumbing.amqp import connect
from plumbing.clock import now
from services.cli import main
from tests.auth import auth_headers
from tests.conftest import MANAGEMENT_URL, DatabaseUrlFactory
from tests.integration.agreements.conftest import propose_body
from tests.system import mail_catcher, make_system

DLQS = ("reporting.events.dlq", "notifications.events.dlq")


def poison() -> dict[str, bytes]:
    valid = json.loads(codec.encode(codec.make_envelope(
        example_of(AgreementProposed), source=SOURCE_AGREEMENTS, time=now(),
        subject="3f1c6a52-8f4e-4f55-9d1e-3f4a2b1c0d9e", sequence="0000000001", position=1)))
    del valid["subject"]
    unknown = {**valid, "type": "kerjasama.treaty.renamed.v1"}  # no stream family of ours
    version = {**valid, "type": "kerjasama.agreement.proposed.v9"}
    invalid = {**valid, "data": {**valid["data"], "kind": "NOPE"}}
    return {"not-json": b"\xff not json", "unknown-type": json.dumps(unknown).encode(),
            "unsupported-version": json.dumps(version).encode(),
            "invalid-data": json.dumps(invalid).encode()}


async def depth(channel: aio_pika.abc.AbstractChannel, queue: str) -> int:
    declared = await channel.declare_queue(queue, passive=True)
    return int(declared.declaration_result.message_count or 0)


async def test_poison_is_dead_lettered_with_its_reason_listed_and_requeued(
        fresh_topology: str, database_url_factory: DatabaseUrlFactory, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    with mail_catcher(tmp_path / "mail") as smtp_port:
        system = await make_system(database_url_factory, amqp_url=fresh_topology,
                                   management_url=MANAGEMENT_URL, smtp_port=smtp_port,
                                   workdir=tmp_path)
        try:
            await system.start()
            connection = await connect(fresh_topology)
            async with connection:
                channel = await connection.channel()
                exchange = await channel.get_exchange("kerjasama.events")
                for body in poison().values():
                    await exchange.publish(aio_pika.Message(
                        body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                        "agreement.proposed")
                async with httpx.AsyncClient(
                        headers=auth_headers(), base_url=system["agreements"].url) as http:
                    created = await http.post("/agreements", json=propose_body())
                    assert created.status_code == 201
                async with httpx.AsyncClient(
                        headers=auth_headers(), base_url=system["reporting"].url) as reporting:
                    for _ in range(100):  # the proposal behind the poison is counted
                        items = (await reporting.get("/kpis", params={"year": 2021})).json()
                        if any(i["indicator"] == "realization" and i["denominator"] == 1
                               for i in items):
                            break
                        await asyncio.sleep(0.2)
                    else:
                        raise AssertionError("the proposal behind the poison was not counted")
                for _ in range(300):  # a loaded machine: up to 30 s
                    if [await depth(channel, q) for q in DLQS] == [4, 4]:
                        break
                    await asyncio.sleep(0.1)
                assert [await depth(channel, q) for q in DLQS] == [4, 4]

                monkeypatch.setenv("KERJASAMA_AMQP_URL", fresh_topology)
                monkeypatch.setenv("KERJASAMA_RABBITMQ_MANAGEMENT_URL", MANAGEMENT_URL)
                assert await asyncio.to_thread(main, ["dlq", "list"]) == 0
                listing = capsys.readouterr().out
                for reason in poison():
                    assert listing.count(f" {reason}: ") == 2, (reason, listing)
                assert await asyncio.to_thread(main, ["dlq", "requeue", "reporting.events"]) == 0
                assert "requeued 4 message(s)" in capsys.readouterr().out
                for _ in range(300):  # back through the consumer, which refuses them again
                    if await depth(channel, "reporting.events.dlq") == 4:
                        break
                    await asyncio.sleep(0.1)
                assert [await depth(channel, q) for q in DLQS] == [4, 4]
        finally:
            system.stop()
