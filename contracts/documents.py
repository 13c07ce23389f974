"""The archive's vocabulary (docs/domain.md#documents): kinds of document, the media types
the archive keeps, and the shape of a content hash."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import StringConstraints


class DocumentKind(StrEnum):
    """What a document of an agreement is."""

    DRAFT = "DRAFT"
    """A draft of the text (naskah)."""
    SIGNED = "SIGNED"
    """The signed text: the legal object of the agreement."""
    MINUTES = "MINUTES"
    """Minutes of a discussion (berita acara, notulen)."""
    STUDY_PRE = "STUDY_PRE"
    """The study before cooperation (kajian pra kerja sama)."""
    STUDY_POST = "STUDY_POST"
    """The study after cooperation (kajian pasca kerja sama)."""
    EVALUATION = "EVALUATION"
    """An evaluation report (monev)."""
    OTHER = "OTHER"


MEDIA_TYPES: dict[str, str] = {
    "application/pdf": ".pdf",
    "application/vnd.oasis.opendocument.text": ".odt",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods",
    "application/vnd.oasis.opendocument.presentation": ".odp",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
    "image/png": ".png",
    "image/jpeg": ".jpg",
}
"""The media types the archive accepts (recognised by content), with their usual extension."""

Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
"""A SHA-256 digest in lowercase hex."""
MediaType = Annotated[str, StringConstraints(pattern=r"^[a-z]+/[a-z0-9.+-]+$", max_length=120)]
"""A media type (``type/subtype``, no parameters)."""
FileName = Annotated[str, StringConstraints(min_length=1, max_length=200,
                                            pattern=r"^[^\x00-\x1f\x7f/\\]+$")]
"""A file name as the archive keeps it: no directory, no control character."""
