"""Data models of the agreement events (docs/domain.md#messages, #lifecycle).

Every event's data carries the agreement ``stage`` and ``version`` *after* the event,
so consumers never re-implement the lifecycle rules. Each model names its CloudEvent
type (``kerjasama.<routing key>.v<N>``); names are final, evolution is additive within
a version and a breaking change is a new ``.vN`` type. The model named after the event
(``AgreementProposed``) is always the current version; an earlier one keeps its model
(``AgreementProposedV1``, listed in :data:`SUPERSEDED_EVENT_MODELS`) for its published
schema, and stored events of it are upcast on read (contracts.upcasting).
"""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from pydantic import Field

from contracts.common import (
    MILESTONE_EXAMPLE,
    PARTNER_EXAMPLE,
    SIGNATORY_EXAMPLE,
    Authority,
    BusinessDate,
    BusinessYear,
    DiscussionOutcome,
    DocumentType,
    Identifier,
    Kind,
    LongText,
    MilestoneRecord,
    OpdCode,
    PartnerRecord,
    ReasonText,
    Recommendation,
    RecordModel,
    ShortText,
    SignatoryRecord,
    Stage,
)
from contracts.documents import DocumentKind, FileName, MediaType, Sha256
from contracts.partner_registry import PartnerFields, PartnerStage
from contracts.planning import (
    Amount,
    MappingItemFields,
    MappingStage,
    PriorityCode,
    PriorityRecord,
)

_AGREEMENT_ID = Field(description="Id of the agreement (its stream).",
                      examples=["3f1c6a52-8f4e-4f55-9d1e-3f4a2b1c0d9e"])


class EventData(RecordModel):
    """Base of every event's data."""

    event_type: ClassVar[str]
    version: int = Field(ge=1, description="Version of the stream after this event.",
                         examples=[1])


class AgreementEventData(EventData):
    """Base of the agreement events' data."""

    agreement_id: UUID = _AGREEMENT_ID
    stage: Stage = Field(description="Stage of the agreement after this event.",
                         examples=[Stage.PROPOSED])


class _ProposalData(AgreementEventData):
    """The fields of ``agreement.proposed`` common to every version."""

    title: ShortText = Field(description="Title of the agreement.",
                             examples=["Galeri UMKM Juara di blibli.com"])
    kind: Kind = Field(description="Kind of cooperation.", examples=[Kind.KSDPK])
    document_type: DocumentType = Field(description="Type of document.",
                                        examples=[DocumentType.PKS])
    partner: PartnerRecord = Field(description="The partner.", examples=[PARTNER_EXAMPLE])
    co_partners: list[PartnerRecord] = Field(default_factory=list, max_length=50,
                                       description="Further partners of a multi-party "
                                       "agreement.", examples=[[]])
    lead_opd: OpdCode = Field(description="Lead agency.", examples=["DISKUK"])
    supporting_opds: list[OpdCode] = Field(default_factory=list, max_length=50,
                                           description="Supporting agencies.",
                                           examples=[["DISKOMINFO"]])
    objective: LongText = Field(description="What the cooperation is for.",
                                examples=["Pemasaran produk UMKM Jawa Barat secara daring"])
    sector: ShortText = Field(description="Sector.", examples=["Ekonomi"])
    burdens_budget: bool = Field(description="Whether it burdens the regional budget (APBD).",
                                 examples=[False])
    plan_year: BusinessYear | None = Field(default=None,
                                  description="Year of the work program it belongs to.",
                                  examples=[2021])
    proposed_on: BusinessDate = Field(description="Date of the proposal (WIB).",
                              examples=["2021-01-11"])
    parent_id: UUID | None = Field(default=None, description="Parent agreement of a PKS or "
                                   "ADDENDUM.", examples=[None])
    renews_id: UUID | None = Field(default=None, description="Agreement this one renews.",
                                   examples=[None])
    required_approvals: list[Authority] = Field(
        default_factory=list, description="Approvals required before signing.",
        examples=[["DPRD", "CENTRAL_GOVERNMENT"]])


class AgreementProposed(_ProposalData):
    """An agency proposed an agreement."""

    event_type: ClassVar[str] = "kerjasama.agreement.proposed.v2"
    partner_id: UUID = Field(description="Stable id of the partner, derived from its name "
                             "and country (contracts.partners.partner_id_of); the partner "
                             "field stays the snapshot as proposed.",
                             examples=["67ff4846-50bd-5f24-908f-71a2d23e8174"])
    priority: PriorityCode | None = Field(default=None, description="Policy priority of the "
                                          "year's work program it serves, if any.",
                                          examples=[None, "PEMULIHAN_EKONOMI"])
    mapping_item_id: UUID | None = Field(default=None, description="The mapping item it "
                                         "realises, if any.", examples=[None])
    value_cash: Amount | None = Field(default=None, description="Value in cash, whole "
                                      "rupiah; counts in the year of signing.",
                                      examples=[None, 250000000])
    value_in_kind: Amount | None = Field(default=None, description="Value in kind, whole "
                                         "rupiah; counts in the year of signing.",
                                         examples=[None])


class AgreementProposedV1(_ProposalData):
    """An agency proposed an agreement (version 1, without partner_id; superseded by v2).

    Events stored before v2 keep this form in the event store, the feed and the broker;
    readers get them as v2 through contracts.upcasting.
    """

    event_type: ClassVar[str] = "kerjasama.agreement.proposed.v1"


class AgreementReviewStarted(AgreementEventData):
    """The secretariat started reviewing (penelaahan)."""

    event_type: ClassVar[str] = "kerjasama.agreement.review_started.v1"
    note: LongText | None = Field(default=None, description="Optional note.", examples=[None])


class AgreementRevisionRequested(AgreementEventData):
    """The secretariat asked the proposing agency to revise."""

    event_type: ClassVar[str] = "kerjasama.agreement.revision_requested.v1"
    reason: ReasonText = Field(description="What must be revised.",
                             examples=["Lengkapi kajian manfaat"])


class AgreementResubmitted(AgreementEventData):
    """The agency resubmitted a revised proposal."""

    event_type: ClassVar[str] = "kerjasama.agreement.resubmitted.v1"
    note: LongText | None = Field(default=None, description="Optional note.", examples=[None])


class AgreementRejected(AgreementEventData):
    """The proposal was rejected."""

    event_type: ClassVar[str] = "kerjasama.agreement.rejected.v1"
    reason: ReasonText = Field(description="Why.", examples=["Tidak sesuai prioritas daerah"])


class AgreementWithdrawn(AgreementEventData):
    """The proposal was withdrawn before signing."""

    event_type: ClassVar[str] = "kerjasama.agreement.withdrawn.v1"
    reason: ReasonText | None = Field(default=None, description="Why, if given.",
                                    examples=[None])


class AgreementDrafted(AgreementEventData):
    """A draft of the document was prepared (penyusunan naskah)."""

    event_type: ClassVar[str] = "kerjasama.agreement.drafted.v1"
    note: LongText = Field(description="About the draft.", examples=["Draf pertama"])


class AgreementDiscussed(AgreementEventData):
    """The draft was discussed with the partner (pembahasan naskah)."""

    event_type: ClassVar[str] = "kerjasama.agreement.discussed.v1"
    held_on: BusinessDate = Field(description="Date of the discussion.", examples=["2021-03-02"])
    summary: LongText = Field(description="What was discussed.", examples=["Pasal 3 disepakati"])
    outcome: DiscussionOutcome = Field(description="Outcome.",
                                       examples=[DiscussionOutcome.AGREED])


class AgreementApprovalGranted(AgreementEventData):
    """A required authority approved the agreement."""

    event_type: ClassVar[str] = "kerjasama.agreement.approval_granted.v1"
    authority: Authority = Field(description="Who approved.", examples=[Authority.DPRD])
    approved_on: BusinessDate = Field(description="Date of approval.", examples=["2021-04-01"])
    pending_approvals: list[Authority] = Field(
        default_factory=list, description="Required approvals still missing.",
        examples=[["CENTRAL_GOVERNMENT"]])


class AgreementSigned(AgreementEventData):
    """The agreement was signed."""

    event_type: ClassVar[str] = "kerjasama.agreement.signed.v1"
    number: ShortText = Field(description="Document number.", examples=["120/12/Pem.Um"])
    signed_on: BusinessDate = Field(description="Date of signing.", examples=["2021-04-20"])
    signatory: SignatoryRecord = Field(description="Who signed for the province.",
                                    examples=[SIGNATORY_EXAMPLE])
    effective_from: BusinessDate = Field(description="First day in force.", examples=["2021-04-20"])
    effective_until: BusinessDate = Field(description="Last day in force (inclusive).",
                                  examples=["2024-04-19"])
    parent_id: UUID | None = Field(default=None, description="Parent agreement that this "
                                   "signing follows up (PKS, ADDENDUM).", examples=[None])


class AgreementPlanSet(AgreementEventData):
    """The follow-up plan was set or replaced."""

    event_type: ClassVar[str] = "kerjasama.agreement.plan_set.v1"
    milestones: list[MilestoneRecord] = Field(max_length=200, examples=[[MILESTONE_EXAMPLE]],
                                        description="The milestones of the "
                                        "plan, completed ones included.")


class AgreementFollowUpRecorded(AgreementEventData):
    """A follow-up activity was recorded."""

    event_type: ClassVar[str] = "kerjasama.agreement.follow_up_recorded.v1"
    on: BusinessDate = Field(description="Date of the activity.", examples=["2021-05-10"])
    summary: LongText = Field(description="What was done.", examples=["Rapat koordinasi"])
    milestone_id: Identifier | None = Field(default=None, description="Milestone it serves.",
                                            examples=["m1"])
    revenue: Amount | None = Field(default=None, description="Regional revenue the activity "
                                   "brought, whole rupiah; counts in the year of on.",
                                   examples=[None])


class AgreementMilestoneCompleted(AgreementEventData):
    """A milestone of the plan was completed."""

    event_type: ClassVar[str] = "kerjasama.agreement.milestone_completed.v1"
    milestone_id: Identifier = Field(description="The milestone.", examples=["m1"])
    on: BusinessDate = Field(description="Date of completion.", examples=["2021-06-28"])


class AgreementEvaluated(AgreementEventData):
    """An evaluation (monev) was recorded."""

    event_type: ClassVar[str] = "kerjasama.agreement.evaluated.v1"
    on: BusinessDate = Field(description="Date of the evaluation.", examples=["2021-12-15"])
    score: int = Field(ge=1, le=5, description="Score 1 (poor) to 5 (excellent).",
                       examples=[4])
    recommendation: Recommendation = Field(description="Recommendation.",
                                           examples=[Recommendation.CONTINUE])
    note: LongText | None = Field(default=None, description="Optional note.", examples=[None])


class AgreementTerminated(AgreementEventData):
    """The agreement was terminated before its end."""

    event_type: ClassVar[str] = "kerjasama.agreement.terminated.v1"
    on: BusinessDate = Field(description="Date of termination.", examples=["2022-01-31"])
    reason: ReasonText = Field(description="Why.", examples=["Mitra menghentikan program"])


class AgreementExpired(AgreementEventData):
    """The agreement reached the end of its validity."""

    event_type: ClassVar[str] = "kerjasama.agreement.expired.v1"
    on: BusinessDate = Field(description="Date it was recorded as expired.",
                             examples=["2024-04-20"])
    effective_until: BusinessDate = Field(description="Its last day in force.",
                                  examples=["2024-04-19"])


_DOCUMENT_ID = Field(description="Id of the document in the archive.",
                     examples=["0b6f3c1e-8a47-4c55-9b2f-1d2e3f4a5b6c"])


class AgreementDocumentAttached(AgreementEventData):
    """A document was attached to the agreement's archive. The event carries what the
    document is and its SHA-256, never its bytes (``GET /documents/{document_id}``)."""

    event_type: ClassVar[str] = "kerjasama.agreement.document_attached.v1"
    document_id: UUID = _DOCUMENT_ID
    kind: DocumentKind = Field(description="What the document is.",
                               examples=[DocumentKind.SIGNED])
    sha256: Sha256 = Field(description="SHA-256 of the document's bytes (lowercase hex).",
                           examples=["9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"])
    size: int = Field(ge=1, description="Size in bytes.", examples=[482133])
    media_type: MediaType = Field(description="Media type, recognised from the content.",
                                  examples=["application/pdf"])
    filename: FileName = Field(description="File name as uploaded, made safe (no directory, "
                               "no control character).", examples=["PKS-blibli-2021.pdf"])
    public: bool = Field(description="Whether the document is shown on the public register.",
                         examples=[True])
    supersedes: UUID | None = Field(default=None, description="The document this one "
                                    "replaces as a new version (the old one is kept).",
                                    examples=[None])


class AgreementDocumentUnpublished(AgreementEventData):
    """A public document was taken off the public register (its bytes stay in the
    archive for the record)."""

    event_type: ClassVar[str] = "kerjasama.agreement.document_unpublished.v1"
    document_id: UUID = _DOCUMENT_ID
    reason: ReasonText | None = Field(default=None, description="Why, if given.",
                                      examples=["Diunggah keliru"])


class WorkProgramAdopted(EventData):
    """The year's work program (targets) was adopted or replaced."""

    event_type: ClassVar[str] = "kerjasama.work_program.adopted.v1"
    year: BusinessYear = Field(description="Year of the program.", examples=[2021])
    realization_target: float = Field(ge=0, le=100, description="Target of Realisasi Jumlah "
                                      "Naskah Kerja Sama, in percent.", examples=[80])
    effectiveness_target: float = Field(ge=0, le=100, description="Target of Efektivitas "
                                        "Kerja Sama, in percent.", examples=[60])
    stage: str = Field(default="ADOPTED", pattern="^ADOPTED$",
                       description="Stage of the work-program stream: always ADOPTED.",
                       examples=["ADOPTED"])
    priorities: list[PriorityRecord] = Field(
        default_factory=list, description="The year's policy priorities (all of them: an "
        "adoption replaces the earlier one's).",
        examples=[[{"code": "PEMULIHAN_EKONOMI", "name": "Pemulihan ekonomi daerah"}]])
    mapping_due_on: BusinessDate | None = Field(default=None, description="Agencies map "
                                                "their cooperation for the year by this date.",
                                                examples=["2021-03-31"])


_ITEM_ID = Field(description="Id of the mapping item (its stream is mapping-item-<id>).",
                 examples=["7d2e4c1a-5b6f-4a3e-9c8d-1e2f3a4b5c6d"])


class MappingEventData(EventData):
    """Base of the mapping items' events: each names its item, year and agency, and the
    item's stage after it."""

    item_id: UUID = _ITEM_ID
    year: BusinessYear = Field(description="Year of the mapping.", examples=[2021])
    opd: OpdCode = Field(description="The agency whose mapping it is.", examples=["DISPARBUD"])
    stage: MappingStage = Field(description="Stage of the item after this event.",
                                examples=[MappingStage.ACTIVE])


class MappingItemAdded(MappingItemFields, MappingEventData):
    """An item of potential cooperation was added to an agency's mapping of a year."""

    event_type: ClassVar[str] = "kerjasama.mapping.item_added.v1"


class MappingItemRevised(MappingItemFields, MappingEventData):
    """What a mapping item says was replaced (every field, as it now stands)."""

    event_type: ClassVar[str] = "kerjasama.mapping.item_revised.v1"


class MappingItemWithdrawn(MappingEventData):
    """A mapping item was withdrawn: it no longer counts in the year's mapping."""

    event_type: ClassVar[str] = "kerjasama.mapping.item_withdrawn.v1"
    reason: ReasonText | None = Field(default=None, description="Why, if given.",
                                      examples=["Digabung dengan butir lain"])


_PARTNER_ID = Field(description="Id of the partner (its stream is partner-<id>).",
                    examples=["67ff4846-50bd-5f24-908f-71a2d23e8174"])


class PartnerEventData(EventData):
    """Base of the partner registry's events: each names its partner and the partner's
    stage after it."""

    partner_id: UUID = _PARTNER_ID
    stage: PartnerStage = Field(description="Stage of the partner after this event.",
                                examples=[PartnerStage.ACTIVE])


class PartnerRegistered(PartnerFields, PartnerEventData):
    """A partner was registered: directly, by the first proposal that named it, or adopted
    from agreements proposed before the registry existed."""

    event_type: ClassVar[str] = "kerjasama.partner.registered.v1"
    adopted: bool = Field(default=False, description="Registered under the id that "
                          "agreements proposed before the registry already carried.",
                          examples=[False])


class PartnerRevised(PartnerFields, PartnerEventData):
    """What the registry knows of a partner was replaced (every field, as it now stands)."""

    event_type: ClassVar[str] = "kerjasama.partner.revised.v1"


class PartnerMerged(PartnerEventData):
    """A duplicate partner was merged into another: its id now stands for that partner, in
    commands, pages and figures."""

    event_type: ClassVar[str] = "kerjasama.partner.merged.v1"
    into: UUID = Field(description="The partner that stays.",
                       examples=["0c6c6b1e-3a1f-5d7e-9b2c-4d5e6f7a8b9c"])


class UnknownEvent(RecordModel):
    """The data of an event whose type the reader does not know, in a stream family it
    knows: stepped over (the stream's version advances), counted, never applied."""


EVENT_MODELS: tuple[type[EventData], ...] = (
    AgreementProposed,
    AgreementReviewStarted,
    AgreementRevisionRequested,
    AgreementResubmitted,
    AgreementRejected,
    AgreementWithdrawn,
    AgreementDrafted,
    AgreementDiscussed,
    AgreementApprovalGranted,
    AgreementSigned,
    AgreementPlanSet,
    AgreementFollowUpRecorded,
    AgreementMilestoneCompleted,
    AgreementEvaluated,
    AgreementTerminated,
    AgreementExpired,
    AgreementDocumentAttached,
    AgreementDocumentUnpublished,
    WorkProgramAdopted,
    MappingItemAdded,
    MappingItemRevised,
    MappingItemWithdrawn,
    PartnerRegistered,
    PartnerRevised,
    PartnerMerged,
)
"""The current version of every event: what is written today and what readers get."""

SUPERSEDED_EVENT_MODELS: tuple[type[EventData], ...] = (AgreementProposedV1,)
"""Earlier versions still in the event store: their schemas stay published, and
contracts.upcasting turns them into the current version on read."""
