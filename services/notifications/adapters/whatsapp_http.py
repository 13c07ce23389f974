"""The HTTP endpoint of a WhatsApp provider: a checked URL, a pinned request, and the
answer sorted into success, a retry, or a refusal for good."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import httpx

from services.notifications.adapters.senders import SendFailed, SendRefused
from services.notifications.adapters.webhook_address import (
    Destinations,
    Unresolved,
    WebhookRefused,
)


def shown(url: str) -> str:
    """A URL as errors show it: without its query and fragment (where a token might be)
    and without credentials; a URL that does not parse is cut the same way by hand."""
    try:
        return str(httpx.URL(url).copy_with(query=None, fragment=None, userinfo=b""))
    except httpx.InvalidURL:
        base = re.split(r"[?#]", url, maxsplit=1)[0]
        return re.sub(r"^([^:/?#]*://)[^/?#]*@", r"\1", base)


def excerpt(response: httpx.Response, limit: int = 300) -> str:
    """The start of an answer's body, one line, for the delivery log."""
    return " ".join(response.text[:limit].split())


class Endpoint:
    """POSTs to a provider's checked URL and sorts the outcome.

    SendRefused (no further attempt) when the URL is refused or the provider answers a
    4xx other than 408 and 429 (the same request would be refused again); SendFailed
    (retried) on a network error, a timeout, a redirect, 408, 429 and 5xx.
    """

    def __init__(self, client: httpx.AsyncClient, destinations: Destinations,
                 timeout: float) -> None:
        self._client, self._destinations, self._timeout = client, destinations, timeout

    async def post(self, url: str, headers: Mapping[str, str], **body: Any) -> httpx.Response:
        """One POST of ``body`` (``json=`` or ``data=``); the 2xx response."""
        where = f"POST {shown(url)}"
        try:
            target = await self._destinations.pin(url)
        except WebhookRefused as exc:
            raise SendRefused(f"WhatsApp provider URL refused, not attempted: {exc}") from None
        except Unresolved as exc:
            raise SendFailed(f"{where}: {exc}") from None
        try:
            response = await self._client.post(
                target.url, headers={"User-Agent": "kerjasama-notifications", **headers,
                                     **target.headers},
                extensions=target.extensions, follow_redirects=False, timeout=self._timeout,
                **body)
        except httpx.HTTPError as exc:
            raise SendFailed(f"{where}: {type(exc).__name__}: {exc}") from None
        status = response.status_code
        if 400 <= status < 500 and status not in (408, 429):
            raise SendRefused(f"{where}: answered {status}, not retried: {excerpt(response)}")
        if not response.is_success:
            raise SendFailed(f"{where}: answered {status}: {excerpt(response)}")
        return response
