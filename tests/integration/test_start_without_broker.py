"""Every service starts while its broker is down, and becomes ready when it returns.

The broker's address is a port where nothing listens at first; a forwarder to the real
RabbitMQ (this test's vhost) then opens on that port, as a broker coming back would.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from uuid import uuid4

import httpx
import pytest
from fastapi import FastAPI

from contracts.topology import EVENTS_EXCHANGE
from plumbing.agreements_client import AgreementsClient
from plumbing.amqp import connect
from plumbing.settings import load_settings
from services.agreements.app import create_app as create_agreements_app
from services.agreements.settings import AgreementsSettings
from services.notifications.app import create_app as create_notifications_app
from services.notifications.settings import NotificationsSettings
from services.reporting.app import create_app as create_reporting_app
from tests.auth import auth_headers
from tests.integration.agreements.conftest import propose_body
from tests.integration.reporting.support import reporting_settings


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def on_port(url: str, port: int) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)
    host = f"127.0.0.1:{port}"
    return urlunsplit(parts._replace(netloc=f"{netloc[0]}@{host}" if len(netloc) > 1 else host))


@contextlib.asynccontextmanager
async def forwarder(port: int, target: str) -> AsyncIterator[None]:
    """The broker coming back: ``port`` now forwards to ``target``'s host and port."""
    parts = urlsplit(target)

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    writers: list[asyncio.StreamWriter] = []

    async def on_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        upstream_reader, upstream_writer = await asyncio.open_connection(
            parts.hostname, parts.port or 5672)
        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))

    server = await asyncio.start_server(on_client, "127.0.0.1", port)
    try:
        yield
    finally:
        server.close()
        for writer in writers:
            writer.close()
        await server.wait_closed()


async def readiness(client: httpx.AsyncClient) -> tuple[int, dict[str, Any]]:
    answer = await client.get("/readyz")
    return answer.status_code, answer.json()


async def starts_then_becomes_ready(app: FastAPI, port: int, broker: str,
                                    while_down: Callable[[httpx.AsyncClient], Any]
                                    | None = None,
                                    once_ready: Callable[[], Any] | None = None) -> None:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service",
                                     headers=auth_headers()) as client:
            assert (await client.get("/healthz")).status_code == 200
            await asyncio.sleep(1.0)  # it has tried the broker by now
            status, body = await readiness(client)
            assert status == 503 and body["checks"]["database"] == "ok", body
            assert body["checks"]["broker"] != "ok", body
            if while_down is not None:
                await while_down(client)
            async with forwarder(port, broker):
                for _ in range(600):
                    if (await readiness(client))[0] == 200:
                        break
                    await asyncio.sleep(0.1)
                status, body = await readiness(client)
                assert status == 200, f"not ready once the broker is back: {body}"
                if once_ready is not None:
                    await once_ready()


@pytest.fixture
def down(fresh_topology: str) -> tuple[int, str]:
    """A port where the broker is not (yet), and the service's broker URL on it."""
    port = free_port()
    return port, on_port(fresh_topology, port)


async def test_agreements_takes_commands_while_the_broker_is_down_and_relays_them_after(
        database_url: str, fresh_topology: str, down: tuple[int, str]) -> None:
    port, url = down
    app = create_agreements_app(load_settings(
        AgreementsSettings, agreements_database_url=database_url, amqp_url=url,
        relay_poll_seconds=0.2))

    connection = await connect(fresh_topology)
    channel = await connection.channel()
    queue = await channel.declare_queue(f"test-while-down-{uuid4().hex[:8]}", exclusive=True)
    await queue.bind(EVENTS_EXCHANGE, "agreement.#")
    proposed: list[str] = []

    async def propose(client: httpx.AsyncClient) -> None:
        answer = await client.post("/agreements", json=propose_body())
        assert answer.status_code == 201, answer.text
        proposed.append(answer.json()["id"])

    async def relayed() -> None:
        for _ in range(300):  # the relay publishes within a poll once the broker is back
            message = await queue.get(fail=False)
            if message is not None:
                break
            await asyncio.sleep(0.1)
        assert message is not None, "the command taken while the broker was down was not relayed"
        assert json.loads(message.body)["subject"] == proposed[0]

    try:
        await starts_then_becomes_ready(app, port, fresh_topology, propose, relayed)
    finally:
        await connection.close()


async def test_reporting_starts_while_the_broker_is_down(
        database_url_factory: Any, fresh_topology: str, down: tuple[int, str]) -> None:
    port, url = down
    settings = reporting_settings(await database_url_factory("reporting"), url)
    async with httpx.AsyncClient(base_url="http://agreements.invalid") as unused:
        app = create_reporting_app(settings, AgreementsClient("http://agreements.invalid",
                                                              client=unused))
        await starts_then_becomes_ready(app, port, fresh_topology)


async def test_notifications_starts_while_the_broker_is_down(
        database_url_factory: Any, fresh_topology: str, down: tuple[int, str]) -> None:
    port, url = down
    settings = load_settings(
        NotificationsSettings,
        notifications_database_url=await database_url_factory("notifications"), amqp_url=url)
    async with httpx.AsyncClient(base_url="http://agreements.invalid") as unused:
        app = create_notifications_app(settings, agreements=AgreementsClient(
            "http://agreements.invalid", client=unused))
        await starts_then_becomes_ready(app, port, fresh_topology)
