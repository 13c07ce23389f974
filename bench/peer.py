"""The peer's figure, for comparison: the Python ``eventsourcing`` library on the same
PostgreSQL, doing the same shape of work as the service-layer row (create an agreement,
then four lifecycle steps), with 8 threads. Measured only when the package (with its
PostgreSQL module) is installed; it is not a dependency of this project.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

from bench.floors import scratch_database
from plumbing.db import drop_database

STEPS = ("review", "draft", "discuss", "sign")
THREADS = 8


def _run(database_url: str, seconds: float) -> float:
    from eventsourcing.application import Application
    from eventsourcing.domain import Aggregate, event

    class Agreement(Aggregate):  # type: ignore[misc]
        @event("Proposed")  # type: ignore[misc]
        def __init__(self, title: str) -> None:
            self.title = title
            self.stage = "PROPOSED"

        @event("Stepped")  # type: ignore[misc]
        def step(self, stage: str) -> None:
            self.stage = stage

    class Agreements(Application):  # type: ignore[misc]
        def propose(self, title: str) -> Any:
            agreement = Agreement(title)
            self.save(agreement)
            return agreement.id

        def advance(self, agreement_id: Any, stage: str) -> None:
            agreement = self.repository.get(agreement_id)
            agreement.step(stage)
            self.save(agreement)

    parts = urlsplit(database_url)
    app = Agreements(env={
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": parts.path.lstrip("/"), "POSTGRES_HOST": parts.hostname or "",
        "POSTGRES_PORT": str(parts.port or 5432), "POSTGRES_USER": parts.username or "",
        "POSTGRES_PASSWORD": parts.password or "", "CREATE_TABLE": "y",
        "POSTGRES_POOL_SIZE": str(THREADS)})
    deadline = time.perf_counter() + seconds

    def worker() -> int:
        done = 0
        while time.perf_counter() < deadline:
            agreement_id = app.propose("Galeri UMKM Juara")
            for stage in STEPS:
                app.advance(agreement_id, stage)
            done += 1 + len(STEPS)
        return done

    started = time.perf_counter()
    with ThreadPoolExecutor(THREADS) as pool:
        done = sum(pool.map(lambda _: worker(), range(THREADS)))
    return done / (time.perf_counter() - started)


async def measure(seconds: float) -> dict[str, Any] | None:
    """The peer's commands/s, or None when ``eventsourcing`` is not installed."""
    try:
        import eventsourcing.postgres  # noqa: F401
    except ImportError:
        return None
    url = await scratch_database("peer")
    try:
        rate = await asyncio.to_thread(_run, url, seconds)
    finally:
        await drop_database(url)
    return {"name": "eventsourcing", "shape": f"create + {len(STEPS)} steps, "
            f"{THREADS} threads", "commands_per_s": rate}
