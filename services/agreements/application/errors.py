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
