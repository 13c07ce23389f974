"""Composition root of the notifications service: the one place where its parts meet."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi import FastAPI
from faststream.rabbit import RabbitBroker

from contracts.topology import NOTIFICATIONS_EVENTS, NOTIFICATIONS_KPI
from plumbing.agreements_client import AgreementsClient, agreements_token_from
from plumbing.auth import authenticator_from
from plumbing.background import every
from plumbing.consumer import QueueConsumer
from plumbing.db import Pool
from plumbing.parked_routes import parked_router
from plumbing.parking import Parking, in_transaction
from plumbing.runtime import Runtime, Wire, service_app
from plumbing.topology import uses_queue
from services.notifications.adapters import contacts as contact_store
from services.notifications.adapters.database import open_database
from services.notifications.adapters.email import SmtpSender
from services.notifications.adapters.secret_box import SecretBox, secret_box_from
from services.notifications.adapters.senders import Sender
from services.notifications.adapters.templates import Renderer
from services.notifications.adapters.webhook import WebhookSender
from services.notifications.adapters.webhook_address import Destinations
from services.notifications.adapters.whatsapp import (
    ProviderFactory,
    WhatsAppChannel,
    whatsapp_provider_from,
)
from services.notifications.application.dispatcher import Dispatcher, RetryPolicy
from services.notifications.application.notices import NoticeRecorder
from services.notifications.application.recipients import Directory
from services.notifications.application.scheduler import Scheduler
from services.notifications.application.service import EventApplier
from services.notifications.domain.contacts import Contact
from services.notifications.entrypoints.http import build_router
from services.notifications.entrypoints.subscriber import subscribe, subscribe_figures
from services.notifications.settings import NotificationsSettings

PARKED_GAUGE_SECONDS = 15.0
MIGRATIONS = Path(__file__).parent / "migrations"
log = logging.getLogger(__name__)


@dataclass
class Parts:
    """The running parts, reachable from tests and operations as ``app.state.notifications``."""

    pool: Pool
    scheduler: Scheduler
    dispatcher: Dispatcher
    directory: Directory


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
               destinations: Destinations, http: httpx.AsyncClient, *,
               whatsapp: ProviderFactory | None = None) -> dict[str, Sender]:
    """The channels: email over SMTP, signed webhooks, and WhatsApp when a provider is
    configured."""
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None

    async def secret(code: str, url: str) -> str | None:
        return await contact_store.webhook_secret(pool, code, url, box)

    senders: dict[str, Sender] = {
        "email": SmtpSender(settings.smtp_host, settings.smtp_port, settings.smtp_sender,
                            starttls=settings.smtp_starttls, username=settings.smtp_username,
                            password=password, timeout=settings.smtp_timeout_seconds),
        "webhook": WebhookSender(secret, http, destinations),
    }
    if whatsapp is not None:
        senders["whatsapp"] = WhatsAppChannel(whatsapp(http))
    return senders


def wiring(settings: NotificationsSettings, agreements: AgreementsClient | None,
           box: SecretBox, destinations: Destinations, *,
           whatsapp: ProviderFactory | None = None) -> Wire:
    """How the service's parts are made from its settings, for :func:`service_app`."""

    async def wire(runtime: Runtime, app: FastAPI) -> None:
        runtime.pool = pool = await open_database(settings)
        sealed = await contact_store.seal_stored_secrets(pool, box)
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
        recorder = NoticeRecorder(renderer, directory, whatsapp=whatsapp is not None)
        policy = settings.policy()
        client = agreements
        if client is None:
            client = AgreementsClient(settings.agreements_url,
                                      token=agreements_token_from(settings, "notifications"))
            runtime.on_close(client.aclose)
        http = webhook_client(settings)
        runtime.on_close(http.aclose)
        senders = senders_of(settings, pool, box, destinations, http, whatsapp=whatsapp)
        email = senders["email"]
        if isinstance(email, SmtpSender):
            runtime.on_close(email.close)
        dispatcher = Dispatcher(
            pool, senders,
            RetryPolicy(settings.max_attempts, settings.retry_base_seconds,
                        settings.retry_max_seconds, settings.send_lease_seconds),
            concurrency=settings.send_concurrency)
        scheduler = Scheduler(pool, recorder, policy,
                              digest_hour=settings.late_entries_digest_hour)
        send_now, schedule_now = asyncio.Event(), asyncio.Event()

        def on_applied() -> None:
            send_now.set()
            schedule_now.set()

        def recorded(count: int) -> None:
            if count:
                send_now.set()

        parking = Parking(in_transaction(pool), NOTIFICATIONS_EVENTS)
        consumers: list[QueueConsumer] = []
        def register(broker: RabbitBroker) -> None:
            consumers.append(subscribe(
                broker, pool, EventApplier(recorder, policy), client, on_applied,
                parking=parking, transient_timeout=settings.transient_retry_seconds))
            subscribe_figures(broker, pool, recorder, send_now.set,
                              transient_timeout=settings.transient_retry_seconds)

        events_uses, figures_uses = uses_queue(NOTIFICATIONS_EVENTS), uses_queue(
            NOTIFICATIONS_KPI)
        runtime.subscribe(settings.amqp_url, register, uses=(
            tuple(dict.fromkeys((*events_uses[0], *figures_uses[0]))),
            (*events_uses[1], *figures_uses[1])), prefetch=settings.prefetch)
        runtime.background.add("parked-streams-gauge", every(
            parking.refresh_gauge, interval=PARKED_GAUGE_SECONDS))
        runtime.background.add("dispatcher", every(
            dispatcher.run_once, interval=settings.dispatch_interval_seconds, wake=send_now))
        runtime.background.add("scheduler", every(
            scheduler.run_once, interval=settings.scheduler_interval_seconds,
            wake=schedule_now, after=recorded))
        app.state.notifications = Parts(pool, scheduler, dispatcher, directory)
        app.include_router(build_router(pool, directory, destinations, box))
        app.include_router(parked_router(lambda: consumers[0] if consumers else None))

    return wire


def create_app(settings: NotificationsSettings, *,
               agreements: AgreementsClient | None = None) -> FastAPI:
    """The notifications application; its lifespan runs the consumer, scheduler, dispatcher.

    ``agreements`` reads missing events (default: an HTTP client of ``agreements_url``).
    """
    box = secret_box_from(settings)
    destinations = Destinations(settings.address_rules(),
                                resolve_timeout=settings.webhook_timeout_seconds)
    return service_app(
        title="kerjasama notifications",
        description="Notices of agreement events and deadlines, by email, signed "
        "webhooks and WhatsApp; the delivery log and the contacts.",
        authenticator=authenticator_from(settings),
        wire=wiring(settings, agreements, box, destinations,
                    whatsapp=whatsapp_provider_from(settings)))
