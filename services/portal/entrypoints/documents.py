"""``GET /register/{agreement_id}/documents/{document_id}``: a document on the public
register, its bytes checked against the SHA-256 of its event.

404 (the portal's page) unless the portal's own view lists the document for that public
agreement; 503 with ``Retry-After`` when the bytes are not cached and the agreements
service cannot be reached; 502 when it sends other bytes than the event named (never
served). The answer is addressed by content: ``ETag`` is the SHA-256, and it may be kept
for a year (304 on ``If-None-Match``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import BinaryIO
from uuid import UUID

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from starlette.background import BackgroundTask

from plumbing.agreements_client import DocumentNotReadable
from plumbing.http import content_disposition
from services.portal.adapters.document_cache import WrongBytes
from services.portal.application.documents import Documents
from services.portal.entrypoints.i18n import language_of
from services.portal.entrypoints.pages import Lang, Pages

log = logging.getLogger(__name__)

REVALIDATE = "public, no-cache"
"""Caches keep a document but ask again each time (a 304 by its ETag): a takedown then
reaches every browser and shared cache at once."""
RETRY_AFTER_SECONDS = 30
CHUNK = 64 * 1024
INLINE = ("application/pdf", "image/png", "image/jpeg")
"""Shown in the browser; office files are downloaded."""


def matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` header names ``etag`` (weakly compared) or is ``*``."""
    if not if_none_match:
        return False
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or etag in tags


def _chunks(file: BinaryIO) -> Iterator[bytes]:
    try:
        while chunk := file.read(CHUNK):
            yield chunk
    finally:
        file.close()


def build_documents_router(documents: Documents, pages: Pages) -> APIRouter:
    """The route of the register's documents."""
    router = APIRouter()

    @router.get("/register/{agreement_id}/documents/{document_id}", response_class=Response)
    async def document(request: Request, agreement_id: str, document_id: str,
                       lang: Lang = None) -> Response:
        language = language_of(lang)
        try:
            agreement, wanted = UUID(agreement_id), UUID(document_id)
        except ValueError:
            return await pages.not_found(request, language)
        listed = await documents.listed(agreement, wanted)
        if listed is None:
            return await pages.not_found(request, language)
        etag = f'"{listed.sha256}"'
        headers = {"ETag": etag, "Cache-Control": REVALIDATE,
                   "X-Content-Type-Options": "nosniff"}
        if matches(request.headers.get("if-none-match"), etag):
            return Response(status_code=304, headers=headers)
        try:
            content = await documents.content(listed)
        except DocumentNotReadable as refused:  # taken down there; the event is on its way
            log.warning("document %s is listed but not handed out: %s", listed.id, refused)
            return await pages.not_found(request, language)
        except (WrongBytes, httpx.HTTPStatusError) as failure:
            log.error("document %s: the agreements service's answer is refused: %s",
                      listed.id, failure)
            return pages.problem(language, "document_refused", 502)
        except (httpx.TransportError, OSError) as failure:
            log.warning("document %s cannot be fetched now: %r", listed.id, failure)
            return pages.problem(language, "document_unavailable", 503,
                                 {"Retry-After": str(RETRY_AFTER_SECONDS)})
        return StreamingResponse(
            _chunks(content), media_type=listed.media_type,
            background=BackgroundTask(content.close),
            headers={**headers, "Content-Length": str(listed.size),
                     "Content-Disposition": content_disposition(
                         listed.filename, inline=listed.media_type in INLINE)})

    return router
