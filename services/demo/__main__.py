"""``python -m services.demo``: load the West Java demo and print the 2021 KPI table.

Run by ``./scripts/run`` once every service is ready; safe to run again (it adds
nothing the second time). Exits 1 with one line when a service refuses or is missing.
"""

from __future__ import annotations

import asyncio
import sys

from plumbing import clock
from plumbing.service_client import CliError, ServiceClient, service_url
from plumbing.tables import KpiPoint, gap_fills_and_duplicates, kpi_table
from services.demo.loader import load
from services.demo.plan import DemoDataError, load_data

DEMO_USER = "demo-loader"


async def _is_up(client: ServiceClient) -> bool:
    try:
        await client.request("GET", "/readyz")
    except CliError:
        return False
    return True


async def _last_position(agreements: ServiceClient, last_id: str) -> int:
    """Position of the demo's last event: the end of the stream it wrote last."""
    events = await agreements.get_json(f"/agreements/{last_id}/events")
    return max(int(e["position"]) for e in events)


async def _kpis_when_caught_up(reporting: ServiceClient, position: int,
                               wait: float = 60.0) -> list[dict[str, object]]:
    """The 2021 figures once reporting has applied every feed event up to ``position``
    (events of different agreements may reach it in another order than the feed's: the
    figures as of a position are answered, not 409, only when all before it are in)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while loop.time() < deadline:
        answer = await reporting.request("GET", "/kpis", ok=(200, 409), params={
            "year": 2021, "as_of_position": position})
        if answer.status_code == 200:
            break
        await asyncio.sleep(0.5)
    items: list[dict[str, object]] = await reporting.get_json("/kpis", year=2021)
    return items


async def main_async() -> int:
    """Load the demo; print the summary and the 2021 KPI table."""
    data = load_data()
    async with ServiceClient("agreements", service_url("agreements"), DEMO_USER) as agreements, \
            ServiceClient("notifications", service_url("notifications"), DEMO_USER) as notes, \
            ServiceClient("reporting", service_url("reporting"), DEMO_USER) as reporting:
        summary = await load(data, agreements, notes if await _is_up(notes) else None)
        print(summary.line(), flush=True)
        if await _is_up(reporting):
            position = await _last_position(agreements, summary.last_agreement_id)
            items = await _kpis_when_caught_up(reporting, position)
            table = kpi_table(items, point=KpiPoint(clock.today()))
            print(f"\nKPI 2021 (province):\n\n{table}\n", flush=True)
        for consumer in (notes, reporting):
            if await _is_up(consumer):
                metrics = (await consumer.request("GET", "/metrics")).text
                fills, duplicates = gap_fills_and_duplicates(metrics)
                print(f"{consumer.name}: {fills} gap fills, {duplicates} duplicates "
                      "(both 0 when no event was lost)", flush=True)
    return 0


EARLIER_DEMO = (
    "demo: these databases hold the demo as an earlier release loaded it, with other "
    "contents under the same keys; the demo loads into empty databases. To start over: stop "
    "the system, then\n  for db in agreements notifications reporting portal; do "
    "dropdb -h 127.0.0.1 -U postgres --if-exists kerjasama_$db; done\n"
    "and run ./scripts/run again (README: Starting over).")


def main() -> int:
    """Entry point; errors are one line and exit status 1."""
    try:
        return asyncio.run(main_async())
    except (CliError, DemoDataError) as exc:
        print(f"demo: {exc}", file=sys.stderr)
        if "already used for a different request" in str(exc):
            print(EARLIER_DEMO, file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
