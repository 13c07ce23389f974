"""Soak: a steady command rate for a while; lag and memory of each service, sampled.

Usage: ``.venv/bin/python -m bench.soak [--minutes 10] [--rate 50] [--every 15]``.
Starts the three services as processes on fresh databases and a fresh RabbitMQ vhost
(removed afterwards), with a local mail catcher, then sends proposals and signings at
``--rate`` commands/s. Every ``--every`` seconds it prints each service's RSS, the
agreements outbox backlog, how far reporting is behind the feed (positions) and the
notifications backlog; at the end, each service's RSS growth from the first minute to
the end. Not part of the tests; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path
from uuid import uuid4

import httpx

from plumbing.db import drop_database, ensure_database
from plumbing.rabbitadmin import RabbitAdmin
from plumbing.urls import with_vhost
from tests.auth import auth_headers
from tests.integration.agreements.conftest import SIGN_BODY, propose_body
from tests.system import System, mail_catcher, make_system

AMQP = os.environ.get("KERJASAMA_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
MANAGEMENT = os.environ.get("KERJASAMA_TEST_RABBITMQ_MANAGEMENT_URL",
                            "http://guest:guest@127.0.0.1:15672")
POSTGRES = os.environ.get("KERJASAMA_TEST_POSTGRES_URL",
                          "postgresql://postgres@127.0.0.1:5432/postgres").rsplit("/", 1)[0]
STEPS = (("review", None), ("draft", {"note": "Draf"}),
         ("discuss", {"held_on": "2021-03-02", "summary": "Sepakat", "outcome": "AGREED"}),
         ("sign", SIGN_BODY))


def rss_mb(pid: int) -> float:
    """Resident memory of a process, MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def metric(text: str, name: str) -> float:
    """The value of a series (a name with its labels, as printed) in a Prometheus text page
    (0 if absent)."""
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0.0


async def drive(system: System, rate: float, stop: asyncio.Event, sent: list[int]) -> None:
    """Send commands at ``rate``/s: each agreement proposed, advanced and signed."""
    async with httpx.AsyncClient(
            headers=auth_headers(), base_url=system["agreements"].url, timeout=30) as http:
        interval, n = 1.0 / rate, 0
        next_at = time.monotonic()
        while not stop.is_set():
            n += 1
            created = await http.post("/agreements", json=propose_body(title=f"Soak {n}"))
            sent[0] += 1
            aid = created.json()["id"]
            for action, body in STEPS:
                next_at += interval
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
                await http.post(f"/agreements/{aid}/{action}", json=body)
                sent[0] += 1
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))


async def sample(system: System) -> dict[str, float]:
    """One row of figures."""
    row = {f"{name}_mb": rss_mb(p.process.pid) for name, p in system.processes.items()
           if p.process is not None}
    async with httpx.AsyncClient(headers=auth_headers(), timeout=10) as client:
        agreements = (await client.get(f"{system['agreements'].url}/metrics")).text
        notes = (await client.get(f"{system['notifications'].url}/metrics")).text
        kpis = (await client.get(f"{system['reporting'].url}/kpis",
                                 params={"year": 2021})).json()
    last = max((int(i.get("as_of_position") or 0) for i in kpis), default=0)
    row["outbox"] = metric(agreements, 'kerjasama_outbox_backlog{outbox="events"}')
    row["notify_backlog"] = metric(notes, "kerjasama_notifications_backlog")
    row["reporting_pos"] = last
    return row


async def main(minutes: float, rate: float, every: float) -> None:
    """Run the soak and print the samples."""
    vhost = f"kerjasama-soak-{uuid4().hex[:8]}"
    async with RabbitAdmin(MANAGEMENT) as admin:
        await admin.create_vhost(vhost)
    urls: list[str] = []

    async def database(name: str) -> str:
        url = f"{POSTGRES}/kerjasama_soak_{uuid4().hex[:8]}_{name}"
        await ensure_database(url)
        urls.append(url)
        return url

    workdir = Path(tempfile.mkdtemp(prefix="kerjasama-soak-"))
    try:
        with mail_catcher(workdir / "mail") as smtp_port:
            system = await make_system(database, amqp_url=with_vhost(AMQP, vhost),
                                       management_url=MANAGEMENT, smtp_port=smtp_port,
                                       workdir=workdir)
            await system.start()
            stop, sent = asyncio.Event(), [0]
            driver = asyncio.create_task(drive(system, rate, stop, sent))
            started, rows = time.monotonic(), []
            print("seconds  commands  " + "  ".join(
                f"{k:>14}" for k in ("agreements_mb", "notifications_mb", "reporting_mb",
                                     "outbox", "notify_backlog", "reporting_pos")))
            try:
                while time.monotonic() - started < minutes * 60:
                    await asyncio.sleep(every)
                    row = await sample(system)
                    rows.append((time.monotonic() - started, row))
                    print(f"{rows[-1][0]:7.0f}  {sent[0]:8d}  " + "  ".join(
                        f"{v:14.1f}" for v in row.values()), flush=True)
            finally:
                stop.set()
                await driver
                system.stop()
            first = next((r for t, r in rows if t >= 60), rows[0][1] if rows else {})
            if rows:
                print("\nRSS growth from the first minute to the end (MB): " + ", ".join(
                    f"{k.removesuffix('_mb')} {rows[-1][1][k] - first[k]:+.1f}"
                    for k in first if k.endswith("_mb")))
    finally:
        async with RabbitAdmin(MANAGEMENT) as admin:
            await admin.delete_vhost(vhost)
        for url in urls:
            await drop_database(url)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=50.0, help="commands per second")
    parser.add_argument("--every", type=float, default=15.0, help="seconds between samples")
    args = parser.parse_args()
    asyncio.run(main(args.minutes, args.rate, args.every))
