"""PostgreSQL restarted under load: clear 503s, nothing half-written, service resumes alone."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from typing import Any

import asyncpg
import httpx

from tests.auth import auth_headers
from tests.conftest import MANAGEMENT_URL
from tests.integration.agreements.conftest import propose_body
from tests.private_postgres import private_postgres
from tests.processes import ServiceProcess


class Load:
    """Clients that propose and review agreements, each command with its own key."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sent: dict[str, tuple[str, dict[str, Any] | None]] = {}  # key -> path, body
        self.statuses: Counter[int] = Counter()
        self.failed: list[str] = []
        self.running = True

    async def command(self, client: httpx.AsyncClient, key: str, path: str,
                      body: dict[str, Any] | None) -> httpx.Response | None:
        self.sent[key] = (path, body)
        try:
            response = await client.post(path, json=body, headers={"Idempotency-Key": key})
        except httpx.TransportError:
            self.failed.append(key)
            return None
        self.statuses[response.status_code] += 1
        if response.status_code >= 300:
            self.failed.append(key)
            return None
        return response

    async def client(self, n: int) -> None:
        async with httpx.AsyncClient(
                headers=auth_headers(), base_url=self.url, timeout=30, trust_env=False) as client:
            i = 0
            while self.running:
                i += 1
                created = await self.command(client, f"p-{n}-{i}", "/agreements",
                                             propose_body(title=f"PKS {n}-{i}"))
                if created is None:
                    await asyncio.sleep(0.05)
                    continue
                await self.command(client, f"r-{n}-{i}",
                                   f"/agreements/{created.json()['id']}/review", None)


async def test_a_postgres_restart_under_load_gives_503s_and_loses_or_halves_nothing(
        fresh_topology: str) -> None:
    with private_postgres() as pg:
        service = ServiceProcess("agreements", {
            "KERJASAMA_AGREEMENTS_DATABASE_URL": pg.url("kerjasama_agreements"),
            "KERJASAMA_AMQP_URL": fresh_topology,
            "KERJASAMA_RABBITMQ_MANAGEMENT_URL": MANAGEMENT_URL})
        service.start()
        try:
            await service.ready()
            load = Load(service.url)
            clients = [asyncio.create_task(load.client(n)) for n in range(8)]
            await asyncio.sleep(1.5)
            await asyncio.to_thread(pg.stop_server)
            await asyncio.sleep(1.0)
            async with httpx.AsyncClient(headers=auth_headers(), trust_env=False) as probe:
                during = await probe.get(f"{service.url}/readyz")
            await asyncio.sleep(1.0)
            await asyncio.to_thread(pg.start_server)
            await asyncio.sleep(2.0)
            load.running = False
            await asyncio.gather(*clients)
            await service.ready(10)  # by itself, without a restart

            # a client retries what failed with the same keys: each lands exactly once
            async with httpx.AsyncClient(headers=auth_headers(), base_url=service.url, timeout=30,
                                         trust_env=False) as client:
                for key in load.failed:
                    path, body = load.sent[key]
                    for _ in range(20):
                        with contextlib.suppress(httpx.TransportError):
                            answer = await client.post(path, json=body,
                                                       headers={"Idempotency-Key": key})
                            if answer.status_code < 300:
                                break
                        await asyncio.sleep(0.5)
                    else:
                        raise AssertionError(f"{key} never succeeded after the outage")
            conn = await asyncpg.connect(pg.url("kerjasama_agreements"))
            try:
                commands = await conn.fetchval("SELECT count(*) FROM commands")
                events = await conn.fetchval(
                    "SELECT count(*) FROM events WHERE stream_id NOT LIKE 'partner-%'")
                registrations = await conn.fetch(
                    "SELECT type FROM events WHERE stream_id LIKE 'partner-%'")
                mismatched = await conn.fetchval(
                    "SELECT count(*) FROM agreements a WHERE a.version <> "
                    "(SELECT count(*) FROM events e WHERE e.stream_id = a.id::text)")
                orphans = await conn.fetchval(
                    "SELECT count(*) FROM events e WHERE NOT EXISTS (SELECT 1 FROM commands c"
                    " WHERE c.command_id = (e.metadata->>'actor') || chr(31) ||"
                    " (e.metadata->>'command_id'))")
            finally:
                await conn.close()
        finally:
            service.stop()

    print(f"\npostgres outage: {len(load.sent)} commands sent, statuses {dict(load.statuses)}, "
          f"{len(load.failed)} retried, {commands} stored, {events} events")
    assert during.status_code == 503
    assert "ConnectionRefusedError" in str(during.json()["checks"]["database"])
    assert set(load.statuses) <= {200, 201, 503}, "only successes and clear 503s"
    assert load.statuses[503] > 0, "the outage was not felt"
    assert commands == events == len(load.sent)
    # every proposal names one partner: the first to land registered it, once
    assert [r["type"] for r in registrations] == ["kerjasama.partner.registered.v1"]
    assert mismatched == 0 and orphans == 0
