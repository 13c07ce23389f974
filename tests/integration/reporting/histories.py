"""Random valid histories of the agreements service, as the CloudEvents its feed serves.

Proposals dated before :data:`V2_FROM` are stored as ``agreement.proposed.v1``, as the
release before v2 wrote them (the feed serves them so; readers upcast them), later ones as
v2. Each agreement follows the lifecycle of docs/domain.md#lifecycle (proposal, review, maybe a
revision, rejection or withdrawal, drafting, discussion, signing, plan, follow-ups, milestones,
evaluation, termination or expiry); PKS and ADDENDUM documents may name a signed parent and are
signed after it. Work programs are adopted (and sometimes replaced). With ``planning``, the work
programs carry the year's priorities, agencies map items of potential cooperation on their own
streams (some revised, some withdrawn), and proposals (all v2) name a priority, a mapping item
and values, follow-ups a revenue. With ``partners``, proposals name several partners per
kind, and the partner registry's streams register, revise and merge them
(:mod:`.partner_histories`). Events get stream versions and
global positions in the order their dates fall, as the service would have stored them; everything is
dated before ``today``.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from contracts.codec import Decoded, make_envelope, validate_data
from contracts.common import DocumentType, Kind, Milestone, Partner, Signatory, Stage
from contracts.envelope import SOURCE_AGREEMENTS, sequence_of
from contracts.events import (
    AgreementDiscussed,
    AgreementDrafted,
    AgreementEvaluated,
    AgreementExpired,
    AgreementFollowUpRecorded,
    AgreementMilestoneCompleted,
    AgreementPlanSet,
    AgreementProposed,
    AgreementProposedV1,
    AgreementRejected,
    AgreementResubmitted,
    AgreementReviewStarted,
    AgreementRevisionRequested,
    AgreementSigned,
    AgreementTerminated,
    AgreementWithdrawn,
    EventData,
    MappingItemAdded,
    MappingItemRevised,
    MappingItemWithdrawn,
    WorkProgramAdopted,
)
from contracts.partners import partner_id_of
from contracts.planning import MappingStage, PriorityRecord, mapping_item_stream_id
from plumbing.clock import WIB
from plumbing.inbox import InboxEvent
from tests.integration.reporting.partner_histories import partner_of, partner_streams

OPDS = ("DISKUK", "DISHUB", "DISKOMINFO", "BAPPEDA", "DISPERKIM")
PARTNERS = {
    Kind.KSDD: Partner(name="Kabupaten Bogor", category="REGIONAL_GOVERNMENT", country="ID"),
    Kind.KSDPK: Partner(name="blibli.com", category="THIRD_PARTY", country="ID"),
    Kind.KSDPL: Partner(name="Provinsi Gyeonggi", category="FOREIGN_REGIONAL_GOVERNMENT",
                        country="KR"),
    Kind.KSDLL: Partner(name="JICA", category="FOREIGN_INSTITUTION", country="JP"),
    Kind.SINERGI: Partner(name="Kementerian Dalam Negeri", category="MINISTRY_OR_AGENCY",
                          country="ID"),
}
SIGNATORY = Signatory(name="Setiawan Wangsaatmaja", role="REGIONAL_SECRETARY")
V2_FROM = date(2021, 7, 1)
"""Proposals before this day were stored as ``agreement.proposed.v1`` (no ``partner_id``)."""
PRIORITIES = (PriorityRecord(code="PEMULIHAN_EKONOMI", name="Pemulihan ekonomi daerah"),
              PriorityRecord(code="COVID-19", name="Penanganan Covid-19"),
              PriorityRecord(code="ASET", name="Optimalisasi aset"),
              PriorityRecord(code="LAYANAN_PUBLIK", name="Peningkatan pelayanan publik"))
AMOUNTS = (0, 1, 25_000_000, 250_000_000, 7_500_000_000, 10**15 - 1, 10**15)
"""Values and revenues the planning histories draw from: the largest ones sum past 2^53."""


@dataclass
class _Stream:
    stream_id: str
    dated: list[tuple[date, EventData]] = field(default_factory=list)


@dataclass(frozen=True)
class History:
    """The events of a history in feed order, and each stream's events in version order."""

    events: list[Decoded]
    streams: dict[str, list[Decoded]]

    def inbox_events(self) -> list[InboxEvent]:
        """The events as the inbox sees them, in feed order."""
        from plumbing.agreements_client import inbox_event

        return [inbox_event(e) for e in self.events]

    async def missing(self, stream_id: str, first: int, last: int) -> list[InboxEvent]:
        """Versions ``first``..``last`` of a stream (the agreements service's answer)."""
        from plumbing.agreements_client import inbox_event

        return [inbox_event(e) for e in self.streams.get(stream_id, [])
                if first <= int(e.envelope.sequence or 0) <= last]


class _Writer:
    def __init__(self, rng: random.Random, today: date, planning: bool = False,
                 partners: bool = False) -> None:
        self.rng = rng
        self.today = today
        self.planning = planning
        self.partners = partners
        self.streams: list[_Stream] = []
        self.signed: list[tuple[UUID, DocumentType, date, date]] = []
        self.items: list[UUID] = []

    def amount(self) -> int | None:
        return self.rng.choice((None, None, *AMOUNTS))

    def priority(self) -> str | None:
        return self.rng.choice((None, *(p.code for p in PRIORITIES)))

    def mapping_item(self, uid: UUID, year: int) -> None:
        """An item of an agency's mapping of ``year``: added, maybe revised, maybe
        withdrawn (all within the year before it or the year itself)."""
        rng = self.rng
        stream = _Stream(mapping_item_stream_id(uid))
        on = self.day_between(date(year - 1, 10, 1), min(self.today, date(year, 6, 30)))
        opd = rng.choice(OPDS)
        fields = {"item_id": uid, "year": year, "opd": opd, "stage": MappingStage.ACTIVE}
        stream.dated.append((on, MappingItemAdded(
            version=1, **fields, affair="Pariwisata", description=f"Butir {uid.hex[:6]}",
            prospective_partners=["Gyeongsangbuk-do"], rpjmd_target="Wisatawan",
            priority=self.priority())))
        version = 1
        if rng.random() < 0.3:
            version += 1
            on = self.day_between(on, min(self.today, on + timedelta(days=60)))
            stream.dated.append((on, MappingItemRevised(
                version=version, **fields, affair="Ekonomi",
                description=f"Butir {uid.hex[:6]} (revisi)", rpjmd_target="Pertumbuhan",
                priority=self.priority())))
        if rng.random() < 0.15:
            version += 1
            on = self.day_between(on, min(self.today, on + timedelta(days=90)))
            stream.dated.append((on, MappingItemWithdrawn(
                version=version, **{**fields, "stage": MappingStage.WITHDRAWN},
                reason="Digabung")))
        self.streams.append(stream)
        self.items.append(uid)

    def day_between(self, start: date, end: date) -> date:
        if end <= start:
            return start
        return start + timedelta(days=self.rng.randint(0, (end - start).days))

    def work_program(self, year: int) -> None:
        stream = _Stream(f"work-program-{year}")
        adopted = date(year - 1, 12, self.rng.randint(1, 28))
        for version in range(1, self.rng.choice((1, 1, 2)) + 1):
            planned: dict[str, Any] = {} if not self.planning else {
                "priorities": self.rng.sample(PRIORITIES, self.rng.randint(0, 4))}
            stream.dated.append((adopted + timedelta(days=40 * (version - 1)), WorkProgramAdopted(
                version=version, year=year, realization_target=self.rng.choice((70, 80, 85)),
                effectiveness_target=self.rng.choice((50, 60, 65.5)), **planned)))
        self.streams.append(stream)

    def agreement(self, uid: UUID) -> None:
        rng = self.rng
        stream = _Stream(str(uid))
        kind = rng.choice(list(Kind))
        parent = None
        doc = rng.choice((DocumentType.LOI, DocumentType.MOU, DocumentType.MOU,
                          DocumentType.PKS, DocumentType.PKS, DocumentType.ADDENDUM))
        candidates = [s for s in self.signed if s[1] in (DocumentType.MOU, DocumentType.PKS)]
        if doc is DocumentType.ADDENDUM and not candidates:
            doc = DocumentType.MOU
        if doc in (DocumentType.PKS, DocumentType.ADDENDUM) and candidates and (
                doc is DocumentType.ADDENDUM or rng.random() < 0.6):
            parent = rng.choice(candidates)
        earliest = parent[2] if parent else date(2019, 1, 1)
        proposed_on = self.day_between(earliest, min(self.today, date(2022, 10, 1)))
        version = 0
        stage = Stage.PROPOSED

        def add(when: date, make: Any, **fields: Any) -> None:
            nonlocal version
            version += 1
            stream.dated.append((when, make(agreement_id=uid, version=version, stage=stage,
                                          **fields)))

        partner = partner_of(rng, kind) if self.partners else PARTNERS[kind]
        v1 = proposed_on < V2_FROM and not self.planning
        proposal: dict[str, Any] = {} if v1 else {
            "partner_id": partner_id_of(partner.name, partner.country)}
        if self.planning:
            proposal.update(priority=self.priority(), value_cash=self.amount(),
                            value_in_kind=self.amount(), mapping_item_id=rng.choice(
                                (None, None, _uuid(rng), *self.items)))
        add(proposed_on, AgreementProposedV1 if v1 else AgreementProposed,
            **proposal, title=f"Kerja sama {uid.hex[:6]}", kind=kind,
            document_type=doc, partner=partner, lead_opd=rng.choice(OPDS),
            objective="Peningkatan layanan", sector="Ekonomi", burdens_budget=False,
            plan_year=rng.choice((None, proposed_on.year, proposed_on.year,
                                  proposed_on.year + 1)),
            proposed_on=proposed_on, parent_id=parent[0] if parent else None)
        self.streams.append(stream)
        on = proposed_on
        if rng.random() < 0.1:
            stage = Stage.WITHDRAWN
            add(on, AgreementWithdrawn, reason="Batal")
            return
        stage = Stage.IN_REVIEW
        add(on, AgreementReviewStarted)
        if rng.random() < 0.2:
            stage = Stage.REVISION_REQUESTED
            add(on, AgreementRevisionRequested, reason="Lengkapi kajian")
            stage = Stage.IN_REVIEW
            add(on, AgreementResubmitted)
        if rng.random() < 0.1:
            stage = Stage.REJECTED
            add(on, AgreementRejected, reason="Tidak prioritas")
            return
        if rng.random() < 0.1:
            return  # stays in review
        stage = Stage.DRAFTING
        add(on, AgreementDrafted, note="Draf 1")
        on = self.day_between(on, min(self.today, on + timedelta(days=60)))
        stage = Stage.READY_TO_SIGN
        add(on, AgreementDiscussed, held_on=on, summary="Sepakat", outcome="AGREED")
        if rng.random() < 0.15:
            return  # not signed yet
        signed_on = self.day_between(on, min(self.today, on + timedelta(days=400)))
        until = signed_on + timedelta(days=rng.randint(200, 4 * 365))
        stage = Stage.SIGNED
        add(signed_on, AgreementSigned, number=f"120/{uid.hex[:4]}", signed_on=signed_on,
            signatory=SIGNATORY, effective_from=signed_on, effective_until=until,
            parent_id=parent[0] if parent else None)
        self.signed.append((uid, doc, signed_on, until))
        last = min(self.today, until)
        if rng.random() < 0.5:
            due = signed_on + timedelta(days=90)
            add(signed_on, AgreementPlanSet, milestones=[
                Milestone(id="m1", title="Rencana aksi", due_on=due)])
            if rng.random() < 0.6:
                day = self.day_between(signed_on, last)
                add(day, AgreementMilestoneCompleted, milestone_id="m1", on=day)
        for _ in range(rng.choice((0, 0, 1, 2, 3))):
            day = self.day_between(signed_on, last)
            earned = {"revenue": self.amount()} if self.planning else {}
            add(day, AgreementFollowUpRecorded, on=day, summary="Rapat koordinasi", **earned)
        if rng.random() < 0.2:
            day = self.day_between(signed_on, last)
            add(day, AgreementEvaluated, on=day, score=4, recommendation="CONTINUE")
        if rng.random() < 0.15:
            day = self.day_between(signed_on, last)
            stage = Stage.TERMINATED
            add(day, AgreementTerminated, on=day, reason="Mitra mundur")
        elif until < self.today and rng.random() < 0.7:
            day = self.day_between(until + timedelta(days=1), self.today)
            stage = Stage.EXPIRED
            add(day, AgreementExpired, on=day, effective_until=until)


def _uuid(rng: random.Random) -> UUID:
    return UUID(int=rng.getrandbits(128), version=4)


def generate(seed: int, agreements: int, today: date = date(2023, 1, 10),
             years: tuple[int, ...] = (2020, 2021, 2022), *, planning: bool = False,
             items: int = 0, partners: bool = False) -> History:
    """A history of ``agreements`` agreements and the work programs of ``years``; with
    ``planning``, priorities, values, revenues and ``items`` mapping items besides (an
    agreement may name an item that was never mapped); with ``partners``, the partner
    registry's streams besides."""
    rng = random.Random(seed)
    writer = _Writer(rng, today, planning, partners)
    for year in years:
        if rng.random() < 0.85:
            writer.work_program(year)
    for _ in range(items if planning else 0):
        writer.mapping_item(_uuid(rng), rng.choice(years))
    for _ in range(agreements):
        writer.agreement(_uuid(rng))
    if partners:
        for stream_id, dated in partner_streams(rng, today, writer.day_between).items():
            writer.streams.append(_Stream(stream_id, dated))
    return _feed(writer.streams, rng)


def _feed(streams: list[_Stream], rng: random.Random) -> History:
    # Order by date; within a stream, version order. A stream's dates never go backwards
    # in this order because each event is sorted after its predecessor.
    entries: list[tuple[date, int, int, _Stream, EventData]] = []
    for index, stream in enumerate(streams):
        floor = date.min
        for on, data in stream.dated:
            floor = max(floor, on)
            entries.append((floor, index, data.version, stream, data))
    entries.sort(key=lambda e: (e[0], e[1], e[2]))
    events: list[Decoded] = []
    by_stream: dict[str, list[Decoded]] = {}
    for position, (on, _, version, stream, data) in enumerate(entries, start=1):
        envelope = make_envelope(
            data, source=SOURCE_AGREEMENTS, subject=stream.stream_id,
            time=datetime.combine(on, time(9, 0), WIB), id=_uuid(rng),
            sequence=sequence_of(version), position=position)
        read = validate_data(envelope.type, envelope.data) \
            if isinstance(data, AgreementProposedV1) else data  # as codec.decode reads it
        decoded = Decoded(envelope, read)
        events.append(decoded)
        by_stream.setdefault(stream.stream_id, []).append(decoded)
    return History(events, by_stream)


def shuffled_with_duplicates(events: list[Any], rng: random.Random,
                             duplicates: float = 0.3) -> Iterator[Any]:
    """The events in a random order, some of them twice."""
    delivered = list(events) + [e for e in events if rng.random() < duplicates]
    rng.shuffle(delivered)
    yield from delivered
