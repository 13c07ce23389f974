"""Command models (docs/domain.md#lifecycle): one per row of the lifecycle table.

Each ``<Name>Body`` is the HTTP request body of docs/domain.md#http-interface; the command adds the
client-chosen ``command_id`` (idempotency key) and, except for proposals and work
programs, the ``agreement_id`` it acts on and an optional ``expected_version``.
Over AMQP a command is the ``data`` of a CloudEvent of type ``kerjasama.<routing key>.v1``.
"""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from pydantic import ConfigDict, Field, JsonValue, field_validator, model_validator

from contracts.common import (
    MILESTONE_EXAMPLE,
    NO_CONTROL,
    PARTNER_EXAMPLE,
    SIGNATORY_EXAMPLE,
    Authority,
    BusinessDate,
    BusinessYear,
    ContractModel,
    DiscussionOutcome,
    DocumentType,
    Identifier,
    Kind,
    LongText,
    Milestone,
    OpdCode,
    Partner,
    ReasonText,
    Recommendation,
    ShortText,
    Signatory,
)
from contracts.documents import DocumentKind, FileName, MediaType, Sha256
from contracts.partner_registry import MergeBody, PartnerBody
from contracts.planning import (
    MAX_PRIORITIES,
    Amount,
    MappingItemBody,
    Priority,
    PriorityCode,
    unique_priorities,
)

CommandId = Field(min_length=1, max_length=200, pattern=NO_CONTROL, description="Client-chosen id "
                  "that makes the command idempotent (the HTTP Idempotency-Key).",
                  examples=["9b2f0c1e-sign-2021-04-20"])


class Command(ContractModel):
    """Base of every command."""

    routing_key: ClassVar[str]
    command_id: str = CommandId


class AgreementCommand(Command):
    """Base of the commands that act on an existing agreement."""

    agreement_id: UUID = Field(description="The agreement acted on.",
                               examples=["3f1c6a52-8f4e-4f55-9d1e-3f4a2b1c0d9e"])
    expected_version: int | None = Field(default=None, ge=0, description="Refuse unless the "
                                         "agreement is at this version (HTTP If-Match).",
                                         examples=[3])


# --- bodies (docs/domain.md#http-interface) -------------------------------------------------------


ONE_PARTNER: dict[str, JsonValue] = {"oneOf": [
    {"required": ["partner"], "properties": {"partner": {"type": "object"},
                                             "partner_id": {"type": "null"}}},
    {"required": ["partner_id"], "properties": {"partner": {"type": "null"},
                                                "partner_id": {"type": "string"}}},
]}
"""Exactly one of ``partner`` and ``partner_id``, as JSON Schema says it."""


class ProposeAgreementBody(ContractModel):
    """Body of ``POST /agreements``."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=ONE_PARTNER)

    title: ShortText = Field(description="Title.", examples=["Galeri UMKM Juara di blibli.com"])
    kind: Kind = Field(description="Kind of cooperation.", examples=[Kind.KSDPK])
    document_type: DocumentType = Field(description="Type of document.",
                                        examples=[DocumentType.PKS])
    partner: Partner | None = Field(default=None, description="The partner, as the agency "
                                    "names it: resolved in the partner registry by its "
                                    "normalised name and country, registered there if new. "
                                    "Give exactly one of partner and partner_id.",
                                    examples=[PARTNER_EXAMPLE])
    partner_id: UUID | None = Field(default=None, description="The partner, by its id in the "
                                    "partner registry (a merged partner's id stands for the "
                                    "partner it was merged into). Give exactly one of "
                                    "partner and partner_id.", examples=[None])
    lead_opd: OpdCode = Field(description="Lead agency.", examples=["DISKUK"])
    objective: LongText = Field(description="What the cooperation is for.",
                                examples=["Pemasaran produk UMKM secara daring"])
    sector: ShortText = Field(description="Sector.", examples=["Ekonomi"])
    burdens_budget: bool = Field(description="Whether it burdens the regional budget.",
                                 examples=[False])
    plan_year: BusinessYear | None = Field(default=None, description="Year of the "
                                  "work program it belongs to.", examples=[2021])
    proposed_on: BusinessDate | None = Field(default=None, description="Date of the proposal; "
                                     "today (WIB) when absent.", examples=["2021-01-11"])
    parent_id: UUID | None = Field(default=None, description="Parent of a PKS or ADDENDUM.",
                                   examples=[None])
    renews_id: UUID | None = Field(default=None, description="Agreement renewed.",
                                   examples=[None])
    co_partners: list[Partner] = Field(default_factory=list, max_length=50,
                                       description="Further partners.", examples=[[]])
    supporting_opds: list[OpdCode] = Field(default_factory=list, max_length=50,
                                           description="Supporting agencies.",
                                           examples=[["DISKOMINFO"]])
    priority: PriorityCode | None = Field(default=None, description="Policy priority of "
                                          "the year's work program it serves (the year: "
                                          "plan_year, else the year of proposed_on); when "
                                          "absent, the priority of the mapping item named.",
                                          examples=[None, "PEMULIHAN_EKONOMI"])
    mapping_item_id: UUID | None = Field(default=None, description="The item of the lead "
                                         "agency's cooperation mapping this proposal "
                                         "realises.", examples=[None])
    value_cash: Amount | None = Field(default=None, description="Value of the cooperation "
                                      "in cash, whole rupiah.", examples=[250000000])
    value_in_kind: Amount | None = Field(default=None, description="Value of the "
                                         "cooperation in kind (goods, services, staff), "
                                         "whole rupiah.", examples=[None])


    @model_validator(mode="after")
    def _one_partner(self) -> ProposeAgreementBody:
        if (self.partner is None) == (self.partner_id is None):
            raise ValueError("give exactly one of partner (name, category, country) and "
                             "partner_id, not " + ("both" if self.partner else "neither"))
        return self


class NoteBody(ContractModel):
    """Body of actions that take an optional note."""

    note: LongText | None = Field(default=None, description="Optional note.", examples=[None])


class ReasonBody(ContractModel):
    """Body of actions that need a reason."""

    reason: ReasonText = Field(description="Why.", examples=["Lengkapi kajian manfaat"])


class OptionalReasonBody(ContractModel):
    """Body of actions that take an optional reason."""

    reason: ReasonText | None = Field(default=None, description="Why, if given.",
                                    examples=[None])


class DraftBody(ContractModel):
    """Body of ``draft``."""

    note: LongText = Field(description="About the draft.", examples=["Draf pertama"])


class DiscussBody(ContractModel):
    """Body of ``discuss``."""

    held_on: BusinessDate = Field(description="Date of the discussion.", examples=["2021-03-02"])
    summary: LongText = Field(description="What was discussed.", examples=["Pasal 3 disepakati"])
    outcome: DiscussionOutcome = Field(description="Outcome.",
                                       examples=[DiscussionOutcome.AGREED])


class ApproveBody(ContractModel):
    """Body of ``approve``."""

    authority: Authority = Field(description="Who approved.", examples=[Authority.DPRD])
    approved_on: BusinessDate = Field(description="Date of approval.", examples=["2021-04-01"])


class SignBody(ContractModel):
    """Body of ``sign``."""

    number: ShortText = Field(description="Document number.", examples=["120/12/Pem.Um"])
    signed_on: BusinessDate = Field(description="Date of signing.", examples=["2021-04-20"])
    signatory: Signatory = Field(description="Who signed for the province.",
                                    examples=[SIGNATORY_EXAMPLE])
    effective_from: BusinessDate = Field(description="First day in force.", examples=["2021-04-20"])
    effective_until: BusinessDate = Field(description="Last day in force (inclusive, at most 5 "
                                  "years later).", examples=["2024-04-19"])


class PlanBody(ContractModel):
    """Body of ``plan``."""

    milestones: list[Milestone] = Field(min_length=1, max_length=200,
                                        examples=[[MILESTONE_EXAMPLE]],
                                        description="Milestones of the follow-up plan.")


class FollowUpBody(ContractModel):
    """Body of ``follow-ups``."""

    on: BusinessDate = Field(description="Date of the activity.", examples=["2021-05-10"])
    summary: LongText = Field(description="What was done.", examples=["Rapat koordinasi"])
    milestone_id: Identifier | None = Field(default=None, description="Milestone it serves.",
                                            examples=["m1"])
    revenue: Amount | None = Field(default=None, description="Regional revenue (pendapatan "
                                   "daerah) the activity brought, whole rupiah; it counts "
                                   "in the year of ``on``.", examples=[None])


class CompleteMilestoneBody(ContractModel):
    """Body of ``milestones/{mid}/complete``."""

    on: BusinessDate = Field(description="Date of completion.", examples=["2021-06-28"])


class EvaluateBody(ContractModel):
    """Body of ``evaluate``."""

    on: BusinessDate = Field(description="Date of the evaluation.", examples=["2021-12-15"])
    score: int = Field(ge=1, le=5, description="Score 1 to 5.", examples=[4])
    recommendation: Recommendation = Field(description="Recommendation.",
                                           examples=[Recommendation.CONTINUE])
    note: LongText | None = Field(default=None, description="Optional note.", examples=[None])


class TerminateBody(ContractModel):
    """Body of ``terminate``."""

    on: BusinessDate = Field(description="Date of termination.", examples=["2022-01-31"])
    reason: ReasonText = Field(description="Why.", examples=["Mitra menghentikan program"])


class ExpireBody(ContractModel):
    """Body of ``expire``."""

    on: BusinessDate | None = Field(default=None, description="Date recorded; today when absent.",
                            examples=[None])


class WorkProgramBody(ContractModel):
    """Body of ``POST /work-programs/{year}``."""

    realization_target: float = Field(ge=0, le=100, description="Target of realization, %.",
                                      examples=[80])
    effectiveness_target: float = Field(ge=0, le=100, description="Target of effectiveness, %.",
                                        examples=[60])
    priorities: list[Priority] = Field(
        default_factory=list, max_length=MAX_PRIORITIES,
        description="The year's policy priorities (codes unique). The body is the whole "
        "program: adopting again replaces the priorities too.",
        examples=[[{"code": "PEMULIHAN_EKONOMI", "name": "Pemulihan ekonomi daerah"}]])
    mapping_due_on: BusinessDate | None = Field(
        default=None, description="Agencies map their cooperation for the year by this "
        "date; those that have not are reminded.", examples=["2021-03-31"])

    @field_validator("priorities")
    @classmethod
    def _unique_codes(cls, priorities: list[Priority]) -> list[Priority]:
        return unique_priorities(priorities)


# --- commands -------------------------------------------------------------------------


class ProposeAgreement(ProposeAgreementBody, Command):
    """Propose a new agreement."""

    routing_key: ClassVar[str] = "agreement.propose"
    agreement_id: UUID | None = Field(default=None, description="Id for the new agreement; "
                                      "chosen by the service when absent.", examples=[None])


class StartReview(NoteBody, AgreementCommand):
    """Start reviewing a proposal."""

    routing_key: ClassVar[str] = "agreement.review"


class RequestRevision(ReasonBody, AgreementCommand):
    """Ask the proposing agency to revise."""

    routing_key: ClassVar[str] = "agreement.request_revision"


class ResubmitAgreement(NoteBody, AgreementCommand):
    """Resubmit a revised proposal."""

    routing_key: ClassVar[str] = "agreement.resubmit"


class RejectAgreement(ReasonBody, AgreementCommand):
    """Reject a proposal under review."""

    routing_key: ClassVar[str] = "agreement.reject"


class DraftAgreement(DraftBody, AgreementCommand):
    """Record a draft of the document."""

    routing_key: ClassVar[str] = "agreement.draft"


class DiscussAgreement(DiscussBody, AgreementCommand):
    """Record a discussion of the draft."""

    routing_key: ClassVar[str] = "agreement.discuss"


class ApproveAgreement(ApproveBody, AgreementCommand):
    """Record one required authority's approval."""

    routing_key: ClassVar[str] = "agreement.approve"


class SignAgreement(SignBody, AgreementCommand):
    """Record the signing."""

    routing_key: ClassVar[str] = "agreement.sign"


class SetFollowUpPlan(PlanBody, AgreementCommand):
    """Set or replace the follow-up plan."""

    routing_key: ClassVar[str] = "agreement.plan"


class RecordFollowUp(FollowUpBody, AgreementCommand):
    """Record a follow-up activity."""

    routing_key: ClassVar[str] = "agreement.record_follow_up"


class CompleteMilestone(CompleteMilestoneBody, AgreementCommand):
    """Record the completion of a milestone."""

    routing_key: ClassVar[str] = "agreement.complete_milestone"
    milestone_id: Identifier = Field(description="The milestone.", examples=["m1"])


class EvaluateAgreement(EvaluateBody, AgreementCommand):
    """Record an evaluation (monev)."""

    routing_key: ClassVar[str] = "agreement.evaluate"


class TerminateAgreement(TerminateBody, AgreementCommand):
    """Terminate a signed agreement."""

    routing_key: ClassVar[str] = "agreement.terminate"


class ExpireAgreement(ExpireBody, AgreementCommand):
    """Record that a signed agreement passed its end date."""

    routing_key: ClassVar[str] = "agreement.expire"


class WithdrawAgreement(OptionalReasonBody, AgreementCommand):
    """Withdraw a proposal before signing."""

    routing_key: ClassVar[str] = "agreement.withdraw"


class AdoptWorkProgram(WorkProgramBody, Command):
    """Adopt or replace the year's work program."""

    routing_key: ClassVar[str] = "work_program.adopt"
    year: BusinessYear = Field(description="Year of the program.", examples=[2021])


class AttachDocument(AgreementCommand):
    """Attach a document to the agreement's archive (HTTP only: ``POST
    /agreements/{id}/documents`` carries the bytes, which are stored before this command
    is decided; the command names them by their SHA-256)."""

    routing_key: ClassVar[str] = "agreement.attach_document"
    document_id: UUID = Field(description="Id of the new document.",
                              examples=["0b6f3c1e-8a47-4c55-9b2f-1d2e3f4a5b6c"])
    kind: DocumentKind = Field(description="What the document is.",
                               examples=[DocumentKind.SIGNED])
    sha256: Sha256 = Field(description="SHA-256 of the stored bytes.",
                           examples=["9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"])
    size: int = Field(ge=1, description="Size in bytes.", examples=[482133])
    media_type: MediaType = Field(description="Media type recognised from the content.",
                                  examples=["application/pdf"])
    filename: FileName = Field(description="Safe file name.", examples=["PKS-2021.pdf"])
    public: bool = Field(default=False, description="Shown on the public register.",
                         examples=[False])
    supersedes: UUID | None = Field(default=None, description="Document replaced by this "
                                    "new version.", examples=[None])


class UnpublishDocument(OptionalReasonBody, AgreementCommand):
    """Take a public document off the public register (HTTP only: ``POST
    /documents/{document_id}/unpublish``)."""

    routing_key: ClassVar[str] = "agreement.unpublish_document"
    document_id: UUID = Field(description="The document.",
                              examples=["0b6f3c1e-8a47-4c55-9b2f-1d2e3f4a5b6c"])


class MappingCommand(Command):
    """Base of the commands that act on an existing mapping item."""

    item_id: UUID = Field(description="The mapping item acted on.",
                          examples=["7d2e4c1a-5b6f-4a3e-9c8d-1e2f3a4b5c6d"])
    expected_version: int | None = Field(default=None, ge=0, description="Refuse unless the "
                                         "item is at this version (HTTP If-Match).",
                                         examples=[1])


class AddMappingItem(MappingItemBody, Command):
    """Add an item of potential cooperation to an agency's mapping of a year."""

    routing_key: ClassVar[str] = "mapping.add_item"
    year: BusinessYear = Field(description="Year of the mapping.", examples=[2021])
    opd: OpdCode = Field(description="The agency whose mapping it is.", examples=["DISPARBUD"])
    item_id: UUID | None = Field(default=None, description="Id for the new item; chosen by "
                                 "the service when absent.", examples=[None])


class ReviseMappingItem(MappingItemBody, MappingCommand):
    """Replace what a mapping item says."""

    routing_key: ClassVar[str] = "mapping.revise_item"


class WithdrawMappingItem(OptionalReasonBody, MappingCommand):
    """Withdraw an item from the mapping."""

    routing_key: ClassVar[str] = "mapping.withdraw_item"


class RegisterPartner(PartnerBody, Command):
    """Register a partner in the registry (its id is derived from its name and country)."""

    routing_key: ClassVar[str] = "partner.register"


class PartnerCommand(Command):
    """Base of the commands that act on a registered partner."""

    partner_id: UUID = Field(description="The partner acted on.",
                             examples=["67ff4846-50bd-5f24-908f-71a2d23e8174"])
    expected_version: int | None = Field(default=None, ge=0, description="Refuse unless the "
                                         "partner is at this version (HTTP If-Match).",
                                         examples=[1])


class RevisePartner(PartnerBody, PartnerCommand):
    """Replace what the registry knows of a partner."""

    routing_key: ClassVar[str] = "partner.revise"


class MergePartner(MergeBody, PartnerCommand):
    """Merge a duplicate partner into the partner that stays (the TKKSD)."""

    routing_key: ClassVar[str] = "partner.merge"


COMMAND_MODELS: tuple[type[Command], ...] = (
    ProposeAgreement,
    StartReview,
    RequestRevision,
    ResubmitAgreement,
    RejectAgreement,
    DraftAgreement,
    DiscussAgreement,
    ApproveAgreement,
    SignAgreement,
    SetFollowUpPlan,
    RecordFollowUp,
    CompleteMilestone,
    EvaluateAgreement,
    TerminateAgreement,
    ExpireAgreement,
    WithdrawAgreement,
    AdoptWorkProgram,
    AddMappingItem,
    ReviseMappingItem,
    WithdrawMappingItem,
    RegisterPartner,
    RevisePartner,
    MergePartner,
)


def command_type(model: type[Command]) -> str:
    """CloudEvent type of a command: ``kerjasama.<routing key>.v1``."""
    return f"kerjasama.{model.routing_key}.v1"
