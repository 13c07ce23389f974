"""Rebuild from position 0 while events keep arriving gives exactly the live figures."""

from __future__ import annotations

import asyncio

from plumbing import clock
from services.reporting.adapters import generations, store
from services.reporting.application.projection import Projection
from services.reporting.application.rebuild import Rebuilder
from services.reporting.domain import Figure
from tests.integration.reporting.histories import generate
from tests.integration.reporting.support import (
    TODAY,
    HistoryFeed,
    ReportingFactory,
    applied,
    publish_all,
    wait_applied,
)

BEFORE = 5000
LAGGING = 30


async def test_rebuild_after_5000_events_with_events_arriving_gives_the_live_figures(
        fresh_topology: str, reporting_factory: ReportingFactory) -> None:
    history = generate(seed=20210218, agreements=900)
    total = len(history.events)
    assert total > BEFORE + 200
    feed = HistoryFeed(history, stored=BEFORE)
    with clock.frozen(TODAY):
        reporting = await reporting_factory(feed.client, prefetch=64)
        await publish_all(fresh_topology, history.events[:BEFORE])
        await wait_applied(reporting, BEFORE, seconds=60)

        async def arrive() -> None:
            """The rest arrives during the replay; the feed lags its last events."""
            for start in range(BEFORE, total, 40):
                chunk = history.events[start:start + 40]
                feed.stored = start + len(chunk)
                feed.visible = max(BEFORE, feed.stored - LAGGING)
                await publish_all(fresh_topology, chunk)
                await asyncio.sleep(0.02)

        answers: list[int] = []
        rebuilding = True

        async def keep_asking() -> None:
            while rebuilding:
                answers.append(len(await reporting.queries.figures()))
                await asyncio.sleep(0.01)

        arriving = asyncio.create_task(arrive())
        asking = asyncio.create_task(keep_asking())

        async def before_switch() -> None:
            await arriving
            await wait_applied(reporting, total, seconds=30)
            await reporting.service.refresh()  # as the periodic refresh would

        rebuilder = Rebuilder(reporting.pool, feed.client, Projection(), today=lambda: TODAY,
                              page=100, apply_events=350,  # chunks of several pages
                              before_switch=before_switch)
        report = await rebuilder.run()
        rebuilding = False
        await asking

    assert report.generation == 2
    assert report.replayed == total
    assert report.caught_up_streams > 0  # the feed lagged: read from the streams
    assert report.changed_figures == 0
    assert answers and min(answers) > 0  # the service kept answering
    live = await figures_of(reporting.pool, "reporting_g1")
    rebuilt = await figures_of(reporting.pool, "reporting_g2")
    assert len(live) > 100
    assert rebuilt == live  # revisions included: carried over
    assert await applied(reporting) == total
    _, current = await generations.current(reporting.pool)
    assert current == "reporting_g2"


async def figures_of(pool: object, schema: str) -> list[Figure]:
    async with generations.enter_schema(pool, schema) as conn:  # type: ignore[arg-type]
        return await store.figures_where(conn)
