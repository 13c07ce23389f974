"""Deciding the archive's commands (docs/domain.md#documents): attach a document, take a
public one down. The bytes are stored before the decision, by content hash; the rules
here see only what a document is."""

from __future__ import annotations

from dataclasses import replace

from contracts.commands import AttachDocument, UnpublishDocument
from contracts.documents import DocumentKind
from contracts.events import AgreementDocumentAttached, AgreementDocumentUnpublished
from services.agreements.domain.context import DecisionContext
from services.agreements.domain.errors import (
    DocumentAlreadyAttached,
    DocumentAlreadySuperseded,
    DocumentNotFound,
    DocumentNotPublic,
    SignedTextExists,
    SignedTextMissing,
    SupersededKindMismatch,
)
from services.agreements.domain.state import AgreementState, ArchivedDocument

AFTER_SIGNING = frozenset({"SIGNED", "TERMINATED", "EXPIRED"})


def _superseded(command: AttachDocument, state: AgreementState) -> None:
    if command.supersedes is None:
        return
    old = state.document(command.supersedes)
    if old is None:
        raise DocumentNotFound(f"supersedes names document {command.supersedes}, which "
                               f"agreement {state.id} does not hold")
    if not old.current:  # a conflict (409) before a broken rule (422), as for every action
        raise DocumentAlreadySuperseded(f"document {old.id} was already superseded by "
                                        f"{old.superseded_by}; supersede that one instead")
    if old.kind is not command.kind:
        raise SupersededKindMismatch(f"document {old.id} is a {old.kind}; a new version of "
                                     f"it must be a {old.kind} too, not a {command.kind}")


def attach(command: AttachDocument, state: AgreementState,
           ctx: DecisionContext) -> AgreementDocumentAttached:
    """Attach a document. A signed agreement's signed text is never replaced: a further
    signed text must supersede the current one (which is kept)."""
    del ctx
    if state.document(command.document_id) is not None:
        raise DocumentAlreadyAttached(f"agreement {state.id} already holds document "
                                      f"{command.document_id}")
    _superseded(command, state)
    current = state.signed_text
    if (command.kind is DocumentKind.SIGNED and command.supersedes is None
            and state.stage in AFTER_SIGNING and current is not None):
        raise SignedTextExists(
            f"agreement {state.id} is {state.stage} and its signed text is document "
            f"{current.id}; a new version must name it in supersedes")
    return AgreementDocumentAttached(
        agreement_id=state.id, version=state.version + 1, stage=state.stage,
        document_id=command.document_id, kind=command.kind, sha256=command.sha256,
        size=command.size, media_type=command.media_type, filename=command.filename,
        public=command.public, supersedes=command.supersedes)


def unpublish(command: UnpublishDocument, state: AgreementState,
              ctx: DecisionContext) -> AgreementDocumentUnpublished:
    """Take a public document off the public register; the archive keeps it."""
    del ctx
    document = state.document(command.document_id)
    if document is None:
        raise DocumentNotFound(f"agreement {state.id} holds no document "
                               f"{command.document_id}")
    if not document.published:
        why = "was already taken down" if document.public else "was never public"
        raise DocumentNotPublic(f"document {document.id} {why}")
    return AgreementDocumentUnpublished(
        agreement_id=state.id, version=state.version + 1, stage=state.stage,
        document_id=document.id, reason=command.reason)


def require_signed_text(state: AgreementState, ctx: DecisionContext) -> None:
    """Refuse the signing without the signed text, where the province requires it."""
    if ctx.require_signed_text and state.signed_text is None:
        raise SignedTextMissing(f"agreement {state.id} has no signed text (a SIGNED "
                                "document) attached; attach it before recording the "
                                "signing")


def attached(state: AgreementState, event: AgreementDocumentAttached) -> AgreementState:
    """The state with the new document (and its predecessor marked superseded)."""
    new = ArchivedDocument(event.document_id, event.kind, event.sha256, event.size,
                           event.media_type, event.filename, event.public, event.supersedes)
    documents = tuple(replace(d, superseded_by=new.id) if d.id == event.supersedes else d
                      for d in state.documents)
    return replace(state, documents=(*documents, new))


def unpublished(state: AgreementState, event: AgreementDocumentUnpublished) -> AgreementState:
    """The state with the document taken off the public register."""
    return replace(state, documents=tuple(
        replace(d, unpublished=True) if d.id == event.document_id else d
        for d in state.documents))
