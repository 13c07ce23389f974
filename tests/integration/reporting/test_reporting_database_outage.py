"""Reporting's database restarted while it consumes under load: every event is applied once,
each stream in order (no gap filled, since nothing was lost), and the figures are exactly
those of one service applying every event in order. A group that fails while the database
is away is tried again whole, ahead of the events queued behind it (plumbing.group_commit).
"""

from __future__ import annotations

import asyncio
from typing import Any

from prometheus_client import REGISTRY

from contracts.topology import REPORTING_EVENTS
from plumbing.agreements_client import inbox_event
from services.reporting.app import Reporting
from tests.conftest import DatabaseUrlFactory
from tests.integration.reporting.histories import generate
from tests.integration.reporting.support import (
    HistoryFeed,
    ReportingFactory,
    publish_all,
    reporting_settings,
    wait_applied,
)
from tests.private_postgres import private_postgres


def exact(figures: list[Any]) -> list[tuple[Any, ...]]:
    return sorted((f.indicator, f.year, f.scope, f.numerator, f.denominator, f.value,
                   f.target, f.achievement, f.complete) for f in figures)


def outcomes(outcome: str) -> float:
    """Deliveries of ``reporting.events`` with ``outcome`` so far, in this process."""
    return sum(sample.value for metric in REGISTRY.collect()
               if metric.name == "kerjasama_messages"
               for sample in metric.samples
               if sample.name == "kerjasama_messages_total"
               and sample.labels.get("queue") == REPORTING_EVENTS
               and sample.labels.get("outcome") == outcome)


async def test_a_database_restart_while_consuming_keeps_streams_in_order_and_figures_exact(
        reporting_factory: ReportingFactory, database_url_factory: DatabaseUrlFactory,
        fresh_topology: str) -> None:
    history = generate(seed=23, agreements=80)
    feed = HistoryFeed(history, stored=len(history.events))
    fills, duplicates = outcomes("applied_with_gap_filled"), outcomes("duplicate")
    with private_postgres() as pg:
        service = Reporting(reporting_settings(pg.url("kerjasama_reporting"), fresh_topology,
                                               prefetch=32), feed.client)
        await service.start()
        try:
            assert service.runtime.messaging is not None
            await service.runtime.messaging.started.wait()
            publishing = asyncio.create_task(publish_all(fresh_topology, history.events,
                                                         chunk=20))
            await asyncio.sleep(0.5)
            await asyncio.to_thread(pg.stop_server)
            await asyncio.sleep(1.5)
            await asyncio.to_thread(pg.start_server)
            await publishing
            await wait_applied(service, len(history.events), seconds=180)
            live = exact(await service.queries.figures())
        finally:
            await service.stop()

    reference = await reporting_factory(feed.client, consume=False,
                                        database_url=await database_url_factory("in_order"))
    for event in history.events:
        await reference.service.handle(inbox_event(event))
    assert live == exact(await reference.queries.figures())
    assert outcomes("applied_with_gap_filled") == fills  # nothing lost, nothing reordered
    assert outcomes("duplicate") == duplicates
