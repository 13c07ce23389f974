"""Signed checkpoints: history rewritten under a checkpoint is found from the public feed.

Each test writes history through the service, signs a checkpoint, then changes the event
table as its owner (the append-only trigger switched off, every per-stream hash
recomputed where it would help the forger) and verifies what ``GET /events`` serves.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any
from uuid import uuid4

import asyncpg
import httpx
import pytest

from contracts import topology
from contracts.codec import decode
from plumbing.amqp import connect
from plumbing.background import Stop
from plumbing.feed_verify import FeedVerification, verify_feed
from plumbing.ledger import (
    Checkpoint,
    CheckpointSigner,
    Head,
    event_hash,
    public_key_of,
    signature_holds,
)
from plumbing.relay import RelaySettings
from services.agreements.adapters.checkpointer import Checkpointer
from services.agreements.adapters.checkpoints import latest, make_checkpoint
from services.agreements.adapters.event_store import stored_event
from services.agreements.adapters.outbox import events_relay
from services.cli import main
from tests.auth import auth_headers
from tests.integration.agreements.conftest import SIGN_BODY, to_ready_to_sign
from tests.integration.agreements.test_cli import served  # noqa: F401 - a fixture

FAST = RelaySettings(batch_size=100, poll_seconds=0.1, retry_seconds=0.2)

Tamper = Callable[["asyncpg.Connection[Any]"], Awaitable[int]]
"""Changes history; answers the first position it changed."""


def _events(agreements: int) -> int:
    """The events :func:`_history` writes: its one partner's registration (the first
    proposal registers it) and five per agreement."""
    return 1 + 5 * agreements


async def _history(client: httpx.AsyncClient, agreements: int = 3) -> list[str]:
    ids = []
    for _ in range(agreements):
        aid = await to_ready_to_sign(client)
        assert (await client.post(f"/agreements/{aid}/sign", json=SIGN_BODY)).status_code == 200
        ids.append(aid)
    return ids


async def _feed(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    answer = await client.get("/events", params={"after": 0, "limit": 1000})
    assert answer.status_code == 200, answer.text
    events: list[dict[str, Any]] = answer.json()
    return events


async def _verify(client: httpx.AsyncClient, signer: CheckpointSigner,
                  checkpoints: list[Checkpoint]) -> FeedVerification:
    return verify_feed(await _feed(client), checkpoints, public_key_of(signer.public))


async def _checkpoint(database_url: str, signer: CheckpointSigner,
                      events: int) -> Checkpoint:
    """Sign the head once the feed serves ``events`` events (the feed's safe point waits
    for every older transaction of the server, other tests' included)."""
    conn = await asyncpg.connect(database_url)
    try:
        for _ in range(600):  # up to 30 s: other tests' transactions hold the safe point
            await make_checkpoint(conn, signer)
            checkpoint = await latest(conn)
            if checkpoint is not None and checkpoint.events == events:
                return checkpoint
            await asyncio.sleep(0.05)
        raise AssertionError(f"the feed never served {events} events")
    finally:
        await conn.close()


async def _rehash(conn: asyncpg.Connection[Any], stream_id: str) -> None:
    """Recompute every hash of a stream, as a forger who read the code would."""
    rows = await conn.fetch("SELECT * FROM events WHERE stream_id = $1 ORDER BY version",
                            stream_id)
    prev = None
    for row in rows:
        e = stored_event(row)
        digest = event_hash(prev, event_id=e.event_id, stream_id=e.stream_id,
                            version=e.version, type=e.type, data=e.data,
                            metadata=e.metadata, occurred_at=e.occurred_at)
        await conn.execute("UPDATE events SET prev_hash = $2, hash = $3 WHERE position = $1",
                           e.position, prev, digest)
        prev = digest


async def _as_owner(database_url: str, tamper: Tamper) -> int:
    conn: asyncpg.Connection[Any] = await asyncpg.connect(database_url)
    try:
        async with conn.transaction():
            await conn.execute("ALTER TABLE events DISABLE TRIGGER USER")
            await conn.execute("ALTER TABLE outbox DROP CONSTRAINT IF EXISTS "
                               "outbox_position_fkey")
            changed = await tamper(conn)
            await conn.execute("ALTER TABLE events ENABLE TRIGGER USER")
        return changed
    finally:
        await conn.close()


async def rewrite_and_rehash(conn: asyncpg.Connection[Any]) -> int:
    row = await conn.fetchrow("SELECT stream_id, position FROM events WHERE type = "
                              "'kerjasama.agreement.signed.v1' ORDER BY position LIMIT 1")
    assert row is not None
    await conn.execute(
        "UPDATE events SET data = jsonb_set(data, '{signatory,name}', '\"Orang Lain\"'), "
        "metadata = jsonb_set(metadata, '{actor}', '\"orang-lain\"') WHERE position = $1",
        row["position"])
    await _rehash(conn, row["stream_id"])
    return int(row["position"])


async def delete_last_events(conn: asyncpg.Connection[Any]) -> int:
    stream = await conn.fetchval("SELECT stream_id FROM events WHERE stream_id NOT LIKE "
                                 "'partner-%' ORDER BY position LIMIT 1")
    deleted = await conn.fetch("DELETE FROM events WHERE stream_id = $1 AND version > "
                               "(SELECT max(version) - 2 FROM events WHERE stream_id = $1) "
                               "RETURNING position", stream)
    return int(min(r["position"] for r in deleted))


async def delete_a_stream(conn: asyncpg.Connection[Any]) -> int:
    stream = await conn.fetchval("SELECT stream_id FROM events WHERE stream_id NOT LIKE "
                                 "'partner-%' ORDER BY position OFFSET 6 LIMIT 1")
    deleted = await conn.fetch("DELETE FROM events WHERE stream_id = $1 RETURNING position",
                               stream)
    return int(min(r["position"] for r in deleted))


async def truncate(conn: asyncpg.Connection[Any]) -> int:
    cut = await conn.fetchval("SELECT position FROM events WHERE stream_id NOT LIKE "
                              "'partner-%' ORDER BY position OFFSET 9 LIMIT 1")
    await conn.execute("DELETE FROM events WHERE position >= $1", cut)
    return int(cut)


async def test_the_feed_holds_against_its_checkpoints(
        agreements_client: httpx.AsyncClient, database_url: str) -> None:
    signer = CheckpointSigner.generate()
    await _history(agreements_client, 2)
    first = await _checkpoint(database_url, signer, _events(2))
    conn = await asyncpg.connect(database_url)
    try:
        assert await make_checkpoint(conn, signer) is None  # nothing new
    finally:
        await conn.close()
    result = await _verify(agreements_client, signer, [first])
    assert result.holds and result.checkpoints_held == 1 and result.events == _events(2)

    listed = await agreements_client.get("/checkpoints", params={"after": 0})
    assert listed.json()[-1] == first.to_json()
    assert (await agreements_client.get("/checkpoints/latest")).json() == first.to_json()
    key = (await agreements_client.get("/checkpoints/public-key")).json()
    assert key["kty"] == "OKP" and key["crv"] == "Ed25519"


@pytest.mark.parametrize("tamper", [rewrite_and_rehash, delete_last_events, delete_a_stream,
                                    truncate], ids=lambda t: t.__name__)
async def test_history_changed_under_a_checkpoint_is_found_from_the_feed(
        agreements_client: httpx.AsyncClient, database_url: str, tamper: Tamper) -> None:
    await _history(agreements_client)
    signer = CheckpointSigner.generate()
    checkpoint = await _checkpoint(database_url, signer, _events(3))

    changed = await _as_owner(database_url, tamper)

    result = await _verify(agreements_client, signer, [checkpoint])
    assert not result.holds
    assert result.broken_chains == []  # every per-stream chain still holds
    assert result.checkpoint_failure is not None
    assert result.first_differing_after is not None
    assert result.first_differing_at_most is not None
    assert result.first_differing_after < changed <= result.first_differing_at_most
    print(tamper.__name__, "->", result.checkpoint_failure)


async def test_a_checkpoint_with_a_bad_signature_is_refused(
        agreements_client: httpx.AsyncClient, database_url: str) -> None:
    await _history(agreements_client, 1)
    signer = CheckpointSigner.generate()
    good = await _checkpoint(database_url, signer, _events(1))
    forged = replace(good, hash="0" * 64)
    other_key = CheckpointSigner.generate().sign(
        Head(good.position, good.events, good.hash), good.signed_at)
    key = public_key_of(signer.public)
    result = verify_feed(await _feed(agreements_client), [forged, other_key], key)
    assert len(result.refused_checkpoints) == 2 and not result.holds
    assert verify_feed(await _feed(agreements_client), [good], key).holds


async def test_kerjasama_verify_reads_the_public_feed_and_a_witness_file(
        served: str, database_url: str, tmp_path: Path,  # noqa: F811 - the fixture
        capsys: pytest.CaptureFixture[str]) -> None:
    async with httpx.AsyncClient(base_url=served, headers=auth_headers()) as client:
        await _history(client, 2)
    signer = CheckpointSigner.generate()
    checkpoint = await _checkpoint(database_url, signer, _events(2))
    saved = tmp_path / "checkpoints.json"
    saved.write_text(json.dumps([checkpoint.to_json()]))
    key = tmp_path / "public-key.json"
    key.write_text(json.dumps(signer.public))
    witness = ["verify", "--checkpoints", str(saved), "--public-key", str(key)]

    assert await asyncio.to_thread(main, witness) == 0
    assert "every chain holds; the running hash matches 1 of 1 checkpoints" in \
        capsys.readouterr().out

    changed = await _as_owner(database_url, delete_last_events)
    await _as_owner(database_url, _drop_checkpoints)  # the served ones go too

    assert await asyncio.to_thread(main, witness) == 1
    err = capsys.readouterr().err
    assert f"checkpoint at position {checkpoint.position} ({_events(2)} events" in err
    assert f"over {_events(2) - 2} events" in err
    assert "history first differs after position 0" in err
    assert changed <= checkpoint.position


async def _drop_checkpoints(conn: asyncpg.Connection[Any]) -> int:
    await conn.execute("ALTER TABLE checkpoints DISABLE TRIGGER USER")
    await conn.execute("DELETE FROM checkpoints")
    await conn.execute("ALTER TABLE checkpoints ENABLE TRIGGER USER")
    return 0


async def test_the_active_relay_publishes_each_checkpoint_on_the_events_exchange(
        agreements_client: httpx.AsyncClient, database_url: str,
        fresh_topology: str) -> None:
    connection = await connect(fresh_topology)
    channel = await connection.channel()
    queue = await channel.declare_queue(f"test-ledger-{uuid4().hex[:8]}", exclusive=True)
    await queue.bind(topology.EVENTS_EXCHANGE, "ledger.checkpointed")
    signer = CheckpointSigner.generate()
    stop = Stop()  # two replicas, each a relay with its checkpointer
    relays = [events_relay(database_url, fresh_topology, FAST, after_round=Checkpointer(
        signer, every_events=5, every_seconds=3600)) for _ in range(2)]
    tasks = [asyncio.create_task(r.run(stop)) for r in relays]
    try:
        await _history(agreements_client, 2)
        message = None
        for _ in range(600):  # the first checkpoint, once 5 events are in the feed
            message = await queue.get(timeout=30, fail=False)
            if message is not None:
                break
            await asyncio.sleep(0.05)
        assert message is not None
        await message.ack()
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 30)
        await connection.close()
    decoded = decode(message.body)
    assert decoded.type == "kerjasama.ledger.checkpointed.v1"
    assert decoded.envelope.subject == "ledger"
    received = Checkpoint.from_json(decoded.envelope.data)
    assert received.events >= 5
    assert signature_holds(received, public_key_of(signer.public))
    stored = (await agreements_client.get("/checkpoints", params={"after": 0})).json()
    assert received.to_json() in stored
    result = await _verify(agreements_client, signer, [received])
    assert result.holds and result.checkpoints_held == 1


async def test_a_failing_checkpointer_does_not_stop_the_relay(
        agreements_client: httpx.AsyncClient, database_url: str,
        fresh_topology: str) -> None:
    calls: list[int] = []

    class Broken(Checkpointer):
        async def __call__(self, *_: object) -> None:
            calls.append(1)
            raise ValueError("a bug in the checkpointer")

    connection = await connect(fresh_topology)
    channel = await connection.channel()
    queue = await channel.declare_queue(f"test-events-{uuid4().hex[:8]}", exclusive=True)
    await queue.bind(topology.EVENTS_EXCHANGE, "agreement.#")
    relay = events_relay(database_url, fresh_topology, FAST, after_round=Broken(
        CheckpointSigner.generate(), every_events=1, every_seconds=1))
    stop = Stop()
    task = asyncio.ensure_future(relay.run(stop))
    received = 0
    try:
        await _history(agreements_client, 1)
        for _ in range(600):
            message = await queue.get(timeout=30, fail=False)
            if message is not None:
                await message.ack()
                received += 1
                if received == 5:
                    break
            else:
                await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
        await connection.close()
    assert received == 5 and calls and relay.failures == 0
