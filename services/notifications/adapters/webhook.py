"""Webhooks: a JSON body POSTed to a checked address, signed with the contact's secret.

Headers (docs/notifications.md is the receivers' reference):

- ``X-Kerjasama-Delivery``: the delivery id, the same on every attempt (receivers dedupe
  by it);
- ``X-Kerjasama-Timestamp``: Unix seconds of this attempt;
- ``X-Kerjasama-Signature``: ``v1=<hex>``, HMAC-SHA256 with the webhook's secret over
  ``<timestamp>.<delivery id>.<body>``. The scheme name comes first so that a later
  scheme can be told apart (and sent alongside, comma-separated, during a change).

Any 2xx answer is a success; redirects are not followed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Awaitable, Callable

import httpx

from plumbing.tracing import current_trace
from services.notifications.adapters.deliveries import Claimed
from services.notifications.adapters.senders import SendFailed, SendRefused
from services.notifications.adapters.webhook_address import (
    Destinations,
    Unresolved,
    WebhookRefused,
)

TIMESTAMP_HEADER = "X-Kerjasama-Timestamp"
SIGNATURE_HEADER = "X-Kerjasama-Signature"
DELIVERY_HEADER = "X-Kerjasama-Delivery"
SCHEME = "v1"
SecretLookup = Callable[[str, str], Awaitable[str | None]]
"""``secret(recipient, url)``: the secret of a contact's webhook, None if it is gone."""


def signed_text(timestamp: str, delivery_id: str, body: bytes) -> bytes:
    """What scheme ``v1`` signs: ``<timestamp>.<delivery id>.<body>``."""
    return f"{timestamp}.{delivery_id}.".encode() + body


def sign(secret: str, timestamp: str, delivery_id: str, body: bytes) -> str:
    """The signature header value of ``body`` sent as ``delivery_id`` at ``timestamp``."""
    digest = hmac.new(secret.encode(), signed_text(timestamp, delivery_id, body),
                      hashlib.sha256)
    return f"{SCHEME}={digest.hexdigest()}"


def verify(secret: str, timestamp: str, delivery_id: str, body: bytes, signature: str, *,
           tolerance_seconds: float | None = 300, now: float | None = None) -> bool:
    """Whether a receiver should trust a request: a ``v1`` signature in the header is
    right, and the timestamp is within the tolerance of now."""
    if tolerance_seconds is not None:
        try:
            age = abs((now if now is not None else time.time()) - int(timestamp))
        except ValueError:
            return False
        if age > tolerance_seconds:
            return False
    expected = sign(secret, timestamp, delivery_id, body)
    return any(hmac.compare_digest(expected, part.strip()) for part in signature.split(","))


class WebhookSender:
    """POSTs a delivery's payload to its checked address, signed with the current secret."""

    def __init__(self, secret: SecretLookup, client: httpx.AsyncClient,
                 destinations: Destinations) -> None:
        self._secret = secret
        self._client = client
        self._destinations = destinations

    async def send(self, delivery: Claimed) -> None:
        """One signed POST. A refused address is SendRefused (no request is made); no
        secret, no address, a network error or a non-2xx answer is SendFailed."""
        try:
            target = await self._destinations.pin(delivery.address)
        except WebhookRefused as exc:
            raise SendRefused(f"webhook URL refused, not attempted: {exc}") from None
        except Unresolved as exc:
            raise SendFailed(f"POST {delivery.address}: {exc}") from None
        secret = await self._secret(delivery.recipient, delivery.address)
        if secret is None:
            raise SendFailed(f"{delivery.recipient} has no webhook {delivery.address} anymore")
        body = json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":")).encode()
        timestamp, delivery_id = str(int(time.time())), str(delivery.id)
        headers = {"Content-Type": "application/json", TIMESTAMP_HEADER: timestamp,
                   SIGNATURE_HEADER: sign(secret, timestamp, delivery_id, body),
                   DELIVERY_HEADER: delivery_id, "User-Agent": "kerjasama-notifications",
                   **current_trace(), **target.headers}  # the receiver may trace on
        try:
            response = await self._client.post(target.url, content=body, headers=headers,
                                               extensions=target.extensions,
                                               follow_redirects=False)
        except httpx.HTTPError as exc:
            raise SendFailed(f"POST {delivery.address}: {type(exc).__name__}: {exc}") from exc
        if response.is_redirect:
            raise SendFailed(f"POST {delivery.address}: answered {response.status_code} "
                             f"(redirects are not followed)")
        if not response.is_success:
            raise SendFailed(f"POST {delivery.address}: answered {response.status_code}")
