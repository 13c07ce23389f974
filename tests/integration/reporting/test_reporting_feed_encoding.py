"""The agreements feed read newline-delimited (the encoding a rebuild reads) gives exactly
the CloudEvents of its JSON list."""

from __future__ import annotations

from typing import Any

from contracts.codec import decode
from tests.integration.reporting.support import AgreementsService
from tests.waiting import read_until


async def test_the_newline_delimited_feed_gives_the_events_of_the_json_feed(
        agreements: AgreementsService) -> None:
    await agreements.work_program(2020, 80, 60)
    parent = await agreements.sign("2020-02-03", "2022-12-31", document_type="MOU")
    await agreements.follow_up(parent, "2020-05-04")
    await agreements.sign("2020-06-01", "2021-06-30", document_type="PKS", parent_id=parent)
    await agreements.propose(title="Kerja sama \"kutip\" \\ dan ünïcode", plan_year=2021)

    async def json_feed() -> list[Any]:
        answer = await agreements.http.get("/events", params={"after": 0, "limit": 1000})
        return [decode(item) for item in answer.json()]

    # the feed holds back while a transaction of any database of the cluster runs
    listed = await read_until(json_feed, lambda found: len(found) >= agreements.stored)
    streamed = await read_until(lambda: agreements.client.feed(0),
                                lambda found: len(found) >= agreements.stored)

    assert len(listed) == agreements.stored
    assert [e.envelope for e in streamed] == [e.envelope for e in listed]
    assert [e.data for e in streamed] == [e.data for e in listed]
    assert [e.envelope.time for e in streamed] == [e.envelope.time for e in listed]
    later = await agreements.client.feed(listed[3].envelope.position or 0, limit=2)
    assert [e.envelope for e in later] == [e.envelope for e in listed[4:6]]
