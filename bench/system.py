"""The system measured as real processes: HTTP commands/s, end-to-end events/s, latency
from a command's answer to the ``kpi.updated`` it causes, and each service's peak RSS.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from uuid import uuid4

import aio_pika
import aio_pika.abc
import httpx

from bench.floors import AMQP, MANAGEMENT, scratch_database
from plumbing.amqp import connect
from plumbing.db import drop_database
from plumbing.rabbitadmin import RabbitAdmin
from plumbing.tables import gap_fills_and_duplicates
from plumbing.urls import with_vhost
from tests.auth import auth_headers
from tests.integration.agreements.conftest import SIGN_BODY, propose_body
from tests.system import System, mail_catcher, make_system

READY_STEPS = (("review", None), ("draft", {"note": "Draf"}),
               ("discuss", {"held_on": "2021-03-02", "summary": "Sepakat",
                            "outcome": "AGREED"}))


@asynccontextmanager
async def running_system() -> AsyncIterator[tuple[System, str]]:
    """The three services on a fresh vhost and fresh databases; removed afterwards."""
    vhost = f"kerjasama-bench-{uuid4().hex[:8]}"
    async with RabbitAdmin(MANAGEMENT) as admin:
        await admin.create_vhost(vhost)
    urls: list[str] = []

    async def database(name: str) -> str:
        urls.append(await scratch_database(name))
        return urls[-1]

    workdir = Path(tempfile.mkdtemp(prefix="kerjasama-bench-"))
    amqp_url = with_vhost(AMQP, vhost)
    try:
        with mail_catcher(workdir / "mail") as smtp_port:
            system = await make_system(database, amqp_url=amqp_url, management_url=MANAGEMENT,
                                       smtp_port=smtp_port, workdir=workdir)
            try:
                await system.start()
                yield system, amqp_url
            finally:
                system.stop()
    finally:
        async with RabbitAdmin(MANAGEMENT) as admin:
            await admin.delete_vhost(vhost)
        for url in urls:
            await drop_database(url)


def peak_rss_mb(system: System) -> dict[str, float]:
    """Each service's peak resident memory (VmHWM), MB."""
    peaks: dict[str, float] = {}
    for name, process in system.processes.items():
        assert process.process is not None
        for line in Path(f"/proc/{process.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peaks[name] = int(line.split()[1]) / 1024
    return peaks


async def applied_position(reporting: httpx.AsyncClient) -> int:
    """The highest position reporting has applied."""
    items = (await reporting.get("/kpis", params={"year": 2021})).json()
    return max((int(i.get("as_of_position") or 0) for i in items), default=0)


async def http_burst(system: System, seconds: float, clients: int = 16) -> dict[str, float]:
    """Proposals over HTTP for ``seconds``; commands/s, then events/s until reporting has
    them all committed (from the first command to the last one applied)."""
    ids: list[str] = []
    async with httpx.AsyncClient(
            headers=auth_headers(), base_url=system["agreements"].url, timeout=60) as http:
        deadline = time.perf_counter() + seconds

        async def client() -> None:
            while time.perf_counter() < deadline:
                answer = await http.post("/agreements", json=propose_body())
                ids.append(answer.json()["id"])

        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        http_seconds = time.perf_counter() - started
        last = max(int(e["position"]) for e in
                   (await http.get(f"/agreements/{ids[-1]}/events")).json())
    async with httpx.AsyncClient(
            headers=auth_headers(), base_url=system["reporting"].url, timeout=30) as reporting:
        while True:
            if await applied_position(reporting) >= last:
                break
            await asyncio.sleep(0.05)
    end_to_end = time.perf_counter() - started
    return {"http_commands_per_s": len(ids) / http_seconds,
            "end_to_end_events_per_s": len(ids) / end_to_end, "burst_commands": len(ids)}


async def kpi_latency(system: System, amqp_url: str, rate: float = 200.0,
                      signings: int = 1000) -> dict[str, float]:
    """Signings of planned agreements at ``rate``/s; ms from each answer to the first
    ``kpi.updated`` of realization whose numerator includes it."""
    async with httpx.AsyncClient(
            headers=auth_headers(), base_url=system["agreements"].url, timeout=60) as http:
        ready: list[str] = []
        semaphore = asyncio.Semaphore(16)

        async def prepare() -> None:
            async with semaphore:
                aid = (await http.post("/agreements", json=propose_body())).json()["id"]
                for action, body in READY_STEPS:
                    await http.post(f"/agreements/{aid}/{action}", json=body)
                ready.append(aid)

        await asyncio.gather(*(prepare() for _ in range(signings)))
        last = 0
        for aid in ready[-16:]:  # the prepared agreements' last events
            events = (await http.get(f"/agreements/{aid}/events")).json()
            last = max([last, *(int(e["position"]) for e in events)])
        async with httpx.AsyncClient(
                headers=auth_headers(), base_url=system["reporting"].url) as reporting:
            while True:  # measure from a quiet system: reporting has applied everything
                if await applied_position(reporting) >= last:
                    break
                await asyncio.sleep(0.1)
        await asyncio.sleep(1)
        arrivals: list[tuple[float, int]] = []
        connection = await connect(amqp_url)
        async with connection:
            channel = await connection.channel()
            queue = await channel.declare_queue(exclusive=True)
            await queue.bind("kerjasama.kpi", "kpi.realization.2021.province")

            async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
                arrivals.append((time.perf_counter(),
                                 int(json.loads(message.body)["data"]["numerator"] or 0)))
                await message.ack()

            await queue.consume(on_message)
            async with httpx.AsyncClient(
                    headers=auth_headers(), base_url=system["reporting"].url) as reporting:
                items = (await reporting.get("/kpis", params={"year": 2021})).json()
            base = next((int(i["numerator"] or 0) for i in items
                         if i["indicator"] == "realization" and i["scope"] == "province"), 0)
            answered: list[float] = []
            interval, next_at = 1.0 / rate, time.perf_counter()
            for aid in ready:
                await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
                next_at += interval
                await http.post(f"/agreements/{aid}/sign", json=SIGN_BODY)
                answered.append(time.perf_counter())
            deadline = time.perf_counter() + 60
            while time.perf_counter() < deadline:
                if arrivals and max(n for _, n in arrivals) >= base + signings:
                    break
                await asyncio.sleep(0.05)
    latencies = []
    for k, at in enumerate(answered, start=1):
        seen = next((t for t, numerator in arrivals if numerator >= base + k), None)
        if seen is not None:
            latencies.append(max(0.0, seen - at) * 1000)
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return {"kpi_latency_p50_ms": cuts[49], "kpi_latency_p95_ms": cuts[94],
            "kpi_latency_p99_ms": cuts[98], "kpi_latency_samples": len(latencies),
            "kpi_latency_rate": rate}


async def measure(seconds: float, signings: int) -> dict[str, Any]:
    """Every system figure of one run."""
    async with running_system() as (system, amqp_url):
        figures: dict[str, Any] = await http_burst(system, seconds)
        figures.update(await kpi_latency(system, amqp_url, signings=signings))
        figures["peak_rss_mb"] = peak_rss_mb(system)
        figures["needless_reads"] = await outcomes(system)
    return figures


async def outcomes(system: System) -> dict[str, dict[str, int]]:
    """Per consumer, the deliveries that took the gap-filling path and the duplicates: both
    zero when nothing was lost (a consumer keeps each stream's order)."""
    found: dict[str, dict[str, int]] = {}
    async with httpx.AsyncClient(headers=auth_headers(), timeout=10) as client:
        for service in ("notifications", "reporting"):
            text = (await client.get(f"{system[service].url}/metrics")).text
            fills, duplicates = gap_fills_and_duplicates(text)
            found[service] = {"gap_filled": fills, "duplicate": duplicates}
    return found
