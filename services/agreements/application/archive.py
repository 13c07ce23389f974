"""The archive's use cases (docs/domain.md#documents): attach an uploaded document, list
an agreement's documents, hand out one verified, take a public one down.

An upload is staged to a local file and hashed while it is received (entrypoints). Here
its type is told by its content, the command is decided once without storing anything
(a refusal stores nothing), the bytes are kept by their digest, and the command is then
handled like any other: its event names the bytes by their SHA-256.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Set
from dataclasses import dataclass
from typing import IO
from uuid import UUID, uuid4, uuid5

from contracts.commands import AttachDocument, UnpublishDocument
from contracts.documents import DocumentKind
from contracts.events import AgreementEventData
from services.agreements.adapters.blobs import (
    BlobMissing,
    BlobStore,
    IntegrityFailure,
    Staged,
    read_verified,
)
from services.agreements.adapters.content import media_type_of, safe_filename
from services.agreements.adapters.documents import DocumentRecords, Download
from services.agreements.adapters.event_store import EventStore
from services.agreements.application.errors import NotFound, UnsupportedDocument
from services.agreements.application.metrics import DOCUMENT_INTEGRITY_FAILURES, DOCUMENTS
from services.agreements.application.service import Accepted, AgreementService, record_key
from services.agreements.application.streams import load
from services.agreements.domain import AGREEMENTS, AgreementState, ArchivedDocument
from services.agreements.domain.errors import DocumentNotFound
from services.agreements.domain.permissions import authorize_attaching, authorize_reading

log = logging.getLogger("kerjasama.agreements.archive")
DOCUMENT_IDS = UUID("5d0c7c1e-6f7a-4f2e-9a51-6b2c1d0e4a37")
"""Namespace of the document ids derived from a caller's Idempotency-Key, so that a
retried upload answers the same document."""


@dataclass(frozen=True)
class Attached:
    """The answer to an accepted upload."""

    document: ArchivedDocument
    accepted: Accepted


def document_id_for(actor: str, idempotency_key: str | None) -> UUID:
    """A new document's id: derived from the caller's key when given, else random."""
    if idempotency_key is None:
        return uuid4()
    return uuid5(DOCUMENT_IDS, record_key(actor, idempotency_key))


class Archive:
    """Attaches, lists, serves and unpublishes the agreements' documents."""

    def __init__(self, service: AgreementService, store: EventStore, blobs: BlobStore,
                 records: DocumentRecords) -> None:
        self._service = service
        self._store = store
        self._blobs = blobs
        self._records = records

    async def attach(self, agreement_id: UUID, staged: Staged, *, kind: DocumentKind,
                     public: bool, supersedes: UUID | None, filename: str | None,
                     actor: str, roles: Set[str], idempotency_key: str | None,
                     expected_version: int | None = None) -> Attached:
        """Attach the staged upload; raises UnsupportedDocument (415) or a refusal."""
        media_type = await asyncio.to_thread(media_type_of, staged.path)  # opens zips
        if media_type is None:
            raise UnsupportedDocument(
                "the file is none of the archive's types (PDF, ODF or OOXML office "
                "documents, PNG, JPEG), judged by its content")
        command = AttachDocument(
            agreement_id=agreement_id, expected_version=expected_version,
            command_id=idempotency_key or str(uuid4()),
            document_id=document_id_for(actor, idempotency_key), kind=kind,
            sha256=staged.sha256, size=staged.size, media_type=media_type,
            filename=safe_filename(filename, media_type), public=public,
            supersedes=supersedes)
        accepted = await self._service.check(command, actor=actor, roles=roles)
        if accepted is None:
            await self._blobs.put(staged, media_type)
            accepted = await self._service.handle(command, actor=actor, roles=roles)
            DOCUMENTS.labels(kind.value).inc()
        document = ArchivedDocument(command.document_id, kind, staged.sha256, staged.size,
                                    media_type, command.filename, public, supersedes)
        return Attached(document, accepted)

    async def ensure_may_attach(self, agreement_id: UUID, roles: Set[str]) -> None:
        """Refuse (404, 403) before an upload's body is read, when the agreement does not
        exist or the caller may not attach to it; the command is decided again after."""
        authorize_attaching(roles, await self._agreement(agreement_id))

    async def _agreement(self, agreement_id: UUID) -> AgreementState:
        loaded = await load(self._store, str(agreement_id), AGREEMENTS, AgreementEventData)
        if loaded.state is None:
            raise NotFound(f"no agreement with id {agreement_id}")
        return loaded.state

    async def documents(self, agreement_id: UUID) -> list[ArchivedDocument]:
        """The agreement's documents, oldest first: what they are, as the events and the
        agreement's view say to every authenticated reader (their bytes are another
        matter, :meth:`readable`)."""
        return list((await self._agreement(agreement_id)).documents)

    async def holder(self, document_id: UUID) -> AgreementState:
        """The agreement that holds ``document_id`` (404 when none does)."""
        agreement_id = await self._records.agreement_of(document_id)
        if agreement_id is None:
            raise DocumentNotFound(f"no document with id {document_id}")
        return await self._agreement(agreement_id)

    async def readable(self, document_id: UUID,
                       roles: Set[str]) -> tuple[AgreementState, ArchivedDocument]:
        """The agreement holding ``document_id`` and the document, for a caller who may
        read it (404, 403 otherwise)."""
        state = await self.holder(document_id)
        document = state.document(document_id)
        assert document is not None  # the holder's stream attached it
        authorize_reading(roles, state, document)
        return state, document

    async def open(self, state: AgreementState, document: ArchivedDocument, *,
                   actor: str) -> IO[bytes]:
        """The document's bytes, verified against its digest (a spooled file at 0); each
        download, and each that failed, is recorded. Raises IntegrityFailure or
        BlobMissing when the store does not hold the right bytes."""
        def logged(outcome: str) -> Download:
            return Download(document.id, state.id, document.sha256, actor, outcome)
        try:
            content = await read_verified(self._blobs, document.sha256)
        except (IntegrityFailure, BlobMissing) as failure:
            DOCUMENT_INTEGRITY_FAILURES.inc()
            log.error("document %s of agreement %s cannot be served: %s", document.id,
                      state.id, failure)
            await self._records.record_download(logged(
                "missing" if isinstance(failure, BlobMissing) else "integrity-failure"))
            raise
        await self._records.record_download(logged("served"))
        return content

    async def downloads(self, document_id: UUID, roles: Set[str],
                        limit: int) -> list[Download]:
        """The audit log of a document's downloads, for a caller who may read it."""
        state = await self.holder(document_id)
        authorize_reading(roles, state)
        return await self._records.downloads(document_id, limit)

    async def unpublish(self, document_id: UUID, *, reason: str | None, actor: str,
                        roles: Set[str], idempotency_key: str | None,
                        expected_version: int | None = None) -> Accepted:
        """Take a public document off the public register (its bytes stay)."""
        state = await self.holder(document_id)
        command = UnpublishDocument(agreement_id=state.id, document_id=document_id,
                                    reason=reason, expected_version=expected_version,
                                    command_id=idempotency_key or str(uuid4()))
        return await self._service.handle(command, actor=actor, roles=roles)
