"""The archive's records in the agreements database: which agreement holds a document
(found through the event that attached it) and the audit log of downloads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from plumbing.db import Pool

ATTACHED = "kerjasama.agreement.document_attached.v1"


@dataclass(frozen=True)
class Download:
    """One download of a document, as recorded."""

    document_id: UUID
    agreement_id: UUID
    sha256: str
    actor: str
    outcome: str
    """``served``, ``integrity-failure`` or ``missing``."""
    at: datetime | None = None


class DocumentRecords(Protocol):
    """Where the archive looks documents up and records downloads."""

    async def agreement_of(self, document_id: UUID) -> UUID | None:
        """The agreement that holds ``document_id``, if any."""
        ...

    async def record_download(self, download: Download) -> None:
        """Record a download (or a refused one) for audit."""
        ...

    async def downloads(self, document_id: UUID, limit: int) -> list[Download]:
        """The latest downloads of a document, newest first."""
        ...


class PostgresDocumentRecords:
    """:class:`DocumentRecords` on the agreements database."""

    def __init__(self, pool: Pool) -> None:
        self.pool = pool

    async def agreement_of(self, document_id: UUID) -> UUID | None:
        stream = await self.pool.fetchval(
            "SELECT stream_id FROM events WHERE type = $1 AND data ->> 'document_id' = $2",
            ATTACHED, str(document_id))
        return None if stream is None else UUID(stream)

    async def record_download(self, download: Download) -> None:
        await self.pool.execute(
            "INSERT INTO document_downloads (document_id, agreement_id, sha256, actor, "
            "outcome) VALUES ($1, $2, $3, $4, $5)", download.document_id,
            download.agreement_id, download.sha256, download.actor, download.outcome)

    async def downloads(self, document_id: UUID, limit: int) -> list[Download]:
        rows = await self.pool.fetch(
            "SELECT document_id, agreement_id, sha256, actor, outcome, at "
            "FROM document_downloads WHERE document_id = $1 ORDER BY at DESC, id DESC "
            "LIMIT $2", document_id, limit)
        return [Download(**dict(r)) for r in rows]
