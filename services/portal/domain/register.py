"""The public view of an agreement, folded from its events: what the register shows.

Only an agreement that was signed is public (a proposal, a rejected or a withdrawn one is
not). The view holds no personal contact data: the parties, the document, its dates, the
office and name of the signatory (a public act), the agencies and the timeline of what
was done under it, the documents on the public register (the current version of each
public document that was not taken down), the priority it serves, its value and the
regional revenue its follow-ups brought.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Literal
from uuid import UUID

from contracts.events import (
    AgreementDocumentAttached,
    AgreementDocumentUnpublished,
    AgreementEvaluated,
    AgreementEventData,
    AgreementExpired,
    AgreementFollowUpRecorded,
    AgreementMilestoneCompleted,
    AgreementPlanSet,
    AgreementProposed,
    AgreementSigned,
    AgreementTerminated,
)
from contracts.partners import partner_id_of

Status = Literal["in_force", "not_yet_in_force", "expired", "terminated"]
STATUSES: tuple[Status, ...] = ("in_force", "not_yet_in_force", "expired", "terminated")


class EventBeforeProposal(ValueError):
    """Raised when an agreement event comes for an agreement not proposed yet."""


@dataclass(frozen=True)
class Party:
    """A partner of the agreement."""

    name: str
    category: str
    country: str


@dataclass(frozen=True)
class Step:
    """One entry of the timeline: what was done on a day."""

    on: date
    what: Literal["signed", "plan", "follow_up", "milestone", "evaluation", "terminated",
                  "expired"]
    text: str = ""
    detail: str = ""


@dataclass(frozen=True)
class PublicDocument:
    """A document on the public register: what a reader needs to fetch and check it."""

    id: UUID
    kind: str
    sha256: str
    size: int
    media_type: str
    filename: str


@dataclass(frozen=True)
class PublicAgreement:
    """What the register shows of one agreement."""

    id: UUID
    title: str
    kind: str
    document_type: str
    partners: tuple[Party, ...]
    lead_opd: str
    supporting_opds: tuple[str, ...]
    objective: str
    sector: str
    stage: str
    version: int
    plan_year: int | None
    proposed_on: date
    parent_id: UUID | None = None
    number: str | None = None
    signed_on: date | None = None
    signatory_name: str | None = None
    signatory_role: str | None = None
    effective_from: date | None = None
    effective_until: date | None = None
    terminated_on: date | None = None
    milestones: tuple[tuple[str, str, date], ...] = ()
    """(id, title, due date) of the plan's milestones."""
    timeline: tuple[Step, ...] = ()
    documents: tuple[PublicDocument, ...] = ()
    """The documents on the public register, in the order they were attached."""
    priority: str | None = None
    """Code of the year's policy priority it serves."""
    value_cash: int | None = None
    value_in_kind: int | None = None
    revenue: int | None = None
    """Regional revenue of its follow-ups (whole rupiah); None when none recorded any."""
    partner_id: UUID | None = None
    """The partner's id in the registry, as proposed (a merged id stands for another)."""

    @property
    def public(self) -> bool:
        """Whether the register shows it: it was signed."""
        return self.signed_on is not None

    def milestone_title(self, milestone_id: str) -> str:
        """The title of a milestone of the plan (its id when unknown)."""
        return next((t for i, t, _ in self.milestones if i == milestone_id), milestone_id)


def evolve(view: PublicAgreement | None, event: AgreementEventData) -> PublicAgreement:
    """The view after ``event`` (an agreement's events in version order)."""
    if isinstance(event, AgreementProposed):
        return PublicAgreement(
            id=event.agreement_id, title=event.title, kind=event.kind.value,
            document_type=event.document_type.value,
            partners=tuple(Party(p.name, p.category.value, p.country)
                           for p in (event.partner, *event.co_partners)),
            lead_opd=event.lead_opd, supporting_opds=tuple(event.supporting_opds),
            objective=event.objective, sector=event.sector, stage=event.stage.value,
            version=event.version, plan_year=event.plan_year, proposed_on=event.proposed_on,
            parent_id=event.parent_id, priority=event.priority, value_cash=event.value_cash,
            value_in_kind=event.value_in_kind, partner_id=event.partner_id)
    if view is None:
        raise EventBeforeProposal(f"{type(event).__name__} of agreement {event.agreement_id} "
                                  "before its proposal")
    now = replace(view, stage=event.stage.value, version=event.version)
    match event:
        case AgreementSigned():
            return replace(now, number=event.number, signed_on=event.signed_on,
                           parent_id=event.parent_id or now.parent_id,
                           signatory_name=event.signatory.name,
                           signatory_role=event.signatory.role.value,
                           effective_from=event.effective_from,
                           effective_until=event.effective_until,
                           timeline=(*now.timeline, Step(event.signed_on, "signed",
                                                         event.number)))
        case AgreementPlanSet():
            milestones = tuple((m.id, m.title, m.due_on) for m in event.milestones)
            day = now.timeline[-1].on if now.timeline else now.proposed_on
            return replace(now, milestones=milestones, timeline=(*now.timeline, Step(
                day, "plan", "; ".join(f"{t} ({d.isoformat()})" for _, t, d in milestones))))
        case AgreementFollowUpRecorded():
            detail = now.milestone_title(event.milestone_id) if event.milestone_id else ""
            if event.revenue is not None:
                now = replace(now, revenue=(now.revenue or 0) + event.revenue)
            return replace(now, timeline=(*now.timeline, Step(event.on, "follow_up",
                                                              event.summary, detail)))
        case AgreementMilestoneCompleted():
            return replace(now, timeline=(*now.timeline, Step(
                event.on, "milestone", now.milestone_title(event.milestone_id))))
        case AgreementEvaluated():
            return replace(now, timeline=(*now.timeline, Step(
                event.on, "evaluation", event.recommendation.value, str(event.score))))
        case AgreementTerminated():
            return replace(now, terminated_on=event.on, timeline=(*now.timeline, Step(
                event.on, "terminated", event.reason)))
        case AgreementExpired():
            return replace(now, timeline=(*now.timeline, Step(event.effective_until,
                                                              "expired")))
        case AgreementDocumentAttached():
            return replace(now, documents=_attached(now.documents, event))
        case AgreementDocumentUnpublished():
            return replace(now, documents=tuple(d for d in now.documents
                                                if d.id != event.document_id))
        case _:
            return now


def _attached(documents: tuple[PublicDocument, ...],
              event: AgreementDocumentAttached) -> tuple[PublicDocument, ...]:
    """The register's documents after an attachment: the version it supersedes leaves the
    register whether or not the new one is public (a superseded text is not the one in
    force); the new one joins it if public. A document not public is never kept."""
    kept = tuple(d for d in documents if d.id != event.supersedes)
    if not event.public:
        return kept
    return (*kept, PublicDocument(event.document_id, event.kind.value, event.sha256,
                                  event.size, event.media_type, event.filename))


def document_to_json(document: PublicDocument) -> dict[str, Any]:
    """A document of the register as stored (and as the open data carries it)."""
    return {"id": str(document.id), "kind": document.kind, "sha256": document.sha256,
            "size": document.size, "media_type": document.media_type,
            "filename": document.filename}


def document_from_json(v: dict[str, Any]) -> PublicDocument:
    """The document stored by :func:`document_to_json`."""
    return PublicDocument(UUID(v["id"]), v["kind"], v["sha256"], int(v["size"]),
                          v["media_type"], v["filename"])


def to_json(view: PublicAgreement) -> dict[str, Any]:
    """The view as stored (JSON-ready)."""
    def day(value: date | None) -> str | None:
        return None if value is None else value.isoformat()
    return {
        "id": str(view.id), "title": view.title, "kind": view.kind,
        "document_type": view.document_type,
        "partners": [[p.name, p.category, p.country] for p in view.partners],
        "lead_opd": view.lead_opd, "supporting_opds": list(view.supporting_opds),
        "objective": view.objective, "sector": view.sector, "stage": view.stage,
        "version": view.version, "plan_year": view.plan_year,
        "proposed_on": view.proposed_on.isoformat(),
        "parent_id": None if view.parent_id is None else str(view.parent_id),
        "number": view.number,
        "signed_on": day(view.signed_on), "signatory_name": view.signatory_name,
        "signatory_role": view.signatory_role, "effective_from": day(view.effective_from),
        "effective_until": day(view.effective_until), "terminated_on": day(view.terminated_on),
        "milestones": [[i, t, d.isoformat()] for i, t, d in view.milestones],
        "timeline": [[s.on.isoformat(), s.what, s.text, s.detail] for s in view.timeline],
        "documents": [document_to_json(d) for d in view.documents],
        "priority": view.priority, "value_cash": view.value_cash,
        "value_in_kind": view.value_in_kind, "revenue": view.revenue,
        "partner_id": None if view.partner_id is None else str(view.partner_id)}


def from_json(v: dict[str, Any]) -> PublicAgreement:
    """The view stored by :func:`to_json`."""
    def day(key: str) -> date | None:
        return None if v.get(key) is None else date.fromisoformat(v[key])
    partners = tuple(Party(*p) for p in v["partners"])
    return PublicAgreement(
        id=UUID(v["id"]), title=v["title"], kind=v["kind"], document_type=v["document_type"],
        partners=partners, lead_opd=v["lead_opd"],
        supporting_opds=tuple(v["supporting_opds"]), objective=v["objective"],
        sector=v["sector"], stage=v["stage"], version=v["version"], plan_year=v["plan_year"],
        proposed_on=date.fromisoformat(v["proposed_on"]),
        parent_id=None if v.get("parent_id") is None else UUID(v["parent_id"]),
        number=v["number"],
        signed_on=day("signed_on"), signatory_name=v["signatory_name"],
        signatory_role=v["signatory_role"], effective_from=day("effective_from"),
        effective_until=day("effective_until"), terminated_on=day("terminated_on"),
        milestones=tuple((i, t, date.fromisoformat(d)) for i, t, d in v["milestones"]),
        timeline=tuple(Step(date.fromisoformat(o), w, t, d) for o, w, t, d in v["timeline"]),
        documents=tuple(document_from_json(d)  # absent from views stored before documents
                        for d in v.get("documents", ())),
        # absent from views stored before the planning side
        priority=v.get("priority"), value_cash=v.get("value_cash"),
        value_in_kind=v.get("value_in_kind"), revenue=v.get("revenue"),
        # absent from views stored before the partner pages: derived from the snapshot as
        # every proposal's was then (contracts.upcasting)
        partner_id=UUID(v["partner_id"]) if v.get("partner_id") else partner_id_of(
            partners[0].name, partners[0].country))


def activity_dates(view: PublicAgreement) -> list[date]:
    """The days something was done under the agreement: its signing, follow-ups and
    completed milestones (a child's signing is added by the caller)."""
    return [s.on for s in view.timeline if s.what in ("signed", "follow_up", "milestone")]
