"""The outbox relay on the real PostgreSQL and RabbitMQ: every event, once, in position order."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from uuid import uuid4

import aio_pika
import aio_pika.abc
import pytest

from contracts import topology
from contracts.commands import ProposeAgreement, StartReview
from plumbing.amqp import connect
from plumbing.background import Stop
from plumbing.db import Pool
from plumbing.relay import OutboxRelay, RelaySettings
from plumbing.settings import load_settings
from plumbing.topology import declare_topology
from services.agreements.adapters.database import open_database
from services.agreements.adapters.event_store import NewEvent, PostgresEventStore, append
from services.agreements.adapters.outbox import events_relay
from services.agreements.application.service import AgreementService
from services.agreements.settings import AgreementsSettings
from tests.integration.agreements.conftest import propose_body
from tests.private_rabbitmq import private_rabbitmq
from tests.waiting import until

FAST = RelaySettings(batch_size=100, poll_seconds=0.2, retry_seconds=0.2)
REGISTERED = "kerjasama.partner.registered.v1"


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[Pool]:
    settings = load_settings(AgreementsSettings, agreements_database_url=database_url)
    pool = await open_database(settings)
    yield pool
    await pool.close()


class Collector:
    """An exclusive queue bound to every event; records (event id, position) as they come."""

    def __init__(self) -> None:
        self.received: list[tuple[str, int]] = []

    async def start(self, url: str) -> aio_pika.abc.AbstractRobustConnection:
        connection = await connect(url)
        channel = await connection.channel()
        queue = await channel.declare_queue(f"test-collector-{uuid4().hex[:8]}", durable=True)
        await queue.bind(topology.EVENTS_EXCHANGE, "#")

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            body = json.loads(message.body)
            self.received.append((body["id"], body["position"]))
            await message.ack()

        await queue.consume(on_message)
        return connection

    async def wait_for(self, distinct: int, seconds: float = 60) -> None:
        await until(lambda: len({i for i, _ in self.received}) >= distinct, seconds,
                    f"{distinct} distinct events")


async def send_commands(pool: Pool, count: int, *, concurrency: int = 16,
                        midway: Callable[[], Awaitable[None]] | None = None) -> list[int]:
    """``count`` commands (proposals and reviews), ``concurrency`` at a time; the positions
    of every event stored, the registration of the one partner they all name included (the
    first proposal to commit registers it)."""
    service = AgreementService(PostgresEventStore(pool))
    positions: list[int] = []
    pending: list[str] = []

    async def one(i: int) -> None:
        if i % 2 == 1 and pending:
            command: ProposeAgreement | StartReview = StartReview(
                command_id=f"c-{i}", agreement_id=pending.pop())
        else:
            command = ProposeAgreement(command_id=f"c-{i}", **propose_body(title=f"PKS {i}"))
        accepted = await service.handle(command, actor="test", roles={"tkksd"})
        if isinstance(command, ProposeAgreement):
            pending.append(accepted.id)

    for start in range(0, count, concurrency):
        await asyncio.gather(*(one(i) for i in range(start, min(count, start + concurrency))))
        if midway is not None and start <= count // 2 < start + concurrency:
            await midway()
    rows = await pool.fetch("SELECT position, type FROM events ORDER BY position")
    positions = [r["position"] for r in rows]
    assert [r["type"] for r in rows].count(REGISTERED) == 1
    assert len(positions) == count + 1
    return positions


def started(relay: OutboxRelay) -> tuple[Stop, asyncio.Task[None]]:
    stop = Stop()
    return stop, asyncio.create_task(relay.run(stop))


@contextlib.asynccontextmanager
async def running(*relays: OutboxRelay) -> AsyncIterator[None]:
    runs = [started(r) for r in relays]
    try:
        yield
    finally:
        for stop, _ in runs:
            stop.set()
        await asyncio.wait_for(asyncio.gather(*(task for _, task in runs)), 30)


def assert_every_event_once_in_order(received: list[tuple[str, int]],
                                     positions: list[int]) -> None:
    assert len(received) == len(positions), "duplicates or losses"
    assert [p for _, p in received] == positions
    assert len({i for i, _ in received}) == len(positions)


async def test_a_thousand_commands_reach_a_bound_queue_once_each_in_position_order(
        pool: Pool, database_url: str, fresh_topology: str) -> None:
    collector = Collector()
    connection = await collector.start(fresh_topology)
    relay = events_relay(database_url, fresh_topology, FAST)
    async with running(relay):
        positions = await send_commands(pool, 1000)
        await collector.wait_for(len(positions))
        await asyncio.sleep(0.3)  # a duplicate would show up now
    await connection.close()
    assert_every_event_once_in_order(collector.received, positions)
    assert await pool.fetchval("SELECT count(*) FROM outbox") == 0


async def test_two_relays_at_once_publish_each_event_once_in_order(
        pool: Pool, database_url: str, fresh_topology: str) -> None:
    collector = Collector()
    connection = await collector.start(fresh_topology)
    first, second = (events_relay(database_url, fresh_topology, FAST) for _ in range(2))
    async with running(first, second):
        positions = await send_commands(pool, 300)
        await collector.wait_for(len(positions))
        assert [first.active, second.active].count(True) == 1
        await asyncio.sleep(0.3)
    await connection.close()
    assert_every_event_once_in_order(collector.received, positions)
    assert sorted([first.published, second.published]) == [0, len(positions)]


async def test_the_standby_relay_takes_over_when_the_active_one_stops(
        pool: Pool, database_url: str, fresh_topology: str) -> None:
    collector = Collector()
    connection = await collector.start(fresh_topology)
    first = events_relay(database_url, fresh_topology, FAST)
    second = events_relay(database_url, fresh_topology, FAST)
    first_stop, first_task = started(first)
    await until(lambda: first.active, 30, "the first relay to be active")
    async with running(second):
        positions = await send_commands(pool, 200, midway=_stopper(first_stop, first_task))
        await collector.wait_for(len(positions))
        await asyncio.sleep(0.3)
    await connection.close()
    assert first.published > 0 and second.published > 0
    assert_every_event_once_in_order(collector.received, positions)


def _stopper(relay_stop: Stop, task: asyncio.Task[None]) -> Callable[[], Awaitable[None]]:
    async def stop() -> None:
        relay_stop.set()
        await task
    return stop


async def test_a_broker_outage_delays_publishing_and_loses_nothing(
        pool: Pool, database_url: str) -> None:
    with private_rabbitmq() as node:
        setup = await connect(node.url)
        async with setup:
            await declare_topology(await setup.channel())
        collector = Collector()
        connection = await collector.start(node.url)
        relay = events_relay(database_url, node.url, FAST)

        outages: list[asyncio.Task[None]] = []

        async def back_later() -> None:
            await asyncio.sleep(1.5)
            await asyncio.to_thread(node.start_broker)

        async def begin_outage() -> None:
            # The broker is down before the second half is sent, however slow the machine:
            # commands go on being accepted meanwhile, and the relay meets the outage.
            await asyncio.to_thread(node.stop_broker)
            outages.append(asyncio.create_task(back_later()))

        async with running(relay):
            positions = await send_commands(pool, 1000, concurrency=4, midway=begin_outage)
            await outages[0]
            await collector.wait_for(len(positions), seconds=90)
            await asyncio.sleep(0.5)
        await connection.close()

    ids = [i for i, _ in collector.received]
    first_seen: dict[str, int] = {}
    for event_id, position in collector.received:
        first_seen.setdefault(event_id, position)
    duplicates = len(ids) - len(first_seen)
    print(f"\nbroker outage: {len(positions)} events, {len(ids)} received, "
          f"{len(first_seen)} distinct, {duplicates} duplicates, "
          f"{relay.failures} failed relay rounds")
    assert relay.failures >= 1  # the relay did meet the outage
    assert sorted(first_seen.values()) == positions  # every event
    assert list(first_seen.values()) == positions  # first occurrences in position order


async def test_the_relay_waits_for_a_slow_writer_and_keeps_position_order(
        pool: Pool, database_url: str, fresh_topology: str) -> None:
    collector = Collector()
    connection = await collector.start(fresh_topology)
    relay = events_relay(database_url, fresh_topology, FAST)
    service = AgreementService(PostgresEventStore(pool))
    async with running(relay), pool.acquire() as slow:
        transaction = slow.transaction()
        await transaction.start()
        await append(slow, f"slow-{uuid4()}", 0, None, [NewEvent(
            uuid4(), "kerjasama.agreement.proposed.v1", {}, {}, datetime.now(UTC))])
        await service.handle(ProposeAgreement(command_id="after-the-slow-one", **propose_body()),
                             actor="test", roles={"tkksd"})
        await asyncio.sleep(1.0)  # the relay polls and is notified meanwhile
        # positions 2 and 3 (the new partner's registration, the proposal) wait behind the
        # running position 1
        assert collector.received == []
        await transaction.commit()
        await collector.wait_for(3)
    await connection.close()
    assert [p for _, p in collector.received] == [1, 2, 3]


async def test_a_notification_wakes_the_relay_long_before_its_next_poll(
        pool: Pool, database_url: str, fresh_topology: str) -> None:
    collector = Collector()
    connection = await collector.start(fresh_topology)
    relay = events_relay(database_url, fresh_topology, RelaySettings(poll_seconds=60))
    async with running(relay):
        await until(lambda: relay.active, 30, "the relay to be active")
        await asyncio.sleep(0.2)  # it is now waiting for a notification or its next poll
        loop = asyncio.get_running_loop()
        started = loop.time()
        await send_commands(pool, 1)
        await collector.wait_for(1, seconds=10)
        waited = loop.time() - started
    await connection.close()
    assert waited < 5, f"published after {waited:.1f}s: not woken by NOTIFY"
