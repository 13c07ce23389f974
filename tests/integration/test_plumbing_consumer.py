"""The shared queue consumer on the real broker: explicit acks, retries, dead letters."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import aio_pika
import asyncpg

from contracts import codec, topology
from contracts.envelope import SOURCE_AGREEMENTS
from contracts.events import AgreementProposed
from contracts.examples import example_of
from plumbing.amqp import connect, publish_persistent
from plumbing.consumer import QueueConsumer, create_broker
from plumbing.delivery import Delivery, Poison

NOW = datetime(2021, 2, 18, 10, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
QUEUE = "reporting.events"


def proposed(title: str) -> bytes:
    data = example_of(AgreementProposed, title=title)
    return codec.encode(codec.make_envelope(data, source=SOURCE_AGREEMENTS, time=NOW,
                                            subject=str(data.agreement_id), sequence="0000000001",
                                            position=1))


async def _publish(url: str, bodies: list[bytes]) -> None:
    connection = await connect(url)
    async with connection:
        channel = await connection.channel()
        for body in bodies:
            await publish_persistent(channel, topology.EVENTS_EXCHANGE, "agreement.proposed", body)


async def _drain(url: str, queue: str, expected: int, wait: float = 10) -> list[Any]:
    connection = await connect(url)
    got: list[aio_pika.abc.AbstractIncomingMessage] = []
    async with connection:
        channel = await connection.channel()
        q = await channel.get_queue(queue, ensure=False)
        deadline = asyncio.get_running_loop().time() + wait
        while len(got) < expected and asyncio.get_running_loop().time() < deadline:
            message = await q.get(fail=False)
            if message is None:
                await asyncio.sleep(0.05)
                continue
            await message.ack()
            got.append(message)
    return got


async def _run(url: str, handler: Any, until: Any, wait: float = 15) -> None:
    broker = create_broker(url)
    QueueConsumer(broker, QUEUE, handler, max_delay=0.05).subscribe(broker)
    async with broker:
        await broker.start()
        deadline = asyncio.get_running_loop().time() + wait
        while not until():
            assert asyncio.get_running_loop().time() < deadline, "consumer did not finish"
            await asyncio.sleep(0.05)


async def test_poison_goes_to_the_dlq_with_its_reason_and_the_rest_flows_on(
        fresh_topology: str) -> None:
    handled: list[str] = []

    async def handler(delivery: Delivery) -> str:
        title = delivery.decoded.data.title  # type: ignore[attr-defined]
        if title == "refused by the handler":
            raise Poison("not-applicable", "this projection cannot take it")
        if title == "bug":
            raise KeyError("missing")
        handled.append(title)
        return "applied"

    unknown = json.loads(proposed("x"))
    unknown["type"] = "kerjasama.agreement.renamed.v1"
    invalid = json.loads(proposed("x"))
    invalid["data"]["kind"] = "NOPE"
    await _publish(fresh_topology, [
        proposed("first"), b"not json at all", b'{"position": ' + b"9" * 5000 + b"}",
        json.dumps(unknown).encode(),
        json.dumps(invalid).encode(), proposed("refused by the handler"), proposed("bug"),
        proposed("last"),
    ])
    await _run(fresh_topology, handler, lambda: len(handled) == 2)

    assert handled == ["first", "last"]
    dead = await _drain(fresh_topology, "reporting.events.dlq", 6)
    reasons = sorted(str(m.headers["x-error"]).split(":")[0] for m in dead)
    assert reasons == ["handler-error", "invalid-data", "not-applicable", "not-json",
                       "not-json", "unknown-type"]  # a number beyond what a reader parses
    huge = [m for m in dead if m.body.startswith(b'{"position": 999')]
    assert len(huge) == 1 and str(huge[0].headers["x-error"]).startswith("not-json: ")
    by_reason = {str(m.headers["x-error"]).split(":")[0]: m for m in dead if m not in huge}
    assert "field kind" in str(by_reason["invalid-data"].headers["x-error"])
    assert by_reason["not-json"].body == b"not json at all"
    assert by_reason["not-json"].headers["x-original-routing-key"] == "agreement.proposed"
    assert await _drain(fresh_topology, QUEUE, 1, wait=0.5) == []  # everything acked


async def test_transient_errors_are_retried_in_process_until_the_handler_succeeds(
        fresh_topology: str) -> None:
    attempts: list[int] = []

    async def handler(delivery: Delivery) -> str:
        attempts.append(1)
        if len(attempts) < 4:
            raise asyncpg.CannotConnectNowError("the database system is starting up")
        return "applied"

    await _publish(fresh_topology, [proposed("retried")])
    await _run(fresh_topology, handler, lambda: len(attempts) == 4)
    await asyncio.sleep(0.2)
    assert len(attempts) == 4
    assert await _drain(fresh_topology, "reporting.events.dlq", 1, wait=0.5) == []
