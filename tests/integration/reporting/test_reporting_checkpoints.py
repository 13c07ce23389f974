"""Reporting learns the ledger's signed checkpoints page by page, once each."""

from __future__ import annotations

from typing import Any

from contracts.ledger import LedgerCheckpointed
from plumbing.agreements_client import AgreementsClient
from services.reporting.adapters import checkpoints
from tests.integration.reporting.histories import generate
from tests.integration.reporting.support import HistoryFeed, ReportingFactory


class Ledger:
    """The checkpoint endpoint of the agreements service: ``signed`` so far, in pages."""

    def __init__(self, signed: int) -> None:
        self.signed = signed
        self.asked: list[int] = []

    async def checkpoints(self, after: int, limit: int = 1000) -> list[LedgerCheckpointed]:
        self.asked.append(after)
        page = [p for p in range(10, 10 * self.signed + 1, 10) if p > after][:3]
        return [LedgerCheckpointed(position=p, events=p, hash=f"{p:064x}",
                                   signed_at="2023-01-10T09:00:00+07:00", key_id="k",
                                   signature="s") for p in page]


async def test_checkpoints_are_learnt_page_by_page_and_once(
        reporting_factory: ReportingFactory) -> None:
    feed = HistoryFeed(generate(seed=1, agreements=1), stored=0)
    reporting = await reporting_factory(feed.client, consume=False)
    ledger = Ledger(signed=7)
    client: Any = ledger
    assert await checkpoints.follow(reporting.pool, client) == 7
    assert ledger.asked == [0, 30, 60, 70]
    assert await checkpoints.follow(reporting.pool, client) == 0
    ledger.signed = 8
    assert await checkpoints.follow(reporting.pool, client) == 1
    rows = await reporting.pool.fetch("SELECT position, hash FROM ledger_checkpoints"
                                      " ORDER BY position")
    assert [(r[0], r[1]) for r in rows] == [(p, f"{p:064x}") for p in range(10, 81, 10)]
    assert isinstance(feed.client, AgreementsClient)
