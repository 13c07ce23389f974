"""Two replicas of the reporting consumer on one queue and one database, under load, give
exactly the figures of one service applying every event in order (docs/domain.md#consumers).

The broker hands the two replicas alternate deliveries, so one stream's events are split
between them; the inbox's row lock on the stream and its gap filling keep the result exact.
"""

from __future__ import annotations

import asyncio
from typing import Any

from plumbing.agreements_client import inbox_event
from plumbing.rabbitadmin import RabbitAdmin
from plumbing.urls import vhost_of
from tests.conftest import DatabaseUrlFactory
from tests.integration.reporting.histories import generate
from tests.integration.reporting.support import (
    HistoryFeed,
    ReportingFactory,
    publish_all,
    wait_applied,
)


def exact(figures: list[Any]) -> list[tuple[Any, ...]]:
    return sorted((f.indicator, f.year, f.scope, f.numerator, f.denominator, f.value,
                   f.target, f.achievement, f.complete) for f in figures)


async def test_two_replicas_on_one_queue_give_exactly_the_figures_of_one_in_order(
        reporting_factory: ReportingFactory, database_url_factory: DatabaseUrlFactory,
        fresh_topology: str, rabbit_admin: RabbitAdmin) -> None:
    history = generate(seed=19, agreements=120)
    feed = HistoryFeed(history, stored=len(history.events))
    shared = await database_url_factory("replicas")
    first = await reporting_factory(feed.client, database_url=shared, prefetch=16)
    second = await reporting_factory(feed.client, database_url=shared, prefetch=16)
    for replica in (first, second):
        assert replica.runtime.messaging is not None
        await replica.runtime.messaging.started.wait()
    for _ in range(150):  # the management API's statistics follow within seconds
        queues = {q["name"]: q for q in await rabbit_admin.list_queues(
            vhost_of(fresh_topology))}
        if queues["reporting.events"].get("consumers") == 2:
            break
        await asyncio.sleep(0.1)
    assert queues["reporting.events"].get("consumers") == 2

    await publish_all(fresh_topology, history.events)
    await wait_applied(first, len(history.events), seconds=180)

    reference = await reporting_factory(feed.client, consume=False,
                                        database_url=await database_url_factory("in_order"))
    for event in history.events:
        await reference.service.handle(inbox_event(event))

    assert exact(await first.queries.figures()) == exact(await reference.queries.figures())
    assert exact(await second.queries.figures()) == exact(await reference.queries.figures())
