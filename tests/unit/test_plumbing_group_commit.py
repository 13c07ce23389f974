"""Group commit: events handed in together are applied together, in the order queued; a
transient failure keeps the group at the head of the queue, a poison event fails alone."""

from __future__ import annotations

import asyncio
from uuid import uuid4

import pytest

from plumbing.group_commit import GroupCommit
from plumbing.inbox import InboxEvent, Outcome


def event(name: str, version: int = 1) -> InboxEvent:
    return InboxEvent(event_id=uuid4(), stream_id=name.rstrip("0123456789"),
                      version=version, position=None, payload=name)


async def test_a_group_that_fails_for_a_moment_is_applied_before_the_events_behind_it(
        ) -> None:
    runs: list[list[str]] = []
    first = asyncio.Event()

    async def run(events: list[InboxEvent]) -> list[Outcome]:
        runs.append([str(e.payload) for e in events])
        if len(runs) == 1:
            first.set()
            await asyncio.sleep(0.05)
            raise ConnectionResetError("the database restarted")
        return [Outcome.APPLIED] * len(events)

    groups = GroupCommit(run, retry_seconds=5)
    v1 = asyncio.create_task(groups.handle(event("s1", 1)))
    await first.wait()  # v1 is being applied; v2 and v3 of its stream queue behind it
    later = [asyncio.create_task(groups.handle(event(f"s{n}", n))) for n in (2, 3)]
    assert await asyncio.gather(v1, *later) == [Outcome.APPLIED] * 3
    assert runs == [["s1"], ["s1"], ["s2", "s3"]]


async def test_a_poison_event_fails_alone_and_the_rest_of_its_group_goes_through() -> None:
    async def run(events: list[InboxEvent]) -> list[Outcome]:
        if any(e.payload == "bad1" for e in events):
            raise ValueError("cannot apply bad1")
        return [Outcome.APPLIED] * len(events)

    groups = GroupCommit(run, retry_seconds=1)
    results = await asyncio.gather(
        *(groups.handle(event(name)) for name in ("good1", "bad1", "good2")),
        return_exceptions=True)
    assert results[0] == results[2] == Outcome.APPLIED
    assert isinstance(results[1], ValueError)


async def test_a_group_still_failing_after_its_retries_fails_every_waiter() -> None:
    async def run(events: list[InboxEvent]) -> list[Outcome]:
        raise ConnectionRefusedError("the database is away")

    groups = GroupCommit(run, retry_seconds=0.2)
    results = await asyncio.gather(*(groups.handle(event(f"s{n}", n)) for n in (1, 2)),
                                   return_exceptions=True)
    assert all(isinstance(r, ConnectionRefusedError) for r in results)
    with pytest.raises(ConnectionRefusedError):
        await groups.handle(event("s3", 3))
