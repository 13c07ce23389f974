"""Shuffled and duplicated deliveries give exactly the figures of in-order delivery
(docs/domain.md#event-log),
handled one at a time or many at once (applied in groups, one transaction per group).

The events go through the service's use case (the subscriber's handler calls the same),
on real PostgreSQL: the inbox skips duplicates and fills gaps from the agreements
service's stream endpoint (here the history's own streams), so a shuffled delivery fills
many gaps and then skips the events it already fetched.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plumbing.db import Pool, create_pool
from services.reporting.adapters import generations, store
from services.reporting.application.projection import Projection
from services.reporting.application.queries import ReportingQueries
from services.reporting.application.service import ReportingService
from tests.conftest import DatabaseUrlFactory
from tests.integration.reporting.histories import History, generate, shuffled_with_duplicates
from tests.integration.reporting.support import TODAY

TABLES = ("agreements", "child_signings", "work_programs", "figures", "inbox_events",
          "inbox_streams", "kpi_outbox")


@pytest.fixture(scope="module")
async def pools(database_url_factory: DatabaseUrlFactory) -> AsyncIterator[tuple[Pool, Pool]]:
    """Two prepared reporting databases: in-order and shuffled."""
    opened = []
    for name in ("in_order", "shuffled"):
        pool = await create_pool(await database_url_factory(name), min_size=1, max_size=4)
        await generations.prepare(pool)
        opened.append(pool)
    yield opened[0], opened[1]
    for pool in opened:
        await pool.close()


async def project(pool: Pool, history: History, events: Any, together: int = 1) -> list[Any]:
    """The figures after handing the events in, ``together`` at a time (concurrently, so
    the service applies them in groups)."""
    async with generations.enter(pool, "write") as conn:
        await conn.execute(f"TRUNCATE {', '.join(TABLES)}")
    service = ReportingService(pool, Projection(), history.missing, today=lambda: TODAY)
    events = list(events)
    for start in range(0, len(events), together):
        await asyncio.gather(*(service.handle(e) for e in events[start:start + together]))
    await service.refresh()
    async with generations.enter(pool, "read") as conn:
        figures = [(f.key, f.numerator, f.denominator, f.target, f.value, f.achievement)
                   for f in await store.figures_where(conn)]
    sleeping = await ReportingQueries(pool, today=lambda: TODAY).sleeping(2022)
    return [figures, [(s.facts.id, s.days_without_activity) for s in sleeping.documents]]


@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), order=st.randoms(use_true_random=False))
async def test_shuffled_and_duplicated_delivery_gives_the_figures_of_in_order_delivery(
        pools: tuple[Pool, Pool], seed: int, order: random.Random) -> None:
    history = generate(seed, agreements=12)
    in_order = await project(pools[0], history, history.inbox_events())
    shuffled = await project(pools[1], history,
                             shuffled_with_duplicates(history.inbox_events(), order))
    assert in_order[0], "the history produced figures"
    assert shuffled == in_order
    grouped = await project(pools[1], history,
                            shuffled_with_duplicates(history.inbox_events(), order),
                            together=order.randint(2, 40))
    assert grouped == in_order
