"""What the reporting projection keeps about one agreement, folded from its events."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from uuid import UUID

from contracts.common import DocumentType, Kind, Stage
from contracts.events import (
    AgreementEventData,
    AgreementFollowUpRecorded,
    AgreementMilestoneCompleted,
    AgreementProposed,
    AgreementSigned,
    AgreementTerminated,
)


class EventBeforeProposal(ValueError):
    """Raised when an agreement event arrives for an agreement not proposed yet."""


@dataclass(frozen=True)
class EventRef:
    """Which recorded event decided something: its id, feed position, type and date (the
    business date it carries: the signing day, the follow-up's day; else the WIB day it
    was recorded)."""

    id: UUID
    position: int
    type: str
    date: date


@dataclass(frozen=True)
class Revenue:
    """Regional revenue a follow-up brought: its date, whole rupiah, and the follow-up
    (None when the events behind the facts are not read)."""

    on: date
    amount: int
    event: EventRef | None = None


@dataclass(frozen=True)
class PartnerSnapshot:
    """The partner as the proposal named it: it never changes, whatever the registry
    later says of the partner (its category is the agreement's ``category:`` scope)."""

    name: str
    category: str
    country: str


@dataclass(frozen=True)
class AgreementFacts:
    """The facts of one agreement the indicators are computed from.

    ``activity_dates`` are the dates of its own follow-up activities and milestone
    completions (sorted, duplicates kept out); signings of its children are kept apart,
    since they arrive on other streams.
    """

    id: UUID
    title: str
    kind: Kind
    document_type: DocumentType
    lead_opd: str
    plan_year: int | None
    proposed_on: date
    stage: Stage
    version: int
    parent_id: UUID | None = None
    number: str | None = None
    signed_on: date | None = None
    effective_from: date | None = None
    effective_until: date | None = None
    terminated_on: date | None = None
    activity_dates: tuple[date, ...] = ()
    signed_by: EventRef | None = None
    """The signing event (the evidence of a signing)."""
    activities: tuple[EventRef, ...] = ()
    """Every follow-up and milestone completion, in the order recorded (the evidence of a
    follow-up in a year: the first one dated in it)."""
    last_event: EventRef | None = None
    """The event that set the current stage (a rejection, a withdrawal, …), dated by
    the business date it carries, if any."""
    priority: str | None = None
    """The policy priority of the year's work program it serves (docs/domain.md#planning)."""
    mapping_item_id: UUID | None = None
    """The mapping item it realises once signed."""
    value_cash: int | None = None
    value_in_kind: int | None = None
    revenues: tuple[Revenue, ...] = ()
    """Every follow-up that recorded a revenue, in the order recorded."""
    partner_id: UUID | None = None
    """The registry's id of the partner named by the proposal (its ``partner:`` figures
    count for the partner this id stands for after merges)."""
    partner: PartnerSnapshot | None = None

    @property
    def category(self) -> str | None:
        """The category of the partner as proposed."""
        return None if self.partner is None else self.partner.category

    @property
    def in_force_until(self) -> date | None:
        """Last day in force: the earlier of ``effective_until`` and the termination."""
        if self.effective_until is None:
            return None
        if self.terminated_on is None:
            return self.effective_until
        return min(self.effective_until, self.terminated_on)

    def in_force_on(self, day: date) -> bool:
        """Whether ``day`` lies in the in-force period (both ends included)."""
        until = self.in_force_until
        return (self.effective_from is not None and until is not None
                and self.effective_from <= day <= until)

    def in_force_years(self) -> range:
        """The years the in-force period overlaps (empty if never in force)."""
        until = self.in_force_until
        if self.effective_from is None or until is None or until < self.effective_from:
            return range(0)
        return range(self.effective_from.year, until.year + 1)


def _with_activity(facts: AgreementFacts, on: date) -> tuple[date, ...]:
    return tuple(sorted({*facts.activity_dates, on}))


def evolve(facts: AgreementFacts | None, event: AgreementEventData,
           ref: EventRef | None = None) -> AgreementFacts:
    """The facts after ``event`` (events of one agreement, in version order); ``ref``
    names the event as recorded (its date is replaced by the business date it carries)."""
    if isinstance(event, AgreementProposed):
        return AgreementFacts(
            id=event.agreement_id, title=event.title, kind=event.kind,
            document_type=event.document_type, lead_opd=event.lead_opd,
            plan_year=event.plan_year, proposed_on=event.proposed_on, stage=event.stage,
            version=event.version, parent_id=event.parent_id,
            last_event=ref and replace(ref, date=event.proposed_on),
            priority=event.priority, mapping_item_id=event.mapping_item_id,
            value_cash=event.value_cash, value_in_kind=event.value_in_kind,
            partner_id=event.partner_id, partner=PartnerSnapshot(
                event.partner.name, event.partner.category.value, event.partner.country))
    if facts is None:
        raise EventBeforeProposal(f"{type(event).__name__} of agreement {event.agreement_id} "
                                  "before its proposal")
    staged = facts.last_event if ref is None or event.stage == facts.stage else ref
    match event:  # one replace per event: each copies every field
        case AgreementSigned():
            signed = ref and replace(ref, date=event.signed_on)
            return replace(facts, stage=event.stage, version=event.version,
                           number=event.number, signed_on=event.signed_on,
                           effective_from=event.effective_from,
                           effective_until=event.effective_until,
                           parent_id=event.parent_id or facts.parent_id,
                           signed_by=signed, last_event=signed or staged)
        case AgreementFollowUpRecorded() | AgreementMilestoneCompleted():
            done = ref and replace(ref, date=event.on)
            revenue = getattr(event, "revenue", None)
            return replace(facts, stage=event.stage, version=event.version,
                           activity_dates=_with_activity(facts, event.on),
                           activities=facts.activities if done is None
                           else (*facts.activities, done),
                           last_event=done if staged is ref and done else staged,
                           revenues=facts.revenues if revenue is None
                           else (*facts.revenues, Revenue(event.on, revenue, done)))
        case AgreementTerminated():
            return replace(facts, stage=event.stage, version=event.version,
                           terminated_on=event.on,
                           last_event=replace(staged, date=event.on)
                           if staged is ref and staged else staged)
        case _:
            return replace(facts, stage=event.stage, version=event.version,
                           last_event=staged)
