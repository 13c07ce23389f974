"""Consumers read streams and the feed through AgreementsClient, against the real app."""

from __future__ import annotations

import httpx

from plumbing.agreements_client import AgreementsClient, inbox_event
from tests.integration.agreements.conftest import propose_body
from tests.waiting import read_until


async def test_a_consumer_fills_a_gap_and_reads_the_feed_through_the_client(
        agreements_client: httpx.AsyncClient) -> None:
    created = await agreements_client.post("/agreements", json=propose_body())
    aid = created.json()["id"]
    for action in ("review", "withdraw"):
        assert (await agreements_client.post(f"/agreements/{aid}/{action}")).status_code == 200
    program = await agreements_client.post(
        "/work-programs/2021", json={"realization_target": 80, "effectiveness_target": 60})
    assert program.status_code == 201
    client = AgreementsClient("http://agreements", client=agreements_client)

    missing = await client.missing(aid, 2, 3)
    assert [(e.stream_id, e.version) for e in missing] == [(aid, 2), (aid, 3)]
    assert [e.payload.type for e in missing] == ["kerjasama.agreement.review_started.v1",
                                                 "kerjasama.agreement.withdrawn.v1"]
    program_events = await client.missing("work-program-2021", 1, 1)
    assert [e.payload.type for e in program_events] == ["kerjasama.work_program.adopted.v1"]
    assert await client.stream("3f1c0d1e-5b7a-4c1e-9a53-2f2b1b9c0d11") == []

    feed = await read_until(lambda: client.feed(after=0), lambda f: len(f) == 5)
    assert [inbox_event(d).position for d in feed] == sorted(
        inbox_event(d).position for d in feed)
    assert [d.type for d in feed] == [  # the proposal registered its new partner first
        "kerjasama.partner.registered.v1", "kerjasama.agreement.proposed.v2",
        "kerjasama.agreement.review_started.v1", "kerjasama.agreement.withdrawn.v1",
        "kerjasama.work_program.adopted.v1"]
    assert await client.feed(after=inbox_event(feed[-1]).position or 0) == []
