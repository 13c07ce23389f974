"""``python -m services.notifications`` as a process: it checks the broker topology before
consuming (loaded at deploy time; it declares nothing), names what is missing and stays
not ready until it is there."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable

import httpx

from plumbing.rabbitadmin import RabbitAdmin
from plumbing.topology import declare_all
from plumbing.urls import with_vhost
from tests.auth import auth_headers
from tests.conftest import AMQP_URL

from .conftest import eventually, free_port


def process_env(vhost: str, port: int, management_url: str, database_url: str
                ) -> dict[str, str]:
    """The environment of a notifications process on ``vhost``, serving on ``port``."""
    return {**os.environ, "KERJASAMA_AMQP_URL": with_vhost(AMQP_URL, vhost),
            "KERJASAMA_RABBITMQ_MANAGEMENT_URL": management_url,
            "KERJASAMA_NOTIFICATIONS_DATABASE_URL": database_url,
            "KERJASAMA_NOTIFICATIONS_PORT": str(port), "KERJASAMA_LOG_LEVEL": "WARNING"}


async def test_on_an_empty_vhost_the_service_names_what_is_missing_and_declares_nothing(
        rabbit_vhost_factory: Callable[[], Awaitable[str]], rabbit_admin: RabbitAdmin,
        rabbitmq_management_url: str,
        database_url_factory: Callable[[str], Awaitable[str]]) -> None:
    vhost = await rabbit_vhost_factory()
    port = free_port()
    env = process_env(vhost, port, rabbitmq_management_url,
                      await database_url_factory("process"))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.notifications", env=env,
        stderr=asyncio.subprocess.PIPE)
    said = ""
    try:
        assert process.stderr is not None
        async with asyncio.timeout(60):
            while "deploy/rabbitmq" not in said:
                line = await process.stderr.readline()
                assert line, f"the process ended: {said}"
                said += line.decode()
        async with httpx.AsyncClient(headers=auth_headers(), base_url=f"http://127.0.0.1:{port}",
                                     trust_env=False) as client:
            async def answers() -> bool:
                try:
                    return (await client.get("/readyz")).status_code == 503
                except httpx.TransportError:
                    return False

            await eventually(answers, within=30, what="/readyz of the service process")
            checks = (await client.get("/readyz")).json()["checks"]
            assert checks["database"] == "ok" and checks["broker"] != "ok", checks
    finally:
        process.terminate()
        await asyncio.wait_for(process.communicate(), timeout=20)
    for missing in ("exchange kerjasama.dlx", "queue notifications.events",
                    "queue notifications.events.dlq", "deploy/rabbitmq"):
        assert missing in said, said
    assert await rabbit_admin.list_queues(vhost) == []


async def test_the_service_process_starts_on_a_loaded_vhost_and_is_ready(
        rabbit_vhost_factory: Callable[[], Awaitable[str]], rabbit_admin: RabbitAdmin,
        rabbitmq_management_url: str,
        database_url_factory: Callable[[str], Awaitable[str]]) -> None:
    vhost = await rabbit_vhost_factory()
    await declare_all(with_vhost(AMQP_URL, vhost), rabbitmq_management_url)
    port = free_port()
    env = process_env(vhost, port, rabbitmq_management_url,
                      await database_url_factory("process"))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.notifications", env=env)
    try:
        async with httpx.AsyncClient(headers=auth_headers(), base_url=f"http://127.0.0.1:{port}",
                                     trust_env=False) as client:
            async def ready() -> bool:
                try:
                    return (await client.get("/readyz")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(ready, within=30, what="/readyz of the service process")
            queues = {q["name"] for q in await rabbit_admin.list_queues(vhost)}
            assert {"notifications.events", "notifications.events.dlq"} <= queues
            metrics = (await client.get("/metrics")).text
            assert "kerjasama_notifications_backlog" in metrics
    finally:
        process.terminate()
        assert await asyncio.wait_for(process.wait(), timeout=20) is not None
