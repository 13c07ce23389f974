"""Webhooks: a JSON body POSTed with an HMAC-SHA256 signature over timestamp and body.

Headers: ``X-Kerjasama-Timestamp`` (Unix seconds) and ``X-Kerjasama-Signature``
(``sha256=<hex>`` of HMAC-SHA256 with the contact's secret over
``<timestamp>.<body>``), plus ``X-Kerjasama-Delivery`` (the delivery id, the same on
every attempt: receivers dedupe by it). Any 2xx answer is a success.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Awaitable, Callable

import httpx

from services.notifications.adapters.deliveries import Claimed
from services.notifications.adapters.senders import SendFailed

TIMESTAMP_HEADER = "X-Kerjasama-Timestamp"
SIGNATURE_HEADER = "X-Kerjasama-Signature"
DELIVERY_HEADER = "X-Kerjasama-Delivery"
SecretLookup = Callable[[str, str], Awaitable[str | None]]
"""``secret(recipient, url)``: the secret of a contact's webhook, None if it is gone."""


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value of ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str, *,
           tolerance_seconds: float | None = 300, now: float | None = None) -> bool:
    """Whether a receiver should trust a request (and it is not older than the tolerance)."""
    if tolerance_seconds is not None:
        try:
            age = abs((now if now is not None else time.time()) - int(timestamp))
        except ValueError:
            return False
        if age > tolerance_seconds:
            return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


class WebhookSender:
    """POSTs a delivery's payload to its URL, signed with the contact's current secret."""

    def __init__(self, secret: SecretLookup, client: httpx.AsyncClient) -> None:
        self._secret = secret
        self._client = client

    async def send(self, delivery: Claimed) -> None:
        """One signed POST; no secret, a network error or a non-2xx answer is SendFailed."""
        secret = await self._secret(delivery.recipient, delivery.address)
        if secret is None:
            raise SendFailed(f"{delivery.recipient} has no webhook {delivery.address} anymore")
        body = json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":")).encode()
        timestamp = str(int(time.time()))
        headers = {"Content-Type": "application/json", TIMESTAMP_HEADER: timestamp,
                   SIGNATURE_HEADER: sign(secret, timestamp, body),
                   DELIVERY_HEADER: str(delivery.id), "User-Agent": "kerjasama-notifications"}
        try:
            response = await self._client.post(delivery.address, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise SendFailed(f"POST {delivery.address}: {type(exc).__name__}: {exc}") from exc
        if not response.is_success:
            raise SendFailed(f"POST {delivery.address}: answered {response.status_code}")
