"""Vocabulary shared by commands and events: enumerations and small value objects."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints


class Kind(StrEnum):
    """Kind of cooperation (PP 28/2018, plus SINERGI for central-government bodies)."""

    KSDD = "KSDD"
    KSDPK = "KSDPK"
    KSDPL = "KSDPL"
    KSDLL = "KSDLL"
    SINERGI = "SINERGI"


class DocumentType(StrEnum):
    """Type of the signed document (naskah)."""

    LOI = "LOI"
    MOU = "MOU"
    PKS = "PKS"
    ADDENDUM = "ADDENDUM"


class PartnerCategory(StrEnum):
    """Category of the partner; decides who may sign and which kind fits."""

    REGIONAL_GOVERNMENT = "REGIONAL_GOVERNMENT"
    FOREIGN_REGIONAL_GOVERNMENT = "FOREIGN_REGIONAL_GOVERNMENT"
    MINISTRY_OR_AGENCY = "MINISTRY_OR_AGENCY"
    STATE_UNIVERSITY = "STATE_UNIVERSITY"
    OTHER_INSTITUTION = "OTHER_INSTITUTION"
    THIRD_PARTY = "THIRD_PARTY"
    FOREIGN_INSTITUTION = "FOREIGN_INSTITUTION"


class Stage(StrEnum):
    """Stage of an agreement in its lifecycle (DESIGN §5)."""

    PROPOSED = "PROPOSED"
    IN_REVIEW = "IN_REVIEW"
    REVISION_REQUESTED = "REVISION_REQUESTED"
    REJECTED = "REJECTED"
    WITHDRAWN = "WITHDRAWN"
    DRAFTING = "DRAFTING"
    IN_DISCUSSION = "IN_DISCUSSION"
    AWAITING_APPROVAL = "AWAITING_APPROVAL"
    READY_TO_SIGN = "READY_TO_SIGN"
    SIGNED = "SIGNED"
    TERMINATED = "TERMINATED"
    EXPIRED = "EXPIRED"


TERMINAL_STAGES = frozenset({Stage.REJECTED, Stage.WITHDRAWN, Stage.TERMINATED, Stage.EXPIRED})


class SignatoryRole(StrEnum):
    """Office of the person who signs for the province."""

    GOVERNOR = "GOVERNOR"
    REGIONAL_SECRETARY = "REGIONAL_SECRETARY"
    HEAD_OF_AGENCY = "HEAD_OF_AGENCY"


class Authority(StrEnum):
    """An authority whose approval may be required before signing."""

    DPRD = "DPRD"
    CENTRAL_GOVERNMENT = "CENTRAL_GOVERNMENT"


class DiscussionOutcome(StrEnum):
    """Outcome of a discussion (pembahasan naskah)."""

    CONTINUE = "CONTINUE"
    NEEDS_REVISION = "NEEDS_REVISION"
    AGREED = "AGREED"


class Recommendation(StrEnum):
    """Recommendation of an evaluation (monev)."""

    CONTINUE = "CONTINUE"
    EXPAND = "EXPAND"
    STOP = "STOP"


OpdCode = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z0-9_-]+$", min_length=1, max_length=40),
    Field(description="Agency (perangkat daerah) code: capitals, digits, '_' or '-'.",
          examples=["DISKUK"]),
]
CountryCode = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z]{2}$"),
    Field(description="ISO 3166-1 alpha-2 country code.", examples=["ID"]),
]
NO_NUL = r"^[^\x00]*$"
"""Pattern of free text: anything but U+0000, which PostgreSQL text and jsonb cannot hold."""
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=300, strip_whitespace=True,
                                             pattern=NO_NUL)]
LongText = Annotated[str, StringConstraints(min_length=1, max_length=4000, strip_whitespace=True,
                                            pattern=NO_NUL)]
Identifier = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]+$", min_length=1, max_length=64)
]


class ContractModel(BaseModel):
    """Base of every wire model: unknown fields refused, values immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Partner(ContractModel):
    """The other party of an agreement."""

    name: ShortText = Field(description="Name of the partner.", examples=["blibli.com"])
    category: PartnerCategory = Field(
        description="Category of the partner.", examples=[PartnerCategory.THIRD_PARTY]
    )
    country: CountryCode = Field(description="Country of the partner.", examples=["ID"])


class Signatory(ContractModel):
    """The person who signed for the province."""

    name: ShortText = Field(description="Full name.", examples=["Ridwan Kamil"])
    role: SignatoryRole = Field(description="Office held.", examples=[SignatoryRole.GOVERNOR])


class Milestone(ContractModel):
    """A milestone of the follow-up plan."""

    id: Identifier = Field(description="Milestone id, unique within the agreement.",
                           examples=["m1"])
    title: ShortText = Field(description="What is to be done.",
                             examples=["Galeri UMKM Juara dibuka"])
    due_on: date = Field(description="Due date (WIB).", examples=["2021-06-30"])
    budget: int | None = Field(
        default=None, ge=0, le=10**15,
        description="Optional budget in whole rupiah.", examples=[150000000],
    )


PARTNER_EXAMPLE = {"name": "blibli.com", "category": "THIRD_PARTY", "country": "ID"}
SIGNATORY_EXAMPLE = {"name": "Ridwan Kamil", "role": "GOVERNOR"}
MILESTONE_EXAMPLE = {"id": "m1", "title": "Galeri UMKM Juara dibuka", "due_on": "2021-06-30",
                     "budget": 150000000}
