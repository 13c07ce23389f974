"""Fixtures for the notifications service: real PostgreSQL, RabbitMQ, SMTP and HTTP.

- ``smtp_server(refuse=..)`` starts a real SMTP server process (aiosmtpd) on a free port;
- ``webhook_receiver`` is a real HTTP server recording what it receives;
- ``agreements`` is the agreements app (in-process) on a fresh database, from which the
  tests take real events and publish them to ``kerjasama.events`` (as its relay would);
- ``notifications_factory(**settings)`` runs the notifications app (lifespan: topology,
  consumer, scheduler, dispatcher) on a fresh database and the test's own vhost.
"""

from __future__ import annotations

import asyncio
import email
import email.message
import email.policy
import json
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from contracts.envelope import routing_key_of
from contracts.topology import EVENTS_EXCHANGE
from plumbing import clock
from plumbing.agreements_client import AgreementsClient
from plumbing.amqp import connect, publish_persistent
from plumbing.http import serve
from plumbing.settings import load_settings
from services.agreements.app import create_app as create_agreements_app
from services.agreements.settings import AgreementsSettings
from services.notifications.app import Parts, create_app
from services.notifications.settings import NotificationsSettings
from tests.auth import auth_headers

HERE = Path(__file__).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 30.0,
                     what: str = "condition") -> None:
    """Wait until ``check()`` is true, or fail after ``within`` seconds."""
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, f"{what}: not within {within}s"
        await asyncio.sleep(0.05)


# --- SMTP -------------------------------------------------------------------------------

@dataclass
class SmtpServer:
    """A running SMTP server process and the messages it accepted."""

    port: int
    maildir: Path

    def messages(self) -> list[email.message.EmailMessage]:
        found = []
        for path in sorted(self.maildir.glob("*.eml")):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            assert isinstance(message, email.message.EmailMessage)
            found.append(message)
        return found

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages() if m["To"] == address]


def subject(message: email.message.EmailMessage) -> str:
    """The subject as a reader sees it (a long one is folded on the wire)."""
    return " ".join(str(message["Subject"]).split())


SmtpFactory = Callable[..., Awaitable[SmtpServer]]


@pytest.fixture
async def smtp_server(tmp_path: Path) -> AsyncIterator[SmtpFactory]:
    """``await smtp_server(refuse=0, refuse_always=False)``: a real SMTP server process."""
    processes: list[asyncio.subprocess.Process] = []

    async def start(refuse: int = 0, refuse_always: bool = False) -> SmtpServer:
        port = free_port()
        maildir = tmp_path / f"mail-{port}"
        maildir.mkdir()
        command = [sys.executable, str(HERE / "smtp_server.py"), "--port", str(port),
                   "--maildir", str(maildir), "--refuse", str(refuse)]
        if refuse_always:
            command.append("--refuse-always")
        process = await asyncio.create_subprocess_exec(*command,
                                                       stdout=asyncio.subprocess.PIPE)
        processes.append(process)
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), timeout=15)
        assert line.strip() == b"ready", f"SMTP server did not start: {line!r}"
        return SmtpServer(port, maildir)

    yield start
    for process in processes:
        process.terminate()
        await asyncio.wait_for(process.wait(), timeout=10)


# --- webhooks ---------------------------------------------------------------------------

@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    """A real HTTP server; ``url(name)`` answers 204 and records each request."""

    port: int
    received: list[Received] = field(default_factory=list)
    refuse: int = 0
    """Answer 503 to this many requests first (each is recorded all the same)."""

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/{name}"


@pytest.fixture
async def webhook_receiver() -> AsyncIterator[WebhookReceiver]:
    receiver = WebhookReceiver(free_port())
    app = FastAPI()

    @app.post("/hooks/{name}")
    async def hook(name: str, request: Request) -> Response:
        receiver.received.append(Received(request.url.path, dict(request.headers),
                                          await request.body()))
        if len(receiver.received) <= receiver.refuse:
            return Response(status_code=503)
        return Response(status_code=204)

    stop = asyncio.Event()
    task = asyncio.create_task(serve(app, "127.0.0.1", receiver.port, stop=stop,
                                     log_level="warning"))

    async def listening() -> bool:
        try:
            async with httpx.AsyncClient(headers=auth_headers(), trust_env=False) as client:
                await client.get(f"http://127.0.0.1:{receiver.port}/")
            return True
        except httpx.TransportError:
            return False

    await eventually(listening, what="webhook receiver listening")
    yield receiver
    stop.set()
    await task


# --- agreements (the source of real events) ---------------------------------------------

@dataclass
class Agreements:
    """The agreements app in-process and a relay-like publisher of its events."""

    client: httpx.AsyncClient
    amqp_url: str
    published: set[str] = field(default_factory=set)

    async def events(self, agreement_id: str) -> list[dict[str, Any]]:
        answer = await self.client.get(f"/agreements/{agreement_id}/events")
        assert answer.status_code == 200, answer.text
        events: list[dict[str, Any]] = answer.json()
        return events

    async def publish(self, events: list[dict[str, Any]], times: int = 1) -> None:
        connection = await connect(self.amqp_url)
        async with connection:
            channel = await connection.channel()
            for event in events:
                body = json.dumps(event).encode()
                for _ in range(times):
                    await publish_persistent(channel, EVENTS_EXCHANGE,
                                             routing_key_of(event["type"]), body,
                                             message_id=event["id"])

    async def relay(self, agreement_id: str) -> list[dict[str, Any]]:
        """Publish the agreement's events not yet published; return them."""
        new = [e for e in await self.events(agreement_id) if e["id"] not in self.published]
        await self.publish(new)
        self.published.update(e["id"] for e in new)
        return new

    async def post(self, path: str, body: Any = None, status: int = 200) -> Any:
        answer = await self.client.post(path, json=body)
        assert answer.status_code == status, answer.text
        return answer.json()


@pytest.fixture
async def agreements(database_url_factory: Callable[[str], Awaitable[str]],
                     fresh_topology: str) -> AsyncIterator[Agreements]:
    settings = load_settings(AgreementsSettings,  # the tests publish the events themselves
                             agreements_database_url=await database_url_factory("agreements"),
                             messaging=False)
    app = create_agreements_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
                headers=auth_headers(), transport=transport, base_url="http://agreements") as c:
            yield Agreements(c, fresh_topology)


# --- the notifications service ----------------------------------------------------------

@dataclass
class Notifications:
    """A running notifications app: its HTTP client and its parts."""

    client: httpx.AsyncClient
    runtime: Parts
    settings: NotificationsSettings

    async def deliveries(self, agreement_id: str, **params: Any) -> list[dict[str, Any]]:
        answer = await self.client.get("/deliveries",
                                       params={"agreement_id": agreement_id, **params})
        assert answer.status_code == 200, answer.text
        items: list[dict[str, Any]] = answer.json()
        return items

    async def settle(self) -> None:
        """Run the scheduler, then send what is due, once each (on the current clock).

        The service's own dispatcher loop may have claimed a delivery first: wait until
        no delivery of this database is still being sent.
        """
        await self.runtime.scheduler.run_once()
        await self.runtime.dispatcher.run_once()

        async def nothing_in_flight() -> bool:
            sending = await self.runtime.pool.fetchval(
                "SELECT count(*) FROM deliveries WHERE status = 'sending'")
            return bool(sending == 0)

        await eventually(nothing_in_flight, what="deliveries in flight")


NotificationsFactory = Callable[..., Awaitable[Notifications]]


@pytest.fixture
async def notifications_factory(
    database_url_factory: Callable[[str], Awaitable[str]], fresh_topology: str,
    agreements: Agreements, rabbitmq_management_url: str,
) -> AsyncIterator[NotificationsFactory]:
    """``await notifications_factory(smtp_port=..., **settings)``: a running service.

    Each has a fresh database unless ``notifications_database_url`` names one (a replica,
    or a restart of an earlier one).
    """
    stack: list[Any] = []

    async def start(**overrides: Any) -> Notifications:
        values: dict[str, Any] = {
            "notifications_database_url": await database_url_factory("notifications"),
            "amqp_url": fresh_topology, "rabbitmq_management_url": rabbitmq_management_url,
            "scheduler_interval_seconds": 3600, "dispatch_interval_seconds": 0.05,
            "retry_base_seconds": 0.05, "retry_max_seconds": 0.2, "max_attempts": 3,
            # the receivers of these tests are plain http on 127.0.0.1 (a development run)
            "webhook_allow_http": True, "webhook_allow_private_addresses": True,
            **overrides}
        settings = load_settings(NotificationsSettings, **values)
        client = AgreementsClient("http://agreements", client=agreements.client)
        app = create_app(settings, agreements=client)
        context = app.router.lifespan_context(app)
        await context.__aenter__()
        stack.append(context)
        transport = httpx.ASGITransport(app=app)
        http = httpx.AsyncClient(
                headers=auth_headers(), transport=transport, base_url="http://notifications")
        stack.append(http)
        return Notifications(http, app.state.notifications, settings)

    yield start
    for item in reversed(stack):
        if isinstance(item, httpx.AsyncClient):
            await item.aclose()
        else:
            await item.__aexit__(None, None, None)


@pytest.fixture(autouse=True)
def reset_clock() -> Any:
    """Each test sets the business clock as it needs; it is real time again afterwards."""
    yield
    clock.set_clock(None)
