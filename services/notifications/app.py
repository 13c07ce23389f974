"""Wiring of the notifications service: the one place where its parts meet."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi import FastAPI
from faststream.rabbit import RabbitBroker

from contracts.topology import NOTIFICATIONS_EVENTS
from plumbing import inbox
from plumbing.agreements_client import AgreementsClient, agreements_token_from
from plumbing.auth import authenticator_from, install_auth
from plumbing.consumer import create_broker
from plumbing.db import Pool, create_pool, ensure_database, migrate
from plumbing.http import health_router, install_problem_handlers
from plumbing.parked_routes import parked_router
from plumbing.topology import check_topology, uses_queue
from services.notifications.adapters import contacts as contact_store
from services.notifications.adapters.email import SmtpSender
from services.notifications.adapters.secret_box import SecretBox, secret_box_from
from services.notifications.adapters.senders import Sender
from services.notifications.adapters.templates import Renderer
from services.notifications.adapters.webhook import WebhookSender
from services.notifications.adapters.webhook_address import Destinations
from services.notifications.dispatcher import Dispatcher, RetryPolicy
from services.notifications.domain.contacts import Contact
from services.notifications.entrypoints.consumer import subscribe
from services.notifications.entrypoints.http import build_router
from services.notifications.events import EventApplier
from services.notifications.notices import NoticeRecorder
from services.notifications.recipients import Directory
from services.notifications.scheduler import Scheduler
from services.notifications.settings import NotificationsSettings

MIGRATIONS = Path(__file__).parent / "migrations"
log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """The running parts, reachable from tests and operations as ``app.state.runtime``."""

    pool: Pool
    broker: RabbitBroker
    scheduler: Scheduler
    dispatcher: Dispatcher
    directory: Directory


async def open_database(settings: NotificationsSettings) -> Pool:
    """Create (if needed), migrate and open the service's database (with the inbox)."""
    await ensure_database(settings.notifications_database_url)
    pool = await create_pool(settings.notifications_database_url, min_size=2,
                             max_size=settings.database_pool_size)
    await inbox.install(pool)
    await migrate(pool, MIGRATIONS)
    return pool


def directory_of(settings: NotificationsSettings) -> Directory:
    """The configured contacts: the TKKSD secretariat and the regional secretary."""
    return Directory(
        Contact(settings.secretariat_contact, emails=tuple(settings.secretariat_emails),
                language=settings.default_language, name=settings.secretariat_name),
        Contact(settings.regional_secretary_contact,
                emails=tuple(settings.regional_secretary_emails),
                language=settings.default_language, name=settings.regional_secretary_name))


def webhook_client(settings: NotificationsSettings) -> httpx.AsyncClient:
    """The HTTP client of webhooks: no proxies from the environment, no redirects, and no
    kept-alive connections (a request is pinned to an address with its own TLS name, so a
    connection is never shared by two host names)."""
    return httpx.AsyncClient(timeout=settings.webhook_timeout_seconds, trust_env=False,
                             follow_redirects=False,
                             limits=httpx.Limits(max_keepalive_connections=0))


def senders_of(settings: NotificationsSettings, pool: Pool, box: SecretBox,
               destinations: Destinations, http: httpx.AsyncClient) -> dict[str, Sender]:
    """The channels: email over SMTP and signed webhooks."""
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None

    async def secret(code: str, url: str) -> str | None:
        return await contact_store.webhook_secret(pool, code, url, box)

    return {
        "email": SmtpSender(settings.smtp_host, settings.smtp_port, settings.smtp_sender,
                            starttls=settings.smtp_starttls, username=settings.smtp_username,
                            password=password, timeout=settings.smtp_timeout_seconds),
        "webhook": WebhookSender(secret, http, destinations),
    }


def create_app(settings: NotificationsSettings, *,
               agreements: AgreementsClient | None = None) -> FastAPI:
    """The notifications application; its lifespan runs the consumer, scheduler, dispatcher.

    ``agreements`` reads missing events (default: an HTTP client of ``agreements_url``).
    """

    box = secret_box_from(settings)
    destinations = Destinations(settings.address_rules(),
                                resolve_timeout=settings.webhook_timeout_seconds)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        exchanges, queues = uses_queue(NOTIFICATIONS_EVENTS)
        await check_topology(settings.amqp_url, exchanges=exchanges, queues=queues)
        pool = await open_database(settings)
        try:
            sealed = await contact_store.seal_stored_secrets(pool, box)
        except BaseException:
            await pool.close()
            raise
        if settings.webhook_secret_keys_file is None and settings.webhook_secret_keys is None:
            log.warning("development: webhook secrets are encrypted with a random key of this "
                        "process, unreadable after a restart (KERJASAMA_WEBHOOK_SECRET_KEYS_FILE "
                        "keeps them)")
        if sealed:
            log.info("webhook secrets of %d contacts encrypted with the first key of %s",
                     sealed, box.setting)
        renderer = Renderer()
        renderer.check()
        directory = directory_of(settings)
        recorder = NoticeRecorder(renderer, directory)
        policy = settings.policy()
        client = agreements or AgreementsClient(
            settings.agreements_url, token=agreements_token_from(settings, "notifications"))
        http = webhook_client(settings)
        dispatcher = Dispatcher(
            pool, senders_of(settings, pool, box, destinations, http),
            RetryPolicy(settings.max_attempts, settings.retry_base_seconds,
                        settings.retry_max_seconds, settings.send_lease_seconds),
            concurrency=settings.send_concurrency)
        scheduler = Scheduler(pool, recorder, policy)
        send_now, schedule_now = asyncio.Event(), asyncio.Event()

        def on_applied() -> None:
            send_now.set()
            schedule_now.set()

        broker = create_broker(settings.amqp_url, prefetch=settings.prefetch)
        consumer = subscribe(broker, pool, EventApplier(recorder, policy), client, on_applied,
                             transient_timeout=settings.transient_retry_seconds)
        assert consumer.parking is not None
        tasks = [
            asyncio.create_task(consumer.parking.watch(), name="parked-streams-gauge"),
            asyncio.create_task(dispatcher.run(settings.dispatch_interval_seconds, send_now)),
            asyncio.create_task(scheduler.run(settings.scheduler_interval_seconds,
                                              schedule_now, send_now)),
        ]
        try:
            await broker.start()
            app.state.runtime = state["runtime"] = Runtime(pool, broker, scheduler,
                                                           dispatcher, directory)
            app.include_router(build_router(pool, directory, destinations, box))
            app.include_router(parked_router(lambda: consumer))
            yield
        finally:
            await broker.stop()
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await http.aclose()
            if agreements is None:
                await client.aclose()
            await pool.close()

    state: dict[str, Runtime] = {}

    async def database_ready() -> bool:
        runtime = state.get("runtime")
        return runtime is not None and await runtime.pool.fetchval("SELECT 1") == 1

    async def broker_ready() -> bool:
        runtime = state.get("runtime")
        return runtime is not None and await runtime.broker.ping(timeout=1.0)

    app = FastAPI(title="kerjasama notifications", version="1.0.0", lifespan=lifespan,
                  description="Notices of agreement events and deadlines, by email and "
                  "signed webhooks; the delivery log and the contacts.")
    app.include_router(health_router({"database": database_ready, "broker": broker_ready}))
    install_problem_handlers(app)
    install_auth(app, authenticator_from(settings))
    return app
