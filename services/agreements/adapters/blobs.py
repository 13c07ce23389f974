"""Where the archive keeps documents' bytes: content-addressed, by SHA-256.

:class:`BlobStore` is the port; :class:`DirectoryBlobStore` keeps them in a directory
(``<root>/<2 hex>/<2 hex>/<sha256>``) and :mod:`.s3_blobs` keeps them in any S3-compatible
store. A blob is written once
(storing the same bytes again is a no-op, unless the copy kept was damaged: then it is
replaced, so attaching the file again repairs it) and read back verified: :func:`read_verified`
copies it into a spooled file while hashing, and a digest that differs from its name is
an :class:`IntegrityFailure`, never a wrong file handed out.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

CHUNK = 256 * 1024
SPOOL_BYTES = 1024 * 1024
"""A verified download is held in memory up to this size, on disk above it."""


class BlobMissing(Exception):
    """Raised when the store holds no blob under a digest the archive references."""


class StoreUnavailable(Exception):
    """Raised when the blob store cannot be used now (unreachable, refusing, full)."""


class IntegrityFailure(Exception):
    """Raised when a stored blob's bytes do not hash to the digest it is stored under."""


@dataclass(frozen=True)
class Staged:
    """An upload written to a local file, with its digest and size."""

    path: Path
    sha256: str
    size: int


class BlobStore(Protocol):
    """Content-addressed storage of the archive's bytes."""

    async def put(self, staged: Staged, media_type: str) -> None:
        """Keep the staged file's bytes under its digest (a no-op if already kept); the
        staged file may be moved or left for the caller to remove."""
        ...

    def chunks(self, sha256: str) -> AsyncIterator[bytes]:
        """The bytes kept under ``sha256``, in chunks; raises BlobMissing."""
        ...


async def read_verified(store: BlobStore, sha256: str) -> IO[bytes]:
    """The bytes under ``sha256`` in a spooled file positioned at 0, after checking that
    they hash to it; raises IntegrityFailure (and BlobMissing)."""
    spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    digest = hashlib.sha256()
    try:
        async for chunk in store.chunks(sha256):
            digest.update(chunk)
            await asyncio.to_thread(spool.write, chunk)  # to disk past SPOOL_BYTES
    except BaseException:
        spool.close()
        raise
    if digest.hexdigest() != sha256:
        spool.close()
        raise IntegrityFailure(f"the blob stored as {sha256} hashes to {digest.hexdigest()}")
    spool.seek(0)
    return spool


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes (blocking: for a worker thread)."""
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class DirectoryBlobStore:
    """Blobs as files under ``root``, written atomically (rename) and read-only."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, sha256: str) -> Path:
        """Where the blob of ``sha256`` lives."""
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def _put(self, staged: Staged) -> None:
        target = self.path_of(staged.sha256)
        if target.exists() and file_sha256(target) == staged.sha256:
            return  # kept already; a damaged copy is replaced (a second upload repairs it)
        target.parent.mkdir(parents=True, exist_ok=True)
        # same filesystem as the target: copy into a sibling, then rename into place
        copy = tempfile.NamedTemporaryFile(dir=target.parent, delete=False)
        try:
            with copy, staged.path.open("rb") as source:
                while chunk := source.read(CHUNK):
                    copy.write(chunk)
                copy.flush()
                os.fsync(copy.fileno())
            os.chmod(copy.name, 0o440)
            os.replace(copy.name, target)
        except BaseException:
            Path(copy.name).unlink(missing_ok=True)
            raise

    async def put(self, staged: Staged, media_type: str) -> None:
        del media_type
        try:
            await asyncio.to_thread(self._put, staged)
        except OSError as error:
            raise StoreUnavailable(f"cannot write under {self.root}: {error}") from error

    async def chunks(self, sha256: str) -> AsyncIterator[bytes]:
        try:
            source = await asyncio.to_thread(self.path_of(sha256).open, "rb")
        except FileNotFoundError:
            raise BlobMissing(f"no blob {sha256} under {self.root}") from None
        with contextlib.closing(source):
            while chunk := await asyncio.to_thread(source.read, CHUNK):
                yield chunk
