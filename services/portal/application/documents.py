"""Handing out the documents on the public register: only one the portal's own view lists
for that agreement, its bytes from the local cache by SHA-256, fetched from the agreements
service with the portal's token on a miss and kept only when they hash right."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import BinaryIO, Protocol
from uuid import UUID

from prometheus_client import Counter

from plumbing.db import Pool
from services.portal.adapters import store
from services.portal.adapters.document_cache import DocumentCache, WrongBytes
from services.portal.domain.register import PublicDocument

log = logging.getLogger(__name__)

DOCUMENTS_SERVED = Counter(
    "kerjasama_portal_documents_served_total",
    "Documents of the public register handed out, by where the bytes came from (cache, "
    "agreements).", ["source"])
DOCUMENTS_REFUSED = Counter(
    "kerjasama_portal_documents_refused_total",
    "Documents the agreements service sent whose bytes did not hash to the SHA-256 of "
    "their event (never served).")


class DocumentSource(Protocol):
    """Where the bytes come from on a cache miss (the agreements service)."""

    async def download(self, document_id: UUID, write: Callable[[bytes], object]) -> None:
        """Stream the document's bytes to ``write``."""


class Documents:
    """The register's documents: which are listed, and their checked bytes."""

    def __init__(self, pool: Pool, cache: DocumentCache, source: DocumentSource) -> None:
        self._pool = pool
        self._cache = cache
        self._source = source
        self._filling: dict[str, asyncio.Lock] = {}

    async def listed(self, agreement_id: UUID, document_id: UUID) -> PublicDocument | None:
        """The document when it is on the public register of that public agreement."""
        return await store.listed_document(self._pool, agreement_id, document_id)

    async def content(self, document: PublicDocument) -> BinaryIO:
        """The document's bytes at offset 0 (the caller closes the file): from the cache,
        else fetched and kept. Raises WrongBytes when the agreements service sent other
        bytes than the event named, and what the source raises (unreachable, refused)."""
        cached = await self._cache.open(document.sha256)
        if cached is not None:
            DOCUMENTS_SERVED.labels("cache").inc()
            return cached
        lock = self._filling.setdefault(document.sha256, asyncio.Lock())
        try:
            async with lock:  # one fetch per document at a time; the others wait for it
                cached = await self._cache.open(document.sha256)
                if cached is not None:
                    DOCUMENTS_SERVED.labels("cache").inc()
                    return cached
                try:
                    filled = await self._cache.fill(
                        document.sha256, document.size,
                        lambda write: self._source.download(document.id, write))
                except WrongBytes:
                    DOCUMENTS_REFUSED.inc()
                    log.error("document %s: the agreements service sent bytes that are not "
                              "those of SHA-256 %s; refused", document.id, document.sha256)
                    raise
                DOCUMENTS_SERVED.labels("agreements").inc()
                return filled
        finally:
            if not lock.locked():
                self._filling.pop(document.sha256, None)

    async def sweep(self) -> int:
        """Delete the cached files no document on the register names any more, and trim the
        cache to its bound; how many files were deleted."""
        deleted = await self._cache.sweep(
            lambda hashes: store.listed_hashes(self._pool, hashes))
        if deleted:
            log.info("document cache: %d files deleted", deleted)
        return deleted
