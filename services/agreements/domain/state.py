"""The state of one agreement, as folded from its events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import NamedTuple
from uuid import UUID

from contracts.common import (
    Authority,
    DocumentType,
    Kind,
    PartnerRecord,
    Recommendation,
    SignatoryRecord,
    Stage,
)
from contracts.documents import DocumentKind


@dataclass(frozen=True)
class PlannedMilestone:
    """A milestone of the follow-up plan; ``completed_on`` is set once it is completed."""

    id: str
    title: str
    due_on: date
    budget: int | None = None
    completed_on: date | None = None

    @property
    def completed(self) -> bool:
        """Whether the milestone has been completed."""
        return self.completed_on is not None


class Evaluation(NamedTuple):
    """One evaluation (monev)."""

    on: date
    score: int
    recommendation: Recommendation


@dataclass(frozen=True)
class ArchivedDocument:
    """A document of the agreement's archive (its bytes are kept by content hash)."""

    id: UUID
    kind: DocumentKind
    sha256: str
    size: int
    media_type: str
    filename: str
    public: bool
    supersedes: UUID | None = None
    superseded_by: UUID | None = None
    unpublished: bool = False

    @property
    def current(self) -> bool:
        """Whether no later version superseded it."""
        return self.superseded_by is None

    @property
    def published(self) -> bool:
        """Whether it is on the public register now."""
        return self.public and not self.unpublished


@dataclass(frozen=True)
class AgreementState:
    """Everything the rules need to know about one agreement.

    Dates of follow-ups, completions and evaluations are the dates the thing happened;
    records entered late may arrive out of order, so ``last_*_on`` hold the latest date,
    not the date of the latest record.
    """

    id: UUID
    version: int
    stage: Stage
    title: str
    kind: Kind
    document_type: DocumentType
    partner: PartnerRecord
    partner_id: UUID
    """Stable id of the partner (contracts.partners.partner_id_of its name and country)."""
    co_partners: tuple[PartnerRecord, ...]
    lead_opd: str
    supporting_opds: tuple[str, ...]
    objective: str
    sector: str
    burdens_budget: bool
    plan_year: int | None
    proposed_on: date
    parent_id: UUID | None = None
    renews_id: UUID | None = None
    required_approvals: frozenset[Authority] = frozenset()
    granted_approvals: frozenset[Authority] = frozenset()
    number: str | None = None
    signed_on: date | None = None
    signatory: SignatoryRecord | None = None
    effective_from: date | None = None
    effective_until: date | None = None
    terminated_on: date | None = None
    expired_on: date | None = None
    milestones: tuple[PlannedMilestone, ...] = ()
    follow_ups: int = 0
    last_follow_up_on: date | None = None
    last_milestone_completed_on: date | None = None
    evaluations: tuple[Evaluation, ...] = ()
    last_evaluated_on: date | None = None
    last_discussed_on: date | None = None
    last_reason: str | None = None
    """Reason given with the latest revision request, rejection, withdrawal or termination."""
    documents: tuple[ArchivedDocument, ...] = ()
    """The archive, in the order the documents were attached."""
    priority: str | None = None
    """Policy priority of the year's work program it serves."""
    mapping_item_id: UUID | None = None
    """The mapping item it realises."""
    value_cash: int | None = None
    value_in_kind: int | None = None
    revenue: int = 0
    """Regional revenue its follow-up activities brought, whole rupiah, in all."""

    @property
    def partners(self) -> tuple[PartnerRecord, ...]:
        """The partner followed by every co-partner."""
        return (self.partner, *self.co_partners)

    @property
    def pending_approvals(self) -> frozenset[Authority]:
        """Required approvals not granted yet."""
        return self.required_approvals - self.granted_approvals

    @property
    def in_force_until(self) -> date | None:
        """Last day in force: the earlier of ``effective_until`` and the termination date."""
        if self.effective_until is None:
            return None
        if self.terminated_on is None:
            return self.effective_until
        return min(self.effective_until, self.terminated_on)

    def in_force_on(self, day: date) -> bool:
        """Whether ``day`` lies in the in-force period (inclusive)."""
        until = self.in_force_until
        return (self.effective_from is not None and until is not None
                and self.effective_from <= day <= until)

    def document(self, document_id: UUID) -> ArchivedDocument | None:
        """The archived document with this id, if any."""
        return next((d for d in self.documents if d.id == document_id), None)

    @property
    def signed_text(self) -> ArchivedDocument | None:
        """The current signed text, if one is attached."""
        return next((d for d in reversed(self.documents)
                     if d.kind is DocumentKind.SIGNED and d.current), None)

    def milestone(self, milestone_id: str) -> PlannedMilestone | None:
        """The planned milestone with this id, if any."""
        return next((m for m in self.milestones if m.id == milestone_id), None)
