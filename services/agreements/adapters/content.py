"""What a file is, told by its content, never by its name: the archive's media types
(contracts.documents.MEDIA_TYPES) and safe file names."""

from __future__ import annotations

import re
import unicodedata
import zipfile
from pathlib import Path, PurePosixPath, PureWindowsPath

from contracts.documents import MEDIA_TYPES

ODF = "application/vnd.oasis.opendocument."
OOXML_PARTS = {
    "word/document.xml":
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/workbook.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/presentation.xml":
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
MAGIC = ((b"%PDF-", "application/pdf"), (b"\x89PNG\r\n\x1a\n", "image/png"),
         (b"\xff\xd8\xff", "image/jpeg"))
_UNSAFE = re.compile(r"[^\w .()+,=@\[\]-]+")


def _office(path: Path) -> str | None:
    """The ODF or OOXML type of a zip package, from its declared parts."""
    try:
        with zipfile.ZipFile(path) as package:
            names = set(package.namelist())
            if "mimetype" in names:
                with package.open("mimetype") as declared:
                    kind = declared.read(100).decode("ascii", "replace").strip()
                return kind if kind in MEDIA_TYPES and kind.startswith(ODF) else None
            if "[Content_Types].xml" in names:
                return next((t for part, t in OOXML_PARTS.items() if part in names), None)
    except (zipfile.BadZipFile, OSError, KeyError, RuntimeError, NotImplementedError):
        return None
    return None


def media_type_of(path: Path) -> str | None:
    """The archive's media type of the file at ``path``, by its content; None when it is
    none of them."""
    with path.open("rb") as source:
        head = source.read(8)
    for magic, media_type in MAGIC:
        if head.startswith(magic):
            return media_type
    if head.startswith(b"PK\x03\x04"):
        return _office(path)
    return None


def safe_filename(raw: str | None, media_type: str) -> str:
    """A file name to keep and to offer on download: the last path component of what the
    client sent, normalised (NFC), without control characters or characters that mean
    something to a shell or a file system, at most 200 characters, never hidden; with the
    media type's extension when it has none of its own."""
    name = PureWindowsPath(PurePosixPath(raw or "").name).name
    name = unicodedata.normalize("NFC", name)
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    name = _UNSAFE.sub("_", name).strip(" ._") or "document"
    extension = MEDIA_TYPES[media_type]
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    if f".{suffix.lower()}" != extension and not (extension == ".jpg"
                                                   and suffix.lower() == "jpeg"):
        stem, suffix = name, extension.removeprefix(".")
    return f"{stem[:190]}.{suffix}"
