"""The consumer's decoder and middlewares on FastStream's in-memory broker.

These run in milliseconds; the same guarantees against the real broker (acks,
redelivery, the dead-letter queue, order under load) are proven in
tests/integration/test_plumbing_consumer.py, tests/reliability and the two-replica tests.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest
from faststream.rabbit import (
    ExchangeType,
    RabbitBroker,
    RabbitExchange,
    RabbitQueue,
    TestRabbitBroker,
)
from faststream.rabbit.annotations import RabbitMessage
from prometheus_client import REGISTRY

from contracts import codec
from contracts.envelope import SOURCE_AGREEMENTS
from contracts.events import AgreementProposed, UnknownEvent
from contracts.examples import example_of
from contracts.topology import DEAD_LETTER_EXCHANGE
from plumbing.consumer import QueueConsumer
from plumbing.delivery import Delivery, Poison
from plumbing.parking import InMemoryParking

NOW = datetime(2021, 2, 18, 10, 0, tzinfo=ZoneInfo("Asia/Jakarta"))


def event(stream: UUID, version: int, *, title: str = "Kerja sama",
          message_type: str | None = None) -> bytes:
    data = example_of(AgreementProposed, agreement_id=stream, title=title)
    return codec.encode(codec.make_envelope(
        data, source=SOURCE_AGREEMENTS, time=NOW, subject=str(stream),
        sequence=f"{version:010d}", position=version, message_type=message_type))


def count(queue: str, outcome: str, message_type: str = AgreementProposed.event_type
          ) -> float:
    return REGISTRY.get_sample_value("kerjasama_messages_total", {
        "queue": queue, "type": message_type, "outcome": outcome}) or 0.0


async def raw_body(message: RabbitMessage) -> bytes:
    """The dead letters as they are (a poison body may be more than a decoder takes)."""
    return bytes(message.body)


class Harness:
    """A consumer of a fresh queue on the in-memory broker, with its dead letters."""

    def __init__(self, handler: Callable[[Delivery], Awaitable[str]], **options: Any) -> None:
        self.queue = f"test.{uuid4().hex[:8]}"
        self.broker = RabbitBroker()
        self.consumer = QueueConsumer(self.broker, self.queue, handler, max_delay=0.01,
                                      **options)
        self.consumer.subscribe(self.broker)
        self.dead: list[tuple[bytes, dict[str, Any]]] = []

        @self.broker.subscriber(
            RabbitQueue(f"{self.queue}.dlq", routing_key=f"{self.queue}.dlq"),
            RabbitExchange(DEAD_LETTER_EXCHANGE, type=ExchangeType.DIRECT), no_reply=True,
            decoder=raw_body)
        async def dead_letters(message: RabbitMessage) -> None:
            self.dead.append((message.body, dict(message.headers)))

    async def send(self, broker: RabbitBroker, *bodies: bytes) -> None:
        await asyncio.gather(*(broker.publish(body, self.queue) for body in bodies))


async def test_a_handled_event_reaches_the_handler_decoded_and_is_counted_under_its_outcome(
        ) -> None:
    seen: list[Delivery] = []

    async def handler(delivery: Delivery) -> str:
        seen.append(delivery)
        return "applied"

    h = Harness(handler)
    stream = uuid4()
    async with TestRabbitBroker(h.broker) as broker:
        await broker.publish(event(stream, 1, title="Pariwisata"), h.queue,
                             correlation_id="c-1")
    assert len(seen) == 1
    assert seen[0].decoded.data.title == "Pariwisata"  # type: ignore[attr-defined]
    assert seen[0].stream == str(stream) and seen[0].correlation_id == "c-1"
    assert seen[0].inbox_event().version == 1
    assert count(h.queue, "applied") == 1 and h.dead == []


@pytest.mark.parametrize(("body", "reason"), [
    (b"not json", "not-json"),
    (b'{"id": ' + b"1" * 5000 + b"}", "not-json"),  # beyond the digits a reader parses
    (b"[" * 100_000 + b"]" * 100_000, "not-json"),  # beyond the depth it parses
    (json.dumps({"specversion": "1.0", "type": "kerjasama.nothing.v1"}).encode(),
     "unknown-type"),
])
async def test_a_body_that_breaks_the_contract_is_dead_lettered_with_its_reason_unhandled(
        body: bytes, reason: str) -> None:
    handled: list[Delivery] = []

    async def handler(delivery: Delivery) -> str:
        handled.append(delivery)
        return "applied"

    h = Harness(handler)
    async with TestRabbitBroker(h.broker) as broker:
        await broker.publish(body, h.queue)
    assert handled == []
    assert [b for b, _ in h.dead] == [body]
    headers = h.dead[0][1]
    assert headers["x-error-reason"] == reason and headers["x-original-queue"] == h.queue
    assert headers["x-error"].startswith(f"{reason}: ")


async def test_a_refused_or_failing_event_is_dead_lettered_and_the_rest_flow_on() -> None:
    async def handler(delivery: Delivery) -> str:
        title = delivery.decoded.data.title  # type: ignore[attr-defined]
        if title == "refused":
            raise Poison("not-applicable", "this projection cannot take it")
        if title == "bug":
            raise KeyError("missing")
        return "applied"

    h = Harness(handler)
    async with TestRabbitBroker(h.broker) as broker:
        for title in ("refused", "ok", "bug", "ok"):
            await broker.publish(event(uuid4(), 1, title=title), h.queue)
    assert [headers["x-error"] for _, headers in h.dead] == [
        "not-applicable: this projection cannot take it",
        "handler-error: KeyError: 'missing'"]
    assert count(h.queue, "applied") == 2 and count(h.queue, "dead_lettered") == 2


async def test_the_dead_letter_hook_hears_of_each_dead_letter() -> None:
    heard: list[tuple[str, str]] = []

    async def hook(message: Any, reason: str, detail: str) -> None:
        heard.append((reason, detail))

    async def handler(delivery: Delivery) -> str:
        raise Poison("reply-to-refused", f"reply_to {delivery.reply_to!r} is refused")

    h = Harness(handler, on_dead_letter=hook)
    async with TestRabbitBroker(h.broker) as broker:
        await broker.publish(event(uuid4(), 1), h.queue, reply_to="orders")
    assert heard == [("reply-to-refused", "reply_to 'orders' is refused")]


async def test_a_failing_event_of_a_readable_stream_parks_it_and_a_retry_releases_it(
        ) -> None:
    fixed = False
    handled: list[int] = []
    parking = InMemoryParking()

    async def handler(delivery: Delivery) -> str:
        if not fixed:
            raise Poison("event-before-proposal", "no proposal yet")
        handled.append(delivery.inbox_event().version)
        return "applied"

    h = Harness(handler, parking=parking, events=True)
    stream = uuid4()
    async with TestRabbitBroker(h.broker) as broker:
        await broker.publish(event(stream, 1), h.queue)
    assert h.dead == [] and await parking.is_parked(str(stream))
    [parked] = await parking.parked()
    assert parked.reason == "event-before-proposal: no proposal yet" and parked.waiting == 1
    assert count(h.queue, "parked") == 1

    still = await h.consumer.retry_parked(str(stream))
    assert not still.released and still.reason == "event-before-proposal: no proposal yet"
    fixed = True
    done = await h.consumer.retry_parked(str(stream))
    assert done.released and done.handled == 1 and handled == [1]
    assert not await parking.is_parked(str(stream))


async def test_a_contract_error_parks_its_stream_when_the_subject_is_readable() -> None:
    async def handler(delivery: Delivery) -> str:
        return "applied"

    parking = InMemoryParking()
    h = Harness(handler, parking=parking, events=True)
    stream = uuid4()
    broken = json.loads(event(stream, 1))
    broken["data"]["title"] = None
    async with TestRabbitBroker(h.broker) as broker:
        await broker.publish(json.dumps(broken).encode(), h.queue)
    assert h.dead == [] and await parking.is_parked(str(stream))


async def test_an_unknown_event_of_a_known_family_reaches_an_event_consumer_as_unknown(
        ) -> None:
    seen: list[object] = []

    async def handler(delivery: Delivery) -> str:
        seen.append(delivery.decoded.data)
        return "skipped"

    h = Harness(handler, events=True)
    async with TestRabbitBroker(h.broker) as broker:
        await broker.publish(event(uuid4(), 1, message_type="kerjasama.agreement.archived.v1"),
                             h.queue)
    assert [type(data) for data in seen] == [UnknownEvent] and h.dead == []
    assert REGISTRY.get_sample_value("kerjasama_unknown_events_total", {
        "queue": h.queue, "type": "kerjasama.agreement.archived.v1"}) == 1


async def test_a_transient_error_that_outlasts_the_retries_requeues_the_message() -> None:
    attempts = 0

    async def handler(delivery: Delivery) -> str:
        nonlocal attempts
        attempts += 1
        raise ConnectionRefusedError("database restarting")

    h = Harness(handler, transient_timeout=0.05)
    async with TestRabbitBroker(h.broker) as broker:
        await broker.publish(event(uuid4(), 1), h.queue)
    assert attempts > 1 and h.dead == []
    assert count(h.queue, "requeued") == 1


async def test_a_stream_waits_for_its_earlier_event_while_other_streams_go_on() -> None:
    first_started, first_may_end = asyncio.Event(), asyncio.Event()
    order: list[tuple[str, int]] = []
    a, b = uuid4(), uuid4()

    async def handler(delivery: Delivery) -> str:
        key = ("a" if delivery.stream == str(a) else "b", delivery.inbox_event().version)
        order.append(key)
        if key == ("a", 1):
            first_started.set()
            await first_may_end.wait()
        return "applied"

    h = Harness(handler)
    async with TestRabbitBroker(h.broker) as broker:
        sending = asyncio.create_task(h.send(broker, event(a, 1)))
        await first_started.wait()
        more = asyncio.create_task(h.send(broker, event(a, 2), event(b, 1)))
        for _ in range(20):
            await asyncio.sleep(0)
        assert order == [("a", 1), ("b", 1)]  # b went on; a's second event waits
        first_may_end.set()
        await asyncio.gather(sending, more)
    assert order == [("a", 1), ("b", 1), ("a", 2)]


async def test_a_handler_that_says_its_order_is_kept_lets_the_next_event_start() -> None:
    release_first = asyncio.Event()
    order: list[int] = []
    stream = uuid4()

    async def handler(delivery: Delivery) -> str:
        version = delivery.inbox_event().version
        order.append(version)
        if version == 1:
            delivery.in_order()  # queued where the order is kept (a group commit)
            await release_first.wait()
        return "applied"

    h = Harness(handler)
    async with TestRabbitBroker(h.broker) as broker:
        first = asyncio.create_task(h.send(broker, event(stream, 1)))
        for _ in range(5):
            await asyncio.sleep(0)
        await h.send(broker, event(stream, 2))
        assert order == [1, 2]
        release_first.set()
        await first


async def test_retrying_a_stream_another_retry_released_ends_at_once() -> None:
    async def handler(delivery: Delivery) -> str:
        return "applied"

    parking = InMemoryParking()
    h = Harness(handler, parking=parking, events=True)
    result = await asyncio.wait_for(h.consumer.retry_parked("not-parked"), 2)
    assert result.released and result.handled == 0
