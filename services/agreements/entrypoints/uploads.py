"""Receiving a multipart upload: the file part is streamed to a staging file and hashed
as it arrives (never held in memory), counted against the archive's size limit; the
other parts are small form fields. A refused upload leaves no staging file behind."""

from __future__ import annotations

import contextlib
import hashlib
import tempfile
from collections.abc import AsyncIterator, Set
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from plumbing.limits import drain
from services.agreements.adapters.blobs import Staged
from services.agreements.application.errors import DocumentTooLarge, InvalidUpload

FIELD_BYTES = 2048
"""Largest value of a form field other than the file."""


@dataclass
class Upload:
    """A received upload: its form fields, the staged file and the name the client gave."""

    fields: dict[str, str]
    staged: Staged
    filename: str | None

    def discard(self) -> None:
        """Remove the staging file (if the store did not take it)."""
        self.staged.path.unlink(missing_ok=True)


@dataclass
class _Part:
    headers: dict[str, str] = field(default_factory=dict)
    name: str = ""
    filename: str | None = None
    value: bytearray = field(default_factory=bytearray)


class _Receiver:
    """The parser's callbacks: one file part to the staging file, fields to memory."""

    def __init__(self, staging: Path, max_bytes: int, file_field: str,
                 fields: Set[str]) -> None:
        self.staging, self.max_bytes = staging, max_bytes
        self.file_field, self.allowed = file_field, fields
        self.fields: dict[str, str] = {}
        self.part = _Part()
        self.header = (bytearray(), bytearray())
        self.file: IO[bytes] | None = None
        self.path: Path | None = None
        self.digest = hashlib.sha256()
        self.size = 0
        self.filename: str | None = None
        self.file_ended = self.body_ended = False

    def header_field(self, data: bytes, start: int, end: int) -> None:
        self.header[0].extend(data[start:end])

    def header_value(self, data: bytes, start: int, end: int) -> None:
        self.header[1].extend(data[start:end])

    def header_end(self) -> None:
        name, value = (bytes(b).decode("latin-1") for b in self.header)
        self.part.headers[name.strip().lower()] = value.strip()
        self.header = (bytearray(), bytearray())

    def headers_finished(self) -> None:
        _, options = parse_options_header(self.part.headers.get("content-disposition"))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        raw = options.get(b"filename")
        self.part.name = name
        if name == self.file_field:
            if self.path is not None:
                raise InvalidUpload(f"the form has more than one {name!r} part")
            self.filename = None if raw is None else raw.decode("utf-8", "replace")
            handle = tempfile.NamedTemporaryFile(dir=self.staging, prefix="upload-",
                                                 delete=False)
            self.file, self.path = handle, Path(handle.name)
        elif name not in self.allowed:
            raise InvalidUpload(f"unknown form field {name!r}; the form takes "
                                f"{', '.join(sorted({self.file_field, *self.allowed}))}")
        elif name in self.fields:
            raise InvalidUpload(f"the form field {name!r} is given more than once")

    def part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self.part.name != self.file_field:
            self.part.value.extend(chunk)
            if len(self.part.value) > FIELD_BYTES:
                raise InvalidUpload(f"the form field {self.part.name!r} is longer than "
                                    f"{FIELD_BYTES} bytes")
            return
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise DocumentTooLarge(f"the document is larger than the archive's limit of "
                                   f"{self.max_bytes} bytes; nothing was stored")
        assert self.file is not None
        self.digest.update(chunk)
        self.file.write(chunk)

    def part_end(self) -> None:
        if self.part.name == self.file_field and self.file is not None:
            self.file.close()  # the store makes its own copy durable
            self.file_ended = True
        elif self.part.name:
            try:
                self.fields[self.part.name] = self.part.value.decode("utf-8")
            except UnicodeDecodeError:
                raise InvalidUpload(f"the form field {self.part.name!r} is not UTF-8") from None
        self.part = _Part()

    def end(self) -> None:
        self.body_ended = True

    def discard(self) -> None:
        if self.file is not None:
            self.file.close()
        if self.path is not None:
            self.path.unlink(missing_ok=True)


def boundary_of(content_type: str | None) -> bytes:
    """The multipart boundary of a ``multipart/form-data`` request (422 otherwise)."""
    kind, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise InvalidUpload("the document is sent as multipart/form-data with a 'file' part "
                            f"(Content-Type was {content_type or 'missing'})")
    return boundary


async def receive_upload(chunks: AsyncIterator[bytes], content_type: str | None, *,
                         staging: Path, max_bytes: int, file_field: str = "file",
                         fields: Set[str] = frozenset()) -> Upload:
    """Read a multipart body from ``chunks``; raises InvalidUpload (422) or
    DocumentTooLarge (413), after which the caller drains the rest of the body."""
    receiver = _Receiver(staging, max_bytes, file_field, fields)
    parser = MultipartParser(boundary_of(content_type), callbacks={
        "on_header_field": receiver.header_field, "on_header_value": receiver.header_value,
        "on_header_end": receiver.header_end, "on_headers_finished": receiver.headers_finished,
        "on_part_data": receiver.part_data, "on_part_end": receiver.part_end,
        "on_end": receiver.end})
    try:
        async for chunk in chunks:
            parser.write(chunk)
        parser.finalize()
    except MultipartParseError as error:
        receiver.discard()
        raise InvalidUpload(f"the multipart body is malformed: {error}") from None
    except BaseException:
        receiver.discard()
        raise
    if not (receiver.body_ended and (receiver.path is None or receiver.file_ended)):
        receiver.discard()
        raise InvalidUpload("the multipart body ended before its closing boundary: the "
                            "upload was cut short; nothing was stored")
    if receiver.path is None or receiver.size == 0:
        receiver.discard()
        raise InvalidUpload(f"the form has no {file_field!r} part, or it is empty")
    staged = Staged(receiver.path, receiver.digest.hexdigest(), receiver.size)
    return Upload(receiver.fields, staged, receiver.filename)


async def drained(receive: object) -> None:
    """Read and discard what is left of a refused upload's body (plumbing.limits.drain),
    so that a client that writes it all before reading sees the answer."""
    with contextlib.suppress(Exception):
        await drain(receive)  # type: ignore[arg-type]
