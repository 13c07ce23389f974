"""Domain errors: each names the rule that was broken.

The message (``str(error)``) is the human ``detail`` saying exactly what is wrong; the
class attributes tell the service layer how to answer (RFC 9457 problem details).
"""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID


class DomainError(Exception):
    """Raised when a command breaks a rule of the agreement lifecycle."""

    status: ClassVar[int] = 422
    title: ClassVar[str] = "Rule broken"
    problem_type: ClassVar[str] = "rule-broken"

    @property
    def detail(self) -> str:
        """What exactly is wrong (the message)."""
        return str(self)

    @property
    def extensions(self) -> dict[str, str]:
        """Further members of the problem (RFC 9457 extension members), if any."""
        return {}


class AgreementNotFound(DomainError):
    """Raised when a command acts on an agreement that does not exist."""

    status = 404
    title = "Agreement not found"
    problem_type = "agreement-not-found"


class StageConflict(DomainError):
    """Raised when an action is not allowed in the agreement's current stage."""

    status = 409
    title = "Action not allowed in this stage"
    problem_type = "stage-conflict"


class AgreementAlreadyExists(DomainError):
    """Raised when a proposal names the id of an agreement that already exists."""

    status = 409
    title = "Agreement already exists"
    problem_type = "agreement-already-exists"


class ApprovalAlreadyGranted(DomainError):
    """Raised when an authority approves an agreement it has already approved."""

    status = 409
    title = "Approval already granted"
    problem_type = "approval-already-granted"


class MilestoneAlreadyCompleted(DomainError):
    """Raised when a milestone that is already completed is completed again."""

    status = 409
    title = "Milestone already completed"
    problem_type = "milestone-already-completed"


class NotYetExpired(DomainError):
    """Raised when an agreement is expired while it is still in force."""

    status = 409
    title = "Agreement not yet expired"
    problem_type = "not-yet-expired"


class KindCategoryMismatch(DomainError):
    """Raised when a partner's category does not fit the kind of cooperation."""

    title = "Partner category does not fit the kind"
    problem_type = "kind-category-mismatch"


class CountryMismatch(DomainError):
    """Raised when a partner's country does not fit the kind (domestic or foreign)."""

    title = "Partner country does not fit the kind"
    problem_type = "country-mismatch"


class SignatoryNotAllowed(DomainError):
    """Raised when the signatory's office may not sign with this partner."""

    title = "Signatory not allowed"
    problem_type = "signatory-not-allowed"


class ApprovalNotRequired(DomainError):
    """Raised when an authority approves an agreement that does not need its approval."""

    title = "Approval not required"
    problem_type = "approval-not-required"


class InvalidDates(DomainError):
    """Raised when a date is in the future, out of order, or outside the allowed period."""

    title = "Invalid dates"
    problem_type = "invalid-dates"


class ValidityTooLong(DomainError):
    """Raised when an agreement would stay in force more than five years."""

    title = "Validity too long"
    problem_type = "validity-too-long"


class ParentNotSigned(DomainError):
    """Raised when a PKS or ADDENDUM is signed before its parent agreement is."""

    title = "Parent agreement not signed"
    problem_type = "parent-not-signed"


class ParentNotAllowed(DomainError):
    """Raised when a document type that has no parent (LOI, MOU) names one."""

    title = "Parent not allowed"
    problem_type = "parent-not-allowed"


class ParentRequired(DomainError):
    """Raised when an ADDENDUM does not name the agreement it amends."""

    title = "Parent required"
    problem_type = "parent-required"


class ParentNotFound(DomainError):
    """Raised when the parent agreement named by ``parent_id`` does not exist."""

    title = "Parent agreement not found"
    problem_type = "parent-not-found"


class UnknownMilestone(DomainError):
    """Raised when a milestone id is not in the agreement's follow-up plan."""

    title = "Unknown milestone"
    problem_type = "unknown-milestone"


class DuplicateMilestone(DomainError):
    """Raised when a plan repeats a milestone id or reuses the id of a completed one."""

    title = "Duplicate milestone"
    problem_type = "duplicate-milestone"


class DocumentNotFound(DomainError):
    """Raised when a command names a document that the agreement's archive does not hold."""

    status = 404
    title = "Document not found"
    problem_type = "document-not-found"


class SignedTextExists(DomainError):
    """Raised when a second signed text is attached to a signed agreement without
    superseding the first (the signed text is never replaced, only superseded)."""

    status = 409
    title = "Signed text already attached"
    problem_type = "signed-text-exists"


class DocumentAlreadyAttached(DomainError):
    """Raised when a document id is attached that the archive already holds."""

    status = 409
    title = "Document already attached"
    problem_type = "document-already-attached"


class DocumentAlreadySuperseded(DomainError):
    """Raised when a new version supersedes a document that a later one already superseded."""

    status = 409
    title = "Document already superseded"
    problem_type = "document-already-superseded"


class DocumentNotPublic(DomainError):
    """Raised when a document that is not (or no longer) public is taken down."""

    status = 409
    title = "Document not public"
    problem_type = "document-not-public"


class SupersededKindMismatch(DomainError):
    """Raised when a new version supersedes a document of another kind."""

    title = "Superseded document of another kind"
    problem_type = "superseded-kind-mismatch"


class SignedTextMissing(DomainError):
    """Raised when signing is recorded without the signed text attached, where the
    province requires it (KERJASAMA_REQUIRE_SIGNED_TEXT)."""

    title = "Signed text missing"
    problem_type = "signed-text-missing"


class MappingItemNotFound(DomainError):
    """Raised when a command acts on a mapping item that does not exist."""

    status = 404
    title = "Mapping item not found"
    problem_type = "mapping-item-not-found"


class MappingItemAlreadyWithdrawn(DomainError):
    """Raised when a withdrawn mapping item is revised or withdrawn again."""

    status = 409
    title = "Mapping item withdrawn"
    problem_type = "mapping-item-withdrawn"


class MappingItemAlreadyExists(DomainError):
    """Raised when an item is added under the id of a mapping item that already exists."""

    status = 409
    title = "Mapping item already exists"
    problem_type = "mapping-item-already-exists"


class MappingItemRealised(DomainError):
    """Raised when a mapping item that a signed agreement realised is withdrawn."""

    status = 409
    title = "Mapping item realised"
    problem_type = "mapping-item-realised"


class UnknownPriority(DomainError):
    """Raised when a priority is named that the year's work program does not set."""

    title = "Unknown priority"
    problem_type = "unknown-priority"


class MappingItemNotUsable(DomainError):
    """Raised when a proposal names a mapping item that does not exist, was withdrawn, or
    belongs to another agency than the proposal's lead agency."""

    title = "Mapping item not usable"
    problem_type = "mapping-item-not-usable"


class PartnerNotFound(DomainError):
    """Raised when a command acts on a partner the registry does not hold."""

    status = 404
    title = "Partner not found"
    problem_type = "partner-not-found"


class PartnerExists(DomainError):
    """Raised when a partner is registered (or renamed) as one the registry already holds:
    the same normalised name and country. The problem names it (``existing_id``)."""

    status = 409
    title = "Partner already registered"
    problem_type = "partner-exists"

    def __init__(self, detail: str, *, existing_id: UUID) -> None:
        super().__init__(detail)
        self.existing_id = existing_id

    @property
    def extensions(self) -> dict[str, str]:
        return {"existing_id": str(self.existing_id)}


class PartnerAlreadyMerged(DomainError):
    """Raised when a merged partner is revised or merged again."""

    status = 409
    title = "Partner merged"
    problem_type = "partner-merged"


class UnknownPartner(DomainError):
    """Raised when a proposal names a partner_id, or a merge an ``into``, that the registry
    does not hold (or a partner is merged into itself)."""

    title = "Unknown partner"
    problem_type = "unknown-partner"


class Forbidden(DomainError):
    """Raised when the caller's roles do not allow the command on this agreement."""

    status = 403
    title = "Forbidden"
    problem_type = "forbidden"
