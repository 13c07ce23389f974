"""Read the agreements service's events over HTTP: one stream, or the global feed.

Consumers use it to fill a gap at once (docs/domain.md#event-log: ``GET /agreements/{id}/events``,
and ``GET /work-programs/{year}/events`` for a work program) and to rebuild from position 0 (``GET
/events?after=&limit=``, newline-delimited). Network errors and 5xx answers are transient
(:func:`plumbing.retry.is_transient` retries them); a malformed event is a ContractError.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any
from uuid import UUID

import httpx

from contracts.codec import Decoded, decode
from contracts.feed import FEED_PATH, stream_path
from contracts.ledger import LedgerCheckpointed
from contracts.roles import REPORTING
from plumbing.errors import ConfigError
from plumbing.inbox import InboxEvent
from plumbing.keys import read_signing_key
from plumbing.settings import ConsumerSettings
from plumbing.tokens import (
    SERVICE_TOKEN_SECONDS,
    FileToken,
    TokenSource,
    mint_dev_token,
    read_dev_key,
    refuse_dev_key_outside_development,
)
from plumbing.tracing import TRACEPARENT, TRACESTATE

NDJSON = "application/x-ndjson"
CHECKPOINTS_PATH = "/checkpoints"
DOCUMENT_CHUNK = 64 * 1024


class AgreementsUnavailable(httpx.TransportError):
    """Raised when the agreements service answers 5xx: transient, worth a retry."""


class DocumentNotReadable(LookupError):
    """Raised when the agreements service does not hand out a document to this caller: it
    is unknown (404) or not readable by it (403), e.g. taken off the public register."""


def inbox_event(decoded: Decoded, *, body: bytes | None = None,
                replay: bool = False) -> InboxEvent:
    """The inbox's view of an agreement event: id, stream, version and position (and, for
    a delivered message, its body, kept if the stream is parked)."""
    envelope = decoded.envelope
    if envelope.subject is None or envelope.sequence is None:
        raise ValueError(f"event {envelope.id} has no subject or sequence")
    return InboxEvent(event_id=envelope.id, stream_id=envelope.subject,
                      version=int(envelope.sequence), position=envelope.position,
                      payload=decoded, body=body, replay=replay,
                      trace={TRACEPARENT: envelope.traceparent,
                             TRACESTATE: envelope.tracestate or ""}
                      if envelope.traceparent else {})


class BearerToken(httpx.Auth):
    """Sets ``Authorization: Bearer`` on each request from a token source (a service's
    tokens are short-lived and minted again before they expire)."""

    def __init__(self, token: Callable[[], str]) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token()}"
        yield request


def agreements_token_from(settings: ConsumerSettings, service: str) -> TokenSource | FileToken:
    """The bearer token with which ``service`` reads the agreements service's events, called
    per request.

    Minted as ``service:<service>`` with role ``reporting`` for SERVICE_TOKEN_SECONDS (at
    most the lifetime cap) with the signing key, else read from the token file, else
    (development only) minted with the development key.
    """
    ttl = min(SERVICE_TOKEN_SECONDS, settings.auth_max_token_lifetime_seconds)
    subject, issuer, audience = f"service:{service}", settings.auth_issuer, settings.auth_audience
    if settings.agreements_signing_key_file is not None:
        key = read_signing_key(settings.agreements_signing_key_file,
                               "KERJASAMA_AGREEMENTS_SIGNING_KEY_FILE")
        return TokenSource(lambda seconds: key.mint(subject, [REPORTING], issuer=issuer,
                                                    audience=audience, ttl_seconds=seconds), ttl)
    if settings.agreements_token_file is not None:
        return FileToken(settings.agreements_token_file, "KERJASAMA_AGREEMENTS_TOKEN_FILE")
    if settings.auth_dev_key_file is not None:
        refuse_dev_key_outside_development(settings.development)
        secret = read_dev_key(settings.auth_dev_key_file)
        return TokenSource(lambda seconds: mint_dev_token(
            secret, subject, [REPORTING], issuer=issuer, audience=audience,
            ttl_seconds=seconds), ttl)
    raise ConfigError("KERJASAMA_AGREEMENTS_SIGNING_KEY_FILE (or "
                      "KERJASAMA_AGREEMENTS_TOKEN_FILE) must be set: how this service "
                      "authenticates to the agreements service")


class AgreementsClient:
    """Reads events from the agreements service at ``base_url``.

    ``token`` is a bearer token, or a callable asked for the current one before each request.
    """

    def __init__(self, base_url: str, *, timeout: float = 10.0,
                 token: str | Callable[[], str] | None = None,
                 client: httpx.AsyncClient | None = None) -> None:
        auth = None if not token else BearerToken(token if callable(token)
                                                  else lambda: token)
        self._client = client or httpx.AsyncClient(base_url=base_url, timeout=timeout,
                                                   auth=auth)

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self._client.aclose()

    async def _get(self, path: str, params: dict[str, Any] | None = None) -> list[Any]:
        response = await self._client.get(path, params=params)
        if response.status_code >= 500:
            raise AgreementsUnavailable(f"GET {path}: {response.status_code} from the "
                                        "agreements service")
        if response.status_code == 404:
            return []
        response.raise_for_status()
        body = response.json()
        if not isinstance(body, list):
            raise ValueError(f"GET {path}: expected a JSON list, got {type(body).__name__}")
        return body

    async def stream(self, stream_id: str) -> list[Decoded]:
        """Every event of one stream, in version order (empty if unknown)."""
        items = await self._get(stream_path(stream_id))
        return [decode(item, unknown_events=True) for item in items]

    async def missing(self, stream_id: str, first: int, last: int) -> list[InboxEvent]:
        """Versions ``first``..``last`` of a stream, for :func:`plumbing.inbox.handle`."""
        events = [inbox_event(d) for d in await self.stream(stream_id)]
        return [e for e in events if first <= e.version <= last]

    async def checkpoints(self, after: int, limit: int = 1000) -> list[LedgerCheckpointed]:
        """The signed ledger checkpoints after a position, oldest first."""
        items = await self._get(CHECKPOINTS_PATH, {"after": after, "limit": limit})
        return [LedgerCheckpointed.model_validate(item) for item in items]

    async def feed(self, after: int, limit: int = 1000) -> list[Decoded]:
        """Up to ``limit`` events after ``after``, in position order.

        Asks for the newline-delimited encoding (one CloudEvent a line, encoded by the
        agreements service's database); a service that answers with a JSON list is read as
        well.
        """
        response = await self._client.get(FEED_PATH, params={"after": after, "limit": limit},
                                          headers={"accept": f"{NDJSON}, application/json"})
        if response.status_code >= 500:
            raise AgreementsUnavailable(f"GET /events: {response.status_code} from the "
                                        "agreements service")
        response.raise_for_status()
        if response.headers.get("content-type", "").startswith(NDJSON):
            return [decode(line, unknown_events=True)
                    for line in response.content.splitlines() if line]
        body = response.json()
        if not isinstance(body, list):
            raise ValueError(f"GET /events: expected a JSON list, got {type(body).__name__}")
        return [decode(item, unknown_events=True) for item in body]

    async def download(self, document_id: UUID, write: Callable[[bytes], object]) -> None:
        """Stream the bytes of ``GET /documents/{document_id}`` to ``write``, chunk by
        chunk (``write`` may raise to stop).

        Raises AgreementsUnavailable on a 5xx answer (and httpx.TransportError when the
        service cannot be reached), DocumentNotReadable on 403, 404 or 410, and
        httpx.HTTPStatusError on any other answer than 200. The caller checks the bytes
        against the digest it knows: this method trusts nothing it receives.
        """
        path = f"/documents/{document_id}"
        async with self._client.stream("GET", path) as response:
            if response.status_code >= 500:
                raise AgreementsUnavailable(f"GET {path}: {response.status_code} from the "
                                            "agreements service")
            if response.status_code in (403, 404, 410):
                raise DocumentNotReadable(f"GET {path}: {response.status_code} from the "
                                          "agreements service")
            if response.status_code != 200:
                raise httpx.HTTPStatusError(f"GET {path}: {response.status_code} from the "
                                            "agreements service", request=response.request,
                                            response=response)
            async for chunk in response.aiter_bytes(DOCUMENT_CHUNK):
                write(chunk)
