"""Benchmark: commands/s through the agreements service layer next to a raw asyncpg floor.

Usage: ``.venv/bin/python -m bench.agreements_commands [--seconds 10] [--clients 16]``.
Both figures are measured in the same run, on the same PostgreSQL, each on a fresh
database that is dropped afterwards. Prints a table and the ratio; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from uuid import uuid4

from bench.floors import BASE, insert_floor
from contracts.commands import ProposeAgreement
from plumbing.db import drop_database
from plumbing.settings import load_settings
from services.agreements.adapters.database import open_database
from services.agreements.adapters.event_store import PostgresEventStore
from services.agreements.application.service import AgreementService
from services.agreements.settings import AgreementsSettings

PROPOSAL = {
    "title": "Galeri UMKM Juara", "kind": "KSDPK", "document_type": "MOU",
    "partner": {"name": "blibli.com", "category": "THIRD_PARTY", "country": "ID"},
    "lead_opd": "DISKUK", "objective": "Pemasaran produk UMKM", "sector": "Ekonomi",
    "burdens_budget": False, "plan_year": 2021, "proposed_on": "2021-01-11",
}


async def _run(clients: int, seconds: float, op: Callable[[], Awaitable[None]]) -> float:
    deadline = time.perf_counter() + seconds
    counts = [0] * clients

    async def worker(i: int) -> None:
        while time.perf_counter() < deadline:
            await op()
            counts[i] += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(clients)))
    return sum(counts) / (time.perf_counter() - started)


async def service_layer(clients: int, seconds: float) -> float:
    """Accepted ProposeAgreement commands/s through AgreementService.handle."""
    url = f"{BASE}/kerjasama_bench_{uuid4().hex[:8]}_agreements"
    settings = load_settings(AgreementsSettings, agreements_database_url=url)
    pool = await open_database(settings)
    service = AgreementService(PostgresEventStore(pool))
    try:
        async def propose() -> None:
            await service.handle(ProposeAgreement(**PROPOSAL, command_id=str(uuid4())),
                                 actor="bench", roles={"opd:DISKUK"})

        return await _run(clients, seconds, propose)
    finally:
        await pool.close()
        await drop_database(url)


async def main(seconds: float, clients: int) -> None:
    """Measure both and print them with their ratio."""
    floor = await insert_floor(seconds, clients)
    system = await service_layer(clients, seconds)
    print(f"{'measure':<48} {'per second':>12}")
    print(f"{'raw asyncpg insert+commit (' + str(clients) + ' connections)':<48} {floor:>12.0f}")
    print(f"{'service-layer commands (' + str(clients) + ' clients)':<48} {system:>12.0f}")
    print(f"{'ratio service / floor':<48} {system / floor:>12.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()
    asyncio.run(main(args.seconds, args.clients))
