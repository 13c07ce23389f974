"""The request head (request line and headers) is capped while it is read: a 431 past it.

uvicorn's httptools protocol reads a request head of any size into memory before the
application sees it (h11's cap answers a bare 400). :func:`capped_protocol` is that
protocol with a cap: bytes are counted as they arrive while the head is incomplete, and a
complete head is measured exactly, so a head above ``max_bytes`` is answered with a 431
problem after at most one more network read. What the client still sends is read and
thrown away (up to DRAIN_BYTES, within DRAIN_SECONDS) before the connection is closed, so
a client that writes its whole request before reading sees the answer. The cap is
``KERJASAMA_MAX_HEADER_BYTES`` (:class:`plumbing.limits.LimitsSettings`).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

DEFAULT_MAX_HEADER_BYTES = 16 * 1024
DRAIN_BYTES = 8 * 1024 * 1024
DRAIN_SECONDS = 5.0
TITLE = "Request Header Fields Too Large"  # RFC 6585 §5


class HeadTooLarge(Exception):
    """Raised (inside the parser) when a complete request head is larger than the cap."""


def head_too_large(max_bytes: int) -> bytes:
    """The whole HTTP answer to a head above ``max_bytes``: a 431 problem, then close."""
    body = json.dumps({
        "type": "urn:kerjasama:problem:header-too-large", "title": TITLE, "status": 431,
        "detail": f"the request line and headers are larger than {max_bytes} bytes; "
                  "nothing was processed", "max_bytes": max_bytes}).encode()
    return (f"HTTP/1.1 431 {TITLE}\r\ncontent-type: application/problem+json\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n").encode() + body


def capped_protocol(max_bytes: int = DEFAULT_MAX_HEADER_BYTES) -> type[asyncio.Protocol]:
    """uvicorn's httptools protocol, refusing request heads larger than ``max_bytes``."""

    class CappedHttpToolsProtocol(HttpToolsProtocol):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._in_head, self._head_bytes, self._too_large = True, 0, False
            self._heads_completed = 0
            self._draining: int | None = None

        def data_received(self, data: bytes) -> None:
            if self._draining is not None:  # answered: read the rest and throw it away
                self._draining -= len(data)
                if self._draining <= 0:
                    self.transport.close()
                return
            started_in_head, heads = self._in_head, self._heads_completed
            super().data_received(data)
            # Count a read only while it leaves the head incomplete: a read in which a head
            # completed was measured exactly there, and holds body bytes (perhaps a whole
            # request, already handed to the application) that are no head at all.
            if (started_in_head and self._in_head and heads == self._heads_completed
                    and not self.transport.is_closing()):
                self._head_bytes += len(data)  # the head so far; the parser buffers it
                if self._head_bytes > max_bytes:
                    self._refuse()

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._head_bytes = 0

        def on_headers_complete(self) -> None:
            self._in_head = False
            self._heads_completed += 1
            size = len(self.url) + sum(len(n) + len(v) + 4 for n, v in self.headers)
            if size > max_bytes:
                self._too_large = True
                raise HeadTooLarge  # the parser stops; uvicorn then calls send_400_response
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            super().on_message_complete()
            self._in_head = True

        def send_400_response(self, msg: str) -> None:
            if self._too_large:
                self._refuse()
            else:
                super().send_400_response(msg)

        def _refuse(self) -> None:
            self.logger.warning("Request head larger than %d bytes refused.", max_bytes)
            self.transport.write(head_too_large(max_bytes))
            self._draining = DRAIN_BYTES
            self.loop.call_later(DRAIN_SECONDS, self.transport.close)

    return CappedHttpToolsProtocol
