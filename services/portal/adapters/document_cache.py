"""The portal's cache of documents' bytes, addressed by content: one file per SHA-256 in a
directory, written atomically (a temporary file renamed into place), checked by hashing
when filled and again before each serving, bounded in size (the least recently served
files go first) and swept of what the register no longer lists."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import re
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import BinaryIO

log = logging.getLogger(__name__)

DIGEST = re.compile(r"^[0-9a-f]{64}$")
FILLING = ".filling-"
"""Prefix of a file being filled (never served; a stale one is deleted by the sweep)."""
STALE_FILL_SECONDS = 3600.0

Fetch = Callable[[Callable[[bytes], object]], Awaitable[None]]
"""Fetches a document's bytes, handing each chunk to the writer it is given."""


class WrongBytes(ValueError):
    """Raised when the bytes received for a document are not the ones its SHA-256 and size
    name (nothing is kept)."""


class DocumentCache:
    """Documents' bytes by SHA-256 in ``root``, at most ``max_bytes`` of them kept."""

    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes
        root.mkdir(parents=True, exist_ok=True)

    def path(self, sha256: str) -> Path:
        """Where the bytes of ``sha256`` are kept."""
        if not DIGEST.match(sha256):
            raise ValueError(f"not a SHA-256 in lowercase hex: {sha256!r}")
        return self.root / sha256

    async def open(self, sha256: str) -> BinaryIO | None:
        """The kept bytes of ``sha256``, checked, as a file at offset 0 (the caller closes
        it); None when they are not kept. A file whose bytes do not hash to its name is
        deleted."""
        return await asyncio.to_thread(self._open, sha256)

    def _open(self, sha256: str) -> BinaryIO | None:
        path = self.path(sha256)
        try:
            file = path.open("rb")
        except FileNotFoundError:
            return None
        try:
            digest = hashlib.file_digest(file, "sha256").hexdigest()
            if digest != sha256:
                log.error("document cache: %s holds bytes of SHA-256 %s; deleted", path, digest)
                path.unlink(missing_ok=True)
                file.close()
                return None
            file.seek(0)
            os.utime(file.fileno())  # served now: the most recently used
        except BaseException:
            file.close()
            raise
        return file

    async def fill(self, sha256: str, size: int, fetch: Fetch) -> BinaryIO:
        """Fetch the bytes of ``sha256`` (``size`` of them) into a temporary file, check
        them, rename the file into place and return it opened as :meth:`open` does.
        Raises WrongBytes when they are not those bytes, and what ``fetch`` raises;
        nothing is kept then."""
        target = self.path(sha256)
        handle, name = tempfile.mkstemp(prefix=FILLING, dir=self.root)
        temporary = Path(name)
        try:
            with os.fdopen(handle, "wb") as out:
                digest = hashlib.sha256()
                received = 0

                def write(chunk: bytes) -> None:
                    nonlocal received
                    received += len(chunk)
                    if received > size:
                        raise WrongBytes(f"more than the {size} bytes of document {sha256}")
                    digest.update(chunk)
                    out.write(chunk)

                await fetch(write)
                if received != size or digest.hexdigest() != sha256:
                    raise WrongBytes(f"received {received} bytes of SHA-256 "
                                     f"{digest.hexdigest()}, expected {size} of {sha256}")
                await asyncio.to_thread(_durable, out)
            await asyncio.to_thread(os.replace, temporary, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
        opened = await self.open(sha256)
        if opened is None:
            raise WrongBytes(f"document {sha256} changed on disk as it was kept")
        await asyncio.to_thread(self.trim)  # the new file is the newest: trimmed last
        return opened

    def _kept(self) -> list[tuple[float, int, Path]]:
        """(last use, size, path) of every kept file."""
        kept = []
        for entry in os.scandir(self.root):
            if entry.is_file() and DIGEST.match(entry.name):
                with contextlib.suppress(FileNotFoundError):
                    stat = entry.stat()
                    kept.append((stat.st_mtime, stat.st_size, Path(entry.path)))
        return kept

    def trim(self) -> int:
        """Delete the least recently used files until at most ``max_bytes`` are kept; how
        many were deleted."""
        kept = sorted(self._kept())
        total = sum(size for _, size, _ in kept)
        deleted = 0
        for _, size, path in kept:
            if total <= self.max_bytes:
                break
            path.unlink(missing_ok=True)
            total -= size
            deleted += 1
        return deleted

    async def sweep(self, listed: Callable[[list[str]], Awaitable[Iterable[str]]]) -> int:
        """Delete the files whose SHA-256 ``listed`` no longer names (no document on the
        register has them), fills left behind by a stopped process, and what is above the
        bound; how many files were deleted."""
        kept = await asyncio.to_thread(self._kept)
        still = set(await listed([path.name for _, _, path in kept]))
        gone = [path for _, _, path in kept if path.name not in still]
        deleted = await asyncio.to_thread(_delete, gone)
        deleted += await asyncio.to_thread(self._stale_fills)
        return deleted + await asyncio.to_thread(self.trim)

    def _stale_fills(self) -> int:
        old = time.time() - STALE_FILL_SECONDS
        stale = []
        for entry in os.scandir(self.root):
            if entry.name.startswith(FILLING):
                with contextlib.suppress(FileNotFoundError):
                    if entry.stat().st_mtime < old:
                        stale.append(Path(entry.path))
        return _delete(stale)


def _durable(out: BinaryIO) -> None:
    out.flush()
    os.fsync(out.fileno())


def _delete(paths: Iterable[Path]) -> int:
    deleted = 0
    for path in paths:
        path.unlink(missing_ok=True)
        deleted += 1
    return deleted
