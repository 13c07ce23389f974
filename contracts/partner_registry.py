"""The partner registry (docs/domain.md#partners): each partner once, as a stream of its own.

A partner's stream is ``partner-<uuid>``. Its id is the one :func:`contracts.partners.
partner_id_of` derives from the name and country it was registered with, the id every
``agreement.proposed.v2`` already carries, so the agreements proposed before the registry
existed are *adopted*: registered under the id they name. Two partners are the same when
their normalised names and countries are (its :func:`partner_key`); a duplicate found later
is merged into the partner that stays, and its id then stands for that one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import ConfigDict, Field, StringConstraints, field_validator

from contracts.common import (
    ContractModel,
    CountryCode,
    Partner,
    PartnerCategory,
    RecordModel,
    ShortText,
)
from contracts.partners import normalised_partner_name

PARTNER_PREFIX = "partner-"
MAX_CODES = 10

CodeScheme = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z0-9_-]+$", min_length=1, max_length=20),
    Field(description="The register a code belongs to: NIB (business id), NPWP (tax id), "
          "AHU (legal entity), NPSN/PDDIKTI (institutions), or another register's "
          "short name in capitals.", examples=["NIB"]),
]
CodeValue = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9./ -]+$", min_length=1, max_length=64),
    Field(description="The number in that register: letters, digits, '.', '/', '-' and "
          "spaces.", examples=["8120000012345"]),
]
CODE_EXAMPLE = {"scheme": "NIB", "value": "8120000012345"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class PartnerStage(StrEnum):
    """Where a partner stands in the registry."""

    ACTIVE = "ACTIVE"
    MERGED = "MERGED"


class PartnerCodeRecord(RecordModel):
    """A registration number of the partner (a company's or an institution's)."""

    scheme: CodeScheme
    value: CodeValue


class PartnerCode(PartnerCodeRecord):
    """A registration number, in a command."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class PartnerContactRecord(RecordModel):
    """Whom to reach at the partner, as far as known."""

    name: ShortText | None = Field(default=None, description="Contact person or office.",
                                   examples=["Divisi Kerja Sama"])
    email: ShortText | None = Field(default=None, description="E-mail address.",
                                    examples=["kerjasama@example.co.id"])
    phone: Annotated[str, StringConstraints(pattern=r"^\+?[0-9 ()-]{4,32}$")] | None = Field(
        default=None, description="Telephone number.", examples=["+62 22 1234567"])
    address: ShortText | None = Field(default=None, description="Postal address.",
                                      examples=["Jl. Naripan No. 12, Bandung"])

    @field_validator("email")
    @classmethod
    def _email(cls, email: str | None) -> str | None:
        if email is not None and not _EMAIL.match(email):
            raise ValueError(f"{email!r} is not an e-mail address")
        return email


class PartnerContact(PartnerContactRecord):
    """Whom to reach at the partner, in a command."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class PartnerFields(RecordModel):
    """What the registry knows of a partner: who it is and how to reach it."""

    name: ShortText = Field(description="Name of the partner.",
                            examples=["PT Bank Pembangunan Daerah Jawa Barat dan Banten"])
    category: PartnerCategory = Field(description="Category of the partner.",
                                      examples=[PartnerCategory.THIRD_PARTY])
    country: CountryCode = Field(description="Country of the partner.", examples=["ID"])
    codes: list[PartnerCodeRecord] = Field(default_factory=list, max_length=MAX_CODES,
                                           description="Registration numbers, one per "
                                           "register.", examples=[[CODE_EXAMPLE]])
    contact: PartnerContactRecord | None = Field(default=None, description="Contact, if "
                                                 "known.", examples=[None])


class PartnerBody(PartnerFields):
    """Body of ``POST /partners`` and ``PUT /partners/{id}`` (the whole partner)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    codes: list[PartnerCode] = Field(default_factory=list,  # type: ignore[assignment]
                                     max_length=MAX_CODES, description="Registration "
                                     "numbers, one per register.", examples=[[CODE_EXAMPLE]])
    contact: PartnerContact | None = Field(default=None,
                                           description="Contact, if known.", examples=[None])

    @field_validator("name")
    @classmethod
    def _names_someone(cls, name: str) -> str:
        Partner.model_validate({"name": name, "category": PartnerCategory.THIRD_PARTY,
                                "country": "ID"})
        return name

    @field_validator("codes")
    @classmethod
    def _one_per_scheme(cls, codes: list[PartnerCode]) -> list[PartnerCode]:
        seen: set[str] = set()
        for code in codes:
            if code.scheme in seen:
                raise ValueError(f"code scheme {code.scheme} is given twice")
            seen.add(code.scheme)
        return codes


class MergeBody(ContractModel):
    """Body of ``POST /partners/{id}/merge``."""

    into: UUID = Field(description="The partner that stays: the one merged becomes an "
                       "alias of it.", examples=["67ff4846-50bd-5f24-908f-71a2d23e8174"])


def partner_key(name: str, country: str) -> str:
    """What makes two partners the same: ``<normalised name>|<COUNTRY>``."""
    return f"{normalised_partner_name(name)}|{country.upper()}"


def partner_stream_id(partner_id: UUID) -> str:
    """The stream id of a partner."""
    return f"{PARTNER_PREFIX}{partner_id}"


def partner_id_of_stream(stream_id: str) -> UUID | None:
    """The partner id of a partner's stream id, else None."""
    if not stream_id.startswith(PARTNER_PREFIX):
        return None
    try:
        return UUID(stream_id.removeprefix(PARTNER_PREFIX))
    except ValueError:
        return None


def merge_chain(partner_id: UUID, merged_into: Callable[[UUID], UUID | None]) -> list[UUID]:
    """The partner and every partner it was merged into, in turn, as a reader's copy of the
    registry says (``merged_into``: the partner one was merged into; None when it was not,
    or is not known yet). Its last element is the partner the id stands for. The registry
    refuses a merge that would close a loop; a copy holding one anyway is cut where it
    closes (the caller tells it by the last element's ``merged_into``)."""
    found, seen = [partner_id], {partner_id}
    while (following := merged_into(found[-1])) is not None and following not in seen:
        found.append(following)
        seen.add(following)
    return found
