"""Refusals of the service layer, beside the domain's own (same shape, one handler)."""

from __future__ import annotations

from services.agreements.domain import AgreementNotFound, DomainError

NotFound = AgreementNotFound  # one 404 for the service layer and the domain


class VersionMismatch(DomainError):
    """Raised when If-Match (expected_version) does not match the current version."""

    status = 412
    title = "Version mismatch"
    problem_type = "version-mismatch"


class IdempotencyKeyReused(DomainError):
    """Raised when an Idempotency-Key comes back with a different request."""

    status = 422
    title = "Idempotency-Key reused"
    problem_type = "idempotency-key-reused"


class UnsupportedDocument(DomainError):
    """Raised when an upload is none of the archive's types, judged by its content."""

    status = 415
    title = "Unsupported document type"
    problem_type = "unsupported-document-type"


class DocumentTooLarge(DomainError):
    """Raised when an upload is larger than the archive's size limit."""

    status = 413
    title = "Document too large"
    problem_type = "document-too-large"


class InvalidUpload(DomainError):
    """Raised when an upload's form is malformed: not multipart, a field missing, unknown
    or repeated, or a value out of its range."""

    status = 422
    title = "Invalid upload"
    problem_type = "invalid-upload"
