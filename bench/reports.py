"""Benchmark: the yearly report (``GET /reports/{year}.pdf`` and ``.xlsx``) over a small
history and over 10,000 agreements.

Usage: ``.venv/bin/python -m bench.reports [--small 200] [--agreements 10000] [--year 2021]
[--repeat 3] [--no-demo]``. The first row is the West Java demo, loaded through an
agreements service in this process (events: its commands, one event each).

Each generated history (``tests.integration.reporting.histories``) is replayed into a fresh
reporting database by the rebuild (the projection's own path: facts, the history of the
record, the report's partners and evaluations), its feed read from memory. Then, per
size: the time to gather the report from one read of the record (``ReportQueries``), to
render it as PDF and as XLSX in Bahasa Indonesia, the sizes and the PDF's pages; the
median of ``--repeat`` runs. Prints a table; asserts nothing; the databases are dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast
from uuid import uuid4

import pypdfium2  # type: ignore[import-untyped]

from contracts.codec import Decoded
from plumbing import clock
from plumbing.agreements_client import AgreementsClient
from plumbing.db import drop_database, ensure_database
from plumbing.settings import load_settings
from services.reporting.adapters.database import open_database
from services.reporting.adapters.report_pdf import render_pdf
from services.reporting.adapters.report_words import Words
from services.reporting.adapters.report_xlsx import render_xlsx
from services.reporting.application.projection import Projection
from services.reporting.application.rebuild import Rebuilder
from services.reporting.application.record import RecordQueries
from services.reporting.application.report import ReportQueries
from services.reporting.domain.evaluation import KpiRules
from services.reporting.entrypoints.report_text import text_of
from services.reporting.settings import ReportingSettings
from tests.integration.reporting.histories import History, generate
from tests.integration.reporting.support import TODAY

BASE = "postgresql://postgres@127.0.0.1:5432"
T = TypeVar("T")


class MemoryFeed:
    """The agreements feed of a generated history, served from memory."""

    def __init__(self, history: History) -> None:
        self.history = history
        self.positions = [e.envelope.position or 0 for e in history.events]
        self.missing = history.missing

    async def feed(self, after: int, limit: int = 1000) -> list[Decoded]:
        start = bisect.bisect_right(self.positions, after)
        return self.history.events[start:start + limit]


@dataclass(frozen=True)
class Measured:
    agreements: int
    events: int
    rows: str
    seed_s: float
    gather_ms: float
    pdf_ms: float
    pdf_pages: int
    pdf_kb: float
    xlsx_ms: float
    xlsx_kb: float


async def _median(repeat: int, run: Callable[[], Awaitable[T]]) -> tuple[float, T]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = await run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), cast(T, result)


async def measure(agreements: int, year: int, repeat: int) -> Measured:
    """Seed a reporting database with ``agreements`` generated agreements and time the
    report of ``year``."""
    history = generate(20210218 + agreements, agreements)
    feed = MemoryFeed(history)
    return await _measured(agreements, len(history.events), feed, year, repeat)


async def measure_demo(year: int, repeat: int) -> Measured:
    """Load the West Java demo into an agreements service in this process (its own fresh
    database, through the public HTTP interface) and time the report of ``year`` read
    from its feed."""
    import tempfile

    import httpx

    from plumbing.service_client import ServiceClient
    from services.agreements.app import create_app
    from services.agreements.settings import AgreementsSettings
    from services.demo.loader import load
    from services.demo.plan import load_data
    from tests.auth import auth_headers
    from tests.database_roles import migrated_as_runtime

    superuser = f"{BASE}/kerjasama_bench_demo_{uuid4().hex[:8]}"
    await ensure_database(superuser)
    try:
        with tempfile.TemporaryDirectory() as documents:
            app = create_app(load_settings(
                AgreementsSettings, agreements_database_url=await migrated_as_runtime(
                    superuser), messaging=False, documents_store=documents))
            async with app.router.lifespan_context(app), httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app), base_url="http://agreements",
                    headers=auth_headers()) as http:
                async with ServiceClient("agreements", "http://agreements", "demo",
                                         transport=http._transport) as client:
                    summary = await load(load_data(), client)
                feed = AgreementsClient("http://agreements", client=http)
                await _whole(feed, summary.commands)
                return await _measured(summary.agreements, summary.commands, feed, year,
                                       repeat)
    finally:
        await drop_database(superuser)


async def _whole(feed: AgreementsClient, events: int, seconds: float = 60.0) -> None:
    """Wait until the feed hands out every event: it stops below the oldest transaction
    still running on the PostgreSQL cluster, which another process may hold open."""
    deadline = time.monotonic() + seconds
    while len(await feed.feed(0, events + 1)) < events:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the feed did not reach {events} events in {seconds:g}s")
        await asyncio.sleep(0.2)


async def _measured(agreements: int, events: int, feed: Any, year: int,
                    repeat: int) -> Measured:
    url = f"{BASE}/kerjasama_bench_reports_{uuid4().hex[:8]}"
    pool = await open_database(load_settings(ReportingSettings, reporting_database_url=url))
    try:
        started = time.perf_counter()
        await Rebuilder(pool, cast(AgreementsClient, feed), Projection(),
                        today=lambda: TODAY).run()
        seeded = time.perf_counter() - started
        reports = ReportQueries(pool, RecordQueries(pool, feed.feed, KpiRules(),
                                                    today=lambda: TODAY))
        gather, report = await _median(repeat, lambda: reports.report(year))
        words = Words(text_of("id"))

        async def rendered(render: Callable[..., bytes]) -> bytes:
            return render(report, words)
        pdf_ms, pdf = await _median(repeat, lambda: rendered(render_pdf))
        xlsx_ms, xlsx = await _median(repeat, lambda: rendered(render_xlsx))
    finally:
        await pool.close()
        await drop_database(url)
    document: Any = pypdfium2.PdfDocument(pdf)
    pages = len(document)
    document.close()
    evidence = sum(len(p.counted) + len(p.excluded)
                   for p in (report.realization, report.effectiveness))
    rows = (f"{len(report.signed)}/{len(report.sleeping)}/{len(report.evaluations)}/"
            f"{evidence}")
    return Measured(agreements, events, rows, seeded, gather, pdf_ms, pages,
                    len(pdf) / 1024, xlsx_ms, len(xlsx) / 1024)


async def main(sizes: list[int], year: int, repeat: int, demo: bool) -> None:
    """Measure the demo (when asked) and every size, and print the table."""
    with clock.frozen(TODAY):
        found = [await measure_demo(year, repeat)] if demo else []
        found += [await measure(n, year, repeat) for n in sizes]
    print(f"report of {year}, median of {repeat} runs; rows: signed/sleeping/evaluations/"
          "evidence")
    print(f"{'agreements':>10} {'events':>7} {'rows':>20} {'seed s':>7} {'gather ms':>10} "
          f"{'pdf ms':>8} {'pages':>6} {'pdf KB':>7} {'xlsx ms':>8} {'xlsx KB':>8}")
    for m in found:
        print(f"{m.agreements:>10} {m.events:>7} {m.rows:>20} {m.seed_s:>7.1f} "
              f"{m.gather_ms:>10.0f} {m.pdf_ms:>8.0f} {m.pdf_pages:>6} {m.pdf_kb:>7.0f} "
              f"{m.xlsx_ms:>8.0f} {m.xlsx_kb:>8.0f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.reports",
                                     description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--small", type=int, default=200)
    parser.add_argument("--agreements", type=int, default=10_000)
    parser.add_argument("--year", type=int, default=2021)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-demo", action="store_true",
                        help="leave out the West Java demo (its first row)")
    args = parser.parse_args()
    asyncio.run(main([args.small, args.agreements], args.year, args.repeat, not args.no_demo))
