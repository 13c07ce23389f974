"""What the archive should answer (docs/domain.md#documents): uploads and takedowns, checked
in the order the archive checks them — unknown agreement (404) → the caller (403), both
before the body is read → the form (422, 413 while it is received) → the type by content
(415) → version mismatch (412) → the document superseded (404 unknown, 409 superseded
already, 422 of another kind) → the signed text of a signed agreement kept (409)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote

from tests import documents as files
from tests.model.expect import RECORDING, Local, Planned
from tests.model.inputs import Text

MAX_BYTES = 64 * 1024
"""The archive's size limit in the model test (``KERJASAMA_MAX_DOCUMENT_BYTES``)."""
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"
EXTENSIONS = {PDF: ".pdf", DOCX: ".docx", ODT: ".odt", "image/png": ".png",
              "image/jpeg": ".jpg"}
KINDS = ("DRAFT", "SIGNED", "MINUTES", "STUDY_PRE", "STUDY_POST", "EVALUATION", "OTHER")
CONTENTS = ("pdf", "png", "docx", "odt", "jpeg")
"""Files of every type the archive keeps."""
FLAWS = ("at limit", "over limit", "empty", "text", "zip", "exe", "bad kind", "no kind",
         "bad public", "extra field", "json")
"""An upload at or beyond the edges: the file (the largest kept, one byte more, empty,
none of the archive's types by content) or the form (kind unknown or missing, public not
a boolean, an unknown field, not multipart at all)."""
FILENAMES = (("naskah.pdf", "naskah.pdf"), ("../../Notulen rapat", "Notulen rapat"),
             ("lampiran.bin", "lampiran.bin"), ("..", "document"),
             ("Kajian café e\u0301.odt", "Kajian café é.odt"))
"""(the name sent, its last component made safe): the name kept is the latter, with the
type's extension added unless it already ends with it."""
SUPERSEDES = ("current", "old", "any", "foreign", "unknown", "malformed")
"""Which document an upload names in ``supersedes``: the current one of its kind, one of
its kind already superseded, any of the agreement's, one of another agreement, an id
nobody holds, not an id at all."""


@dataclass
class Doc:
    """A document of an agreement's archive, as the model knows it."""

    id: str
    agreement_id: str
    kind: str
    sha256: str
    size: int
    media_type: str
    filename: str
    public: bool
    supersedes: str | None = None
    superseded_by: str | None = None
    unpublished: bool = False

    @property
    def published(self) -> bool:
        return self.public and not self.unpublished

    def view(self) -> dict[str, Any]:
        """As ``GET /agreements/{id}`` shows it in ``documents``."""
        return {"id": self.id, "kind": self.kind, "sha256": self.sha256, "size": self.size,
                "media_type": self.media_type, "filename": self.filename,
                "public": self.public, "supersedes": self.supersedes,
                "superseded_by": self.superseded_by, "unpublished": self.unpublished}

    def listed(self) -> dict[str, Any]:
        """As ``GET /agreements/{id}/documents`` lists it."""
        return {"document_id": self.id, "kind": self.kind, "sha256": self.sha256,
                "size": self.size, "media_type": self.media_type, "filename": self.filename,
                "public": self.public, "published": self.published,
                "supersedes": self.supersedes, "superseded_by": self.superseded_by,
                "current": self.superseded_by is None}


@dataclass(frozen=True)
class Upload:
    """A multipart upload as sent: the form's fields, the file part (name, bytes)."""

    fields: dict[str, str]
    filename: str
    content: bytes
    as_json: bool = False

    def request(self) -> dict[str, Any]:
        """The arguments of ``httpx.Client.post`` that send it."""
        if self.as_json:
            return {"json": self.fields}
        return {"data": self.fields,
                "files": {"file": (self.filename, self.content, "application/octet-stream")}}

    def changed(self) -> Upload:
        """The same form with another file."""
        return replace(self, content=files.pdf("Naskah lain"))

    def __repr__(self) -> str:  # shown in Hypothesis' shortest failing sequence
        return (f"Upload({self.fields!r}, {self.filename!r}, {len(self.content)} bytes, "
                f"sha256 {hashlib.sha256(self.content).hexdigest()[:12]}"
                f"{', as JSON' if self.as_json else ''})")


def content_of(how: str, n: int) -> tuple[bytes, str | None]:
    """The bytes of a file ``how`` and the media type the archive should tell by them
    (None: none of its types); ``n`` varies the bytes of a PDF and a JPEG."""
    if how in ("pdf", "bad kind", "no kind", "bad public", "extra field", "json"):
        return files.pdf(f"Naskah {n}"), PDF
    if how in ("at limit", "over limit"):
        head = files.pdf(f"Naskah {n}")
        return head + bytes(MAX_BYTES + (how == "over limit") - len(head)), PDF
    made: dict[str, tuple[bytes, str | None]] = {
        "png": (files.png(), "image/png"), "docx": (files.docx(), DOCX),
        "odt": (files.odt(), ODT), "jpeg": (b"\xff\xd8\xff\xe0" + bytes([n]) * 100,
                                            "image/jpeg"),
        "empty": (b"", None), "text": (b"just text, named .pdf\n", None),
        "zip": (files.renamed_zip(), None), "exe": (b"MZ\x90\x00 an executable", None)}
    return made[how]


def kept_filename(safe: str, media_type: str) -> str:
    """The name the archive keeps: ``safe`` with the type's extension unless it has it."""
    extension = EXTENSIONS[media_type]
    suffix = "." + safe.rpartition(".")[2].lower() if "." in safe else ""
    fits = suffix == extension or (extension == ".jpg" and suffix == ".jpeg")
    return safe if fits else safe + extension


@dataclass
class PlannedUpload:
    """An upload, the answer expected, and the document a 201 adds."""

    path: str
    upload: Upload
    status: int
    doc: Doc | None = None


def plan_upload(a: Local | None, agreement_id: str, kind: str, public: bool,
                supersedes: str | None, how: str, n: int, filename: tuple[str, str],
                allowed: bool, if_match: int | None) -> PlannedUpload:
    """``POST /agreements/{id}/documents`` on ``a`` (None: no such agreement) and its
    expected answer. ``supersedes``: a document id, or ``malformed``."""
    content, media_type = content_of(how, n)
    fields = {"kind": "NASKAH" if how == "bad kind" else kind,
              "public": "maybe" if how == "bad public" else ("true" if public else "false")}
    if how == "no kind":
        del fields["kind"]
    if how == "extra field":
        fields["owner"] = "me"
    if supersedes is not None:
        fields["supersedes"] = "bukan-id" if supersedes == "malformed" else supersedes
    upload = Upload(fields, filename[0], content, as_json=how == "json")
    planned = PlannedUpload(f"/agreements/{agreement_id}/documents", upload, 201)
    old = None if a is None or supersedes is None else a.documents.get(supersedes)
    signed_text = a is not None and any(d.kind == "SIGNED" and d.superseded_by is None
                                        for d in a.documents.values())
    if a is None:
        planned.status = 404
    elif not allowed:
        planned.status = 403
    elif how in ("json", "empty", "extra field", "bad kind", "no kind", "bad public"):
        planned.status = 422
    elif how == "over limit":
        planned.status = 413
    elif supersedes == "malformed":
        planned.status = 422
    elif media_type is None:
        planned.status = 415
    elif if_match is not None and if_match != a.version:
        planned.status = 412
    elif supersedes is not None and old is None:
        planned.status = 404
    elif old is not None and old.superseded_by is not None:
        planned.status = 409
    elif old is not None and old.kind != kind:
        planned.status = 422
    elif old is None and kind == "SIGNED" and a.stage in RECORDING and signed_text:
        planned.status = 409
    else:
        planned.doc = Doc("", a.id, kind, hashlib.sha256(content).hexdigest(), len(content),
                          media_type, kept_filename(filename[1], media_type), public,
                          supersedes)
    return planned


def attach(a: Local, doc: Doc, answer: dict[str, Any]) -> Doc:
    """Record an accepted upload in the model; the document added."""
    added = replace(doc, id=answer["document_id"])
    if added.supersedes is not None:
        a.documents[added.supersedes].superseded_by = added.id
    a.documents[added.id] = added
    a.version = answer["version"]
    return added


def plan_unpublish(document_id: str, holder: Local | None, reason: Text | None,
                   allowed: bool, if_match: int | None) -> Planned:
    """``POST /documents/{id}/unpublish`` (``holder``: the agreement that holds the
    document, None when none does) and its expected answer."""
    body = None if reason is None else {"reason": reason.sent}
    planned = Planned(f"/documents/{quote(document_id, safe='')}/unpublish", body, 200)
    doc = None if holder is None else holder.documents.get(document_id)
    if reason is not None and not reason.ok:
        planned.status = 422
    elif holder is None or doc is None:
        planned.status = 404
    elif not allowed:
        planned.status = 403
    elif if_match is not None and if_match != holder.version:
        planned.status = 412
    elif not doc.published:
        planned.status = 409
    else:
        planned.stage = holder.stage
        planned.effects = {"unpublished": document_id}
    return planned
