"""HTTP routes of the archive (docs/domain.md#documents). Routes stay thin: the upload is
received (entrypoints.uploads), the use case (application.archive) does the rest."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.background import BackgroundTask

from contracts.commands import OptionalReasonBody
from contracts.documents import DocumentKind
from plumbing.http import content_disposition
from services.agreements.adapters.blobs import CHUNK
from services.agreements.application.archive import Archive
from services.agreements.application.errors import DocumentTooLarge, InvalidUpload
from services.agreements.domain import ArchivedDocument
from services.agreements.domain.errors import DocumentNotFound
from services.agreements.entrypoints.http import (
    Caller,
    IdempotencyKey,
    IfMatch,
    answer,
    parse_id,
    parse_if_match,
)
from services.agreements.entrypoints.uploads import drained, receive_upload

UPLOAD_PATH = "/agreements/[^/]+/documents"
"""The upload route, given a body limit of its own (plumbing.limits.allow_larger_body)."""
FORM_OVERHEAD = 64 * 1024
"""What a multipart body may hold beyond the file: boundaries, headers, the fields."""


UPLOAD_FORM: dict[str, Any] = {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file", "kind"], "properties": {
        "file": {"type": "string", "format": "binary", "description": "The document: PDF, "
                 "ODF or OOXML, PNG or JPEG (recognised by content)."},
        "kind": {"type": "string", "enum": [k.value for k in DocumentKind]},
        "public": {"type": "boolean", "default": False,
                   "description": "Shown on the public register."},
        "supersedes": {"type": "string", "format": "uuid",
                       "description": "The document this one is a new version of."}}}}}}
"""The upload's form as the OpenAPI document describes it (the route reads it streaming)."""


def document_json(document: ArchivedDocument) -> dict[str, Any]:
    """A document as the archive lists it."""
    return {"document_id": str(document.id), "kind": document.kind.value,
            "sha256": document.sha256, "size": document.size,
            "media_type": document.media_type, "filename": document.filename,
            "public": document.public, "published": document.published,
            "supersedes": document.supersedes and str(document.supersedes),
            "superseded_by": document.superseded_by and str(document.superseded_by),
            "current": document.current}


def parse_document_id(document_id: str) -> UUID:
    """A document id; one that is not a UUID names no document (404)."""
    try:
        return UUID(document_id)
    except ValueError:
        raise DocumentNotFound(f"no document with id {document_id}") from None


def _form(fields: dict[str, str]) -> tuple[DocumentKind, bool, UUID | None]:
    kinds = ", ".join(k.value for k in DocumentKind)
    if "kind" not in fields:
        raise InvalidUpload(f"the form field 'kind' is required: one of {kinds}")
    try:
        kind = DocumentKind(fields["kind"].strip())
    except ValueError:
        raise InvalidUpload(f"kind {fields['kind']!r} is not one of {kinds}") from None
    public = fields.get("public", "false").strip().lower()
    if public not in {"true", "false", "1", "0", "yes", "no", "on", "off"}:
        raise InvalidUpload(f"public must be true or false, not {fields['public']!r}")
    supersedes = None
    if fields.get("supersedes", "").strip():
        try:
            supersedes = UUID(fields["supersedes"].strip())
        except ValueError:
            raise InvalidUpload(f"supersedes must be a document id, not "
                                f"{fields['supersedes']!r}") from None
    return kind, public in {"true", "1", "yes", "on"}, supersedes


def repr_digest(sha256: str) -> str:
    """The ``Repr-Digest`` field of the bytes (RFC 9530)."""
    return f"sha-256=:{base64.b64encode(bytes.fromhex(sha256)).decode('ascii')}:"


def build_document_router(archive: Archive, *, staging: Path, max_bytes: int) -> APIRouter:
    """The archive's routes: upload, list, download, unpublish and the download log."""
    router = APIRouter(tags=["documents"])

    @router.post("/agreements/{agreement_id}/documents", status_code=201,
                 summary="Attach a document (multipart: file, kind, public, supersedes)",
                 openapi_extra={"requestBody": UPLOAD_FORM})
    async def upload(caller: Caller, agreement_id: str, request: Request,
                     idempotency_key: IdempotencyKey = None,
                     if_match: IfMatch = None) -> JSONResponse:
        try:
            agreement = parse_id(agreement_id)
            expected = parse_if_match(if_match)
            await archive.ensure_may_attach(agreement, caller.roles)
        except Exception:
            await drained(request.receive)  # the client sees the answer, not a reset
            raise
        try:
            received = await receive_upload(
                request.stream(), request.headers.get("content-type"), staging=staging,
                max_bytes=max_bytes, fields={"kind", "public", "supersedes"})
        except (DocumentTooLarge, InvalidUpload):
            await drained(request.receive)
            raise
        try:
            kind, public, supersedes = _form(received.fields)
            attached = await archive.attach(
                agreement, received.staged, kind=kind, public=public, supersedes=supersedes,
                filename=received.filename, actor=caller.subject, roles=caller.roles,
                idempotency_key=idempotency_key, expected_version=expected)
        finally:
            received.discard()
        doc = attached.document
        headers = answer(attached.accepted, 201, f"/documents/{doc.id}").headers
        return JSONResponse({"document_id": str(doc.id), "sha256": doc.sha256,
                             "size": doc.size, "media_type": doc.media_type,
                             "kind": doc.kind.value, "filename": doc.filename,
                             "version": attached.accepted.version}, status_code=201,
                            headers={k: v for k, v in headers.items()
                                     if k in {"etag", "location", "idempotent-replayed"}})

    @router.get("/agreements/{agreement_id}/documents", summary="The agreement's documents")
    async def listing(caller: Caller, agreement_id: str) -> list[dict[str, Any]]:
        del caller  # authenticated: the list is what the events say to every reader
        documents = await archive.documents(parse_id(agreement_id))
        return [document_json(d) for d in documents]

    @router.get("/documents/{document_id}", summary="A document's bytes (verified)",
                response_class=Response)
    async def download(caller: Caller, document_id: str, request: Request) -> Response:
        state, doc = await archive.readable(parse_document_id(document_id), caller.roles)
        etag = f'"{doc.sha256}"'
        if request.headers.get("if-none-match") in {etag, f"W/{etag}"}:
            return Response(status_code=304, headers={"ETag": etag})
        content = await archive.open(state, doc, actor=caller.subject)

        def chunks() -> Any:
            while chunk := content.read(CHUNK):
                yield chunk

        return StreamingResponse(
            chunks(), media_type=doc.media_type, background=BackgroundTask(content.close),
            headers={"ETag": f'"{doc.sha256}"', "Content-Length": str(doc.size),
                     "Content-Disposition": content_disposition(doc.filename),
                     "X-Content-Type-Options": "nosniff",
                     "Cache-Control": "private, no-cache",
                     "Repr-Digest": repr_digest(doc.sha256)})

    @router.post("/documents/{document_id}/unpublish",
                 summary="Take a public document off the public register")
    async def unpublish(caller: Caller, document_id: str,
                        body: Annotated[OptionalReasonBody | None, Body()] = None,
                        idempotency_key: IdempotencyKey = None,
                        if_match: IfMatch = None) -> JSONResponse:
        accepted = await archive.unpublish(
            parse_document_id(document_id), reason=body.reason if body else None,
            actor=caller.subject, roles=caller.roles, idempotency_key=idempotency_key,
            expected_version=parse_if_match(if_match))
        return answer(accepted, 200)

    @router.get("/documents/{document_id}/downloads", summary="Who downloaded a document")
    async def downloads(caller: Caller, document_id: str,
                        limit: Annotated[int, Query(ge=1, le=1000)] = 100
                        ) -> list[dict[str, Any]]:
        log = await archive.downloads(parse_document_id(document_id), caller.roles, limit)
        return [{"actor": d.actor, "at": d.at and d.at.isoformat(), "outcome": d.outcome,
                 "sha256": d.sha256} for d in log]

    return router
