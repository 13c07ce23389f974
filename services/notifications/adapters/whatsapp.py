"""WhatsApp: the dispatcher's channel, the providers' HTTP endpoint, and the provider the
settings choose (docs/notifications.md#whatsapp).

The channel turns a claimed delivery (its number, its text, the template parameters
recorded with it) into a :class:`~services.notifications.domain.whatsapp.WhatsAppMessage`
for the configured provider: the Cloud API (``whatsapp_cloud.py``) or a plain HTTP
gateway (``whatsapp_gateway.py``). A provider's URL is a setting, checked like a webhook's
(https and public addresses; plain http and local addresses in development only), and
each request is pinned to the address that was checked. Tokens are never logged nor put
in an error: a failure names the URL without its query.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from plumbing.errors import ConfigError
from plumbing.settings import env_name
from services.notifications.adapters.deliveries import Claimed
from services.notifications.adapters.webhook_address import Destinations, WebhookRefused
from services.notifications.adapters.whatsapp_cloud import CloudApiSender
from services.notifications.adapters.whatsapp_gateway import GatewaySender
from services.notifications.adapters.whatsapp_http import Endpoint
from services.notifications.domain.whatsapp import WhatsAppMessage, WhatsAppSender
from services.notifications.settings import NotificationsSettings

ProviderFactory = Callable[[httpx.AsyncClient], WhatsAppSender]
"""Makes the configured provider on the service's outbound HTTP client."""


class WhatsAppChannel:
    """The dispatcher's ``whatsapp`` channel: one message per delivery, by the provider."""

    def __init__(self, provider: WhatsAppSender) -> None:
        self._provider = provider

    async def send(self, delivery: Claimed) -> str | None:
        """Send the delivery's text (or template) to its number; the provider's id."""
        payload = delivery.payload
        return await self._provider.send(WhatsAppMessage(
            delivery_id=delivery.id, rule=delivery.rule, to=delivery.address,
            language=str(payload.get("language") or "id"), text=delivery.body,
            parameters=tuple(str(p) for p in payload.get("parameters") or ())))


@dataclass
class RecordingWhatsApp:
    """The in-memory twin of a provider: records each message and answers an id."""

    sent: list[WhatsAppMessage] = field(default_factory=list)

    async def send(self, message: WhatsAppMessage) -> str | None:
        """Record ``message``."""
        self.sent.append(message)
        return f"recorded.{len(self.sent)}"


def _token(settings: NotificationsSettings, name: str) -> str:
    value, path = getattr(settings, name), getattr(settings, f"{name}_file")
    if path is None:
        return str(value.get_secret_value())
    setting = env_name(type(settings), f"{name}_file")
    try:
        text = Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"{setting}: cannot read {path}: {exc.strerror}") from None
    if not text:
        raise ConfigError(f"{setting}: {path} is empty")
    return text


def _url(settings: NotificationsSettings, name: str, destinations: Destinations) -> str:
    url = str(getattr(settings, name))
    try:
        destinations.parse(url)
    except WebhookRefused as exc:
        raise ConfigError(f"{env_name(type(settings), name)}: {exc}") from None
    return url


def whatsapp_provider_from(settings: NotificationsSettings) -> ProviderFactory | None:
    """The provider ``KERJASAMA_WHATSAPP_PROVIDER`` chooses (None for ``none``), its token
    read and its URL checked now: ConfigError naming the setting when one is wrong."""
    destinations = Destinations(settings.whatsapp_rules(),
                                resolve_timeout=settings.whatsapp_timeout_seconds)
    timeout = settings.whatsapp_timeout_seconds
    if settings.whatsapp_provider == "cloud":
        base = _url(settings, "whatsapp_cloud_base_url", destinations)
        token = _token(settings, "whatsapp_cloud_token")
        number_id = str(settings.whatsapp_cloud_phone_number_id)
        templates = dict(settings.whatsapp_cloud_templates)
        return lambda client: CloudApiSender(Endpoint(client, destinations, timeout), base,
                                             number_id, token, templates)
    if settings.whatsapp_provider == "gateway":
        url = _url(settings, "whatsapp_gateway_url", destinations)
        token = _token(settings, "whatsapp_gateway_token")
        return lambda client: GatewaySender(Endpoint(client, destinations, timeout), url, token)
    return None
