"""``python -m bench``: every figure of the system next to this machine's raw floors, in one run.

Usage: ``.venv/bin/python -m bench [--seconds 8] [--signings 1000]
[--rebuild-events 100000] [--json bench/results.json]``.

Measures, on the same PostgreSQL and RabbitMQ, in one run: the raw floors (insert and
commit, broker publish and consume-and-commit, reading the events table), commands/s
through the service layer and through HTTP, end-to-end events/s from command to
committed reporting projection, the latency from a signing's HTTP answer to the
``kpi.updated`` it causes at a fixed rate, rebuild events/s over the stored events,
each service's peak RSS, and the gap fills and duplicates of each consumer. Prints a table
with the ratios and the targets; writes JSON with the versions and settings used. Asserts
nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import asyncpg

from bench import (
    agreements_commands,
    floors,
    http_floor,
    peer,
    reporting,
    reporting_rebuild,
    system,
)
from plumbing.rabbitadmin import RabbitAdmin


async def versions() -> dict[str, str]:
    """Versions of what was measured."""
    conn = await asyncpg.connect(f"{floors.BASE}/postgres")
    try:
        postgres = str(await conn.fetchval("SHOW server_version"))
    finally:
        await conn.close()
    async with RabbitAdmin(floors.MANAGEMENT) as admin:
        rabbitmq = str((await admin.overview()).get("rabbitmq_version"))
    packages = {p: version(p) for p in ("asyncpg", "aio-pika", "faststream", "fastapi",
                                         "uvicorn", "pydantic")}
    return {"python": platform.python_version(), "postgresql": postgres,
            "rabbitmq": rabbitmq, **packages}


def rows(f: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(measure, figure, ratio to its floor, target) lines of the table."""
    def ratio(a: float, b: float) -> str:
        return f"{a / b:.2f}" if b else "-"
    rebuild_ndjson = f["rebuild_rows"].get("raw floor: GET /events NDJSON, parsed", 0.0)
    table = [
        ("raw floor: asyncpg insert+commit, 16 connections (tx/s)",
         f"{f['insert_floor']:.0f}", "", ""),
        ("raw floor: confirmed publish + batched consume-commit (msg/s)",
         f"{f['broker_floor']:.0f}", "", ""),
        ("raw floor: events table read (rows/s)", f"{f['read_floor']:.0f}", "", ""),
        ("raw floor: minimal FastAPI+uvicorn insert+commit, 16 clients (req/s)",
         f"{f['http_floor']:.0f}", "", ""),
        ("service-layer commands/s (16 clients)", f"{f['service_layer']:.0f}",
         ratio(f["service_layer"], f["insert_floor"]), ">= 0.5 x insert floor"),
        ("HTTP commands/s (16 clients)", f"{f['http_commands_per_s']:.0f}",
         ratio(f["http_commands_per_s"], f["http_floor"]), ">= 0.6 x HTTP floor"),
        ("end-to-end events/s, command -> reporting committed",
         f"{f['end_to_end_events_per_s']:.0f}",
         ratio(f["end_to_end_events_per_s"], f["http_commands_per_s"]),
         ">= 0.95 x HTTP commands/s"),
        ("reporting live apply alone (events/s)", f"{f['reporting_live']:.0f}",
         ratio(f["reporting_live"], f["broker_floor"]), ">= 0.5 x broker floor"),
        (f"command -> kpi.updated p50 / p95 / p99 (ms) at {f['kpi_latency_rate']:.0f}/s",
         f"{f['kpi_latency_p50_ms']:.0f} / {f['kpi_latency_p95_ms']:.0f} / "
         f"{f['kpi_latency_p99_ms']:.0f}", "", "p99 <= 100 ms"),
        (f"rebuild events/s over {f['rebuild_events']} events", f"{f['rebuild']:.0f}",
         ratio(f["rebuild"], rebuild_ndjson) + " of NDJSON",
         ">= 0.6 x NDJSON floor and >= 25,000"),
        ("peak RSS agreements / notifications / reporting (MB)",
         " / ".join(f"{f['peak_rss_mb'][s]:.0f}" for s in
                    ("agreements", "notifications", "reporting")), "", "<= 150 each"),
        ("gap fills / duplicates: notifications, reporting",
         ", ".join(f"{f['needless_reads'][s]['gap_filled']} / "
                   f"{f['needless_reads'][s]['duplicate']}"
                   for s in ("notifications", "reporting")), "", "0 / 0 each"),
    ]
    if f.get("peer") is not None:
        table.append((f"peer: {f['peer']['name']} commands/s ({f['peer']['shape']})",
                      f"{f['peer']['commands_per_s']:.0f}", "", "for comparison"))
    return table


async def main(seconds: float, signings: int, rebuild_events: int, out: Path) -> None:
    """Run everything and report."""
    figures: dict[str, Any] = {}
    figures["insert_floor"] = await floors.insert_floor(seconds)
    figures["broker_floor"] = await floors.broker_floor()
    figures["read_floor"] = await floors.read_floor()
    figures["service_layer"] = await agreements_commands.service_layer(16, seconds)
    figures["http_floor"] = await http_floor.measure(seconds)
    figures.update(await system.measure(seconds, signings))
    figures["reporting_live"] = await reporting.live_apply()
    figures["peer"] = await peer.measure(seconds)
    latencies: dict[str, float] = {}
    stored, rebuild_rows = await reporting_rebuild.measure(
        rebuild_events, floors.BASE, floors.AMQP, floors.MANAGEMENT, latencies)
    figures["record_queries_ms"] = latencies
    by_name = dict(rebuild_rows)
    figures["rebuild_events"] = stored
    figures["rebuild"] = next(v for k, v in by_name.items() if k.startswith("rebuild"))
    figures["rebuild_feed_floor"] = next(v for k, v in by_name.items() if "decoded" in k)
    figures["rebuild_rows"] = by_name
    table = rows(figures)
    width = max(len(r[0]) for r in table)
    print(f"{'measure':<{width}}  {'figure':>18}  {'ratio':>12}  target")
    for name, value, ratio, target in table:
        print(f"{name:<{width}}  {value:>18}  {ratio:>12}  {target}")
    for name, value in rebuild_rows:
        print(f"  {name}: {value:.0f} events/s")
    for name, value in latencies.items():
        print(f"  figures of a point of the record over {stored} events, median "
              f"{name.removesuffix('_ms').replace('_', ' ')}: {value:.0f} ms")
    report = {"when": datetime.now(UTC).isoformat(), "versions": await versions(),
              "settings": {"seconds": seconds, "signings": signings, "clients": 16,
                           "rebuild_events": rebuild_events, "cpus": _cpus()},
              "figures": figures}
    await asyncio.to_thread(out.write_text, json.dumps(report, indent=2) + "\n")
    print(f"\nwritten to {out}", file=sys.stderr)


def _cpus() -> int:
    return os.cpu_count() or 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--signings", type=int, default=1000)
    parser.add_argument("--rebuild-events", type=int, default=100000)
    parser.add_argument("--json", type=Path, default=Path("bench/results.json"))
    args = parser.parse_args()
    asyncio.run(main(args.seconds, args.signings, args.rebuild_events, args.json))
