"""Read the agreements service's events over HTTP: one stream, or the global feed.

Consumers use it to fill a gap at once (DESIGN §3: ``GET /agreements/{id}/events``, and
``GET /work-programs/{year}/events`` for a work program) and to rebuild from position 0
(``GET /events?after=&limit=``, newline-delimited). Network errors and 5xx answers are transient
(:func:`plumbing.retry.is_transient` retries them); a malformed event is a ContractError.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import httpx

from contracts.codec import Decoded, decode
from plumbing.inbox import InboxEvent

WORK_PROGRAM_PREFIX = "work-program-"
NDJSON = "application/x-ndjson"


class AgreementsUnavailable(httpx.TransportError):
    """Raised when the agreements service answers 5xx: transient, worth a retry."""


def inbox_event(decoded: Decoded, *, body: bytes | None = None,
                replay: bool = False) -> InboxEvent:
    """The inbox's view of an agreement event: id, stream, version and position (and, for
    a delivered message, its body, kept if the stream is parked)."""
    envelope = decoded.envelope
    if envelope.subject is None or envelope.sequence is None:
        raise ValueError(f"event {envelope.id} has no subject or sequence")
    return InboxEvent(event_id=envelope.id, stream_id=envelope.subject,
                      version=int(envelope.sequence), position=envelope.position,
                      payload=decoded, body=body, replay=replay)


def stream_path(stream_id: str) -> str:
    """The HTTP path of a stream's events."""
    if stream_id.startswith(WORK_PROGRAM_PREFIX):
        return f"/work-programs/{stream_id.removeprefix(WORK_PROGRAM_PREFIX)}/events"
    return f"/agreements/{stream_id}/events"


class BearerToken(httpx.Auth):
    """Sets ``Authorization: Bearer`` on each request from a token source (a service's
    tokens are short-lived and minted again before they expire)."""

    def __init__(self, token: Callable[[], str]) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token()}"
        yield request


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

    async def feed(self, after: int, limit: int = 1000) -> list[Decoded]:
        """Up to ``limit`` events after ``after``, in position order.

        Asks for the newline-delimited encoding (one CloudEvent a line, encoded by the
        agreements service's database); a service that answers with a JSON list is read as
        well.
        """
        response = await self._client.get("/events", params={"after": after, "limit": limit},
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
