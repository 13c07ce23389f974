"""Benchmark: page times of the portal with a register of 10,000 public agreements.

Usage: ``.venv/bin/python -m bench.portal [--public 10000] [--requests 200]``.

A generated history is folded into the portal's own database (its views, as the consumer
writes them) until ``--public`` agreements are public, with the figures of five years;
the portal's pages are then served by uvicorn on a port of their own and asked for one
at a time by one client: the dashboard, the register (first page, a search, a filter by
status and agency, a page far down) and one agreement's page. Prints p50 / p95 / max per
page and for all of them; asserts nothing. Its database is removed afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import socket
import statistics
import time
from collections.abc import Callable
from uuid import uuid4

import httpx
from fastapi import FastAPI

from contracts.events import AgreementEventData
from plumbing import clock
from plumbing.db import drop_database
from plumbing.http import serve
from plumbing.settings import load_settings
from services.portal.adapters import store
from services.portal.adapters.database import open_database
from services.portal.domain.register import PublicAgreement, evolve
from services.portal.entrypoints.pages import Pages, build_router
from services.portal.settings import PortalSettings
from tests.integration.reporting.histories import generate

BASE = "postgresql://postgres@127.0.0.1:5432"
TODAY = clock.today()


def views(public: int, seed: int = 20210218) -> list[PublicAgreement]:
    """Agreement views folded from generated histories until ``public`` are public."""
    found: dict[object, PublicAgreement] = {}
    while sum(v.public for v in found.values()) < public:
        history = generate(seed, agreements=2000, today=TODAY,
                           years=(2019, 2020, 2021, 2022, 2023))
        seed += 1
        for event in history.events:
            data = event.data
            if isinstance(data, AgreementEventData):
                found[data.agreement_id] = evolve(found.get(data.agreement_id), data)
    return list(found.values())


def figures() -> list[dict[str, object]]:
    items: list[dict[str, object]] = []
    for year in range(2019, 2024):
        scopes = ["province", *(f"opd:{o}" for o in ("DISKUK", "DISHUB", "DISKOMINFO",
                                                    "BAPPEDA", "DISPERKIM")),
                  *(f"kind:{k}" for k in ("KSDD", "KSDPK", "KSDPL", "KSDLL"))]
        for indicator in ("realization", "effectiveness"):
            for scope in scopes:
                items.append({"indicator": indicator, "year": year, "scope": scope,
                              "numerator": 7, "denominator": 10, "value": 70.0,
                              "target": 80.0, "achievement": 87.5, "as_of_position": 1,
                              "revision": 1, "complete": True})
    return items


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def measure(public: int, requests: int) -> dict[str, tuple[float, float, float]]:
    """Per page, (p50, p95, max) in milliseconds."""
    url = f"{BASE}/kerjasama_bench_portal_{uuid4().hex[:8]}"
    settings = load_settings(PortalSettings, portal_database_url=url)
    pool = await open_database(settings)
    try:
        all_views = views(public)
        async with pool.acquire() as conn, conn.transaction():
            for view in all_views:
                await store.save(conn, view, None)
        await store.save_figures(pool, figures())
        await pool.execute("ANALYZE agreements")
        shown = [v for v in all_views if v.public]
        print(f"register: {len(shown)} public agreements of {len(all_views)}")
        app = FastAPI()
        app.include_router(build_router(Pages(pool)))
        port, stop = _free_port(), asyncio.Event()
        server = asyncio.create_task(serve(app, "127.0.0.1", port, stop=stop,
                                           log_level="warning"))
        await asyncio.sleep(0.5)
        rng = random.Random(7)
        pages: dict[str, Callable[[], str]] = {
            "dashboard": lambda: "/?year=2021",
            "register": lambda: "/register",
            "register search": lambda: f"/register?q={rng.choice(shown).title.split()[0]}",
            "register filter": lambda: "/register?status=in_force&opd=DISKUK&year=2021",
            "register page 200": lambda: "/register?page=200",
            "agreement": lambda: f"/register/{rng.choice(shown).id}",
        }
        times: dict[str, list[float]] = {name: [] for name in pages}
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}",
                                     trust_env=False) as client:
            for name, path in pages.items():
                await client.get(path())  # warm
                for _ in range(requests):
                    started = time.perf_counter()
                    answer = await client.get(path())
                    times[name].append((time.perf_counter() - started) * 1000)
                    assert answer.status_code == 200, (name, answer.status_code)
        stop.set()
        await server
    finally:
        await pool.close()
        await drop_database(url)
    every = [t for ts in times.values() for t in ts]
    result = {name: _summary(ts) for name, ts in times.items()}
    result["all pages"] = _summary(every)
    return result


def _summary(values: list[float]) -> tuple[float, float, float]:
    ordered = sorted(values)
    return (statistics.median(ordered), ordered[max(0, round(0.95 * len(ordered)) - 1)],
            ordered[-1])


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.portal")
    parser.add_argument("--public", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    result = asyncio.run(measure(args.public, args.requests))
    print(f"{'page':<20} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for name, (p50, p95, top) in result.items():
        print(f"{name:<20} {p50:>8.1f} {p95:>8.1f} {top:>8.1f}")


if __name__ == "__main__":
    main()
