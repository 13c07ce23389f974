"""The planning side of cooperation (docs/domain.md#planning): the year's policy
priorities, amounts in rupiah, and the items of an agency's yearly cooperation mapping
(*pemetaan kerja sama*).

A mapping item is a stream of its own (``mapping-item-<uuid>``): added by an agency (or the
TKKSD for it), revised, and withdrawn. Its events carry the year and agency, so a reader
needs no other stream to place them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import ConfigDict, Field, StringConstraints, field_validator

from contracts.common import LongText, RecordModel, ShortText

MAPPING_ITEM_PREFIX = "mapping-item-"

PriorityCode = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z0-9_-]+$", min_length=1, max_length=40),
    Field(description="Code of a policy priority of the year's work program: capitals, "
          "digits, '_' or '-' (it appears in the scope priority:<code>).",
          examples=["PEMULIHAN_EKONOMI"]),
]
Amount = Annotated[
    int, Field(ge=0, le=10**15, strict=True, description="An amount in whole rupiah (IDR).",
               examples=[250000000]),
]
"""Whole rupiah, 0 to 10^15 (a JSON integer: no fraction, no string, no boolean)."""

MAX_PRIORITIES = 20
MAX_PROSPECTIVE_PARTNERS = 20


class PriorityRecord(RecordModel):
    """One policy priority of a year, as events carry it."""

    code: PriorityCode
    name: ShortText = Field(description="The priority in words.",
                            examples=["Pemulihan ekonomi daerah"])


class Priority(PriorityRecord):
    """One policy priority of a year, in a command."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def unique_priorities(priorities: list[Priority]) -> list[Priority]:
    """``priorities`` unchanged, or a ValueError naming a code given twice."""
    seen: set[str] = set()
    for priority in priorities:
        if priority.code in seen:
            raise ValueError(f"priority code {priority.code} is given twice")
        seen.add(priority.code)
    return priorities


class MappingStage(StrEnum):
    """Where a mapping item stands."""

    ACTIVE = "ACTIVE"
    WITHDRAWN = "WITHDRAWN"


class MappingItemFields(RecordModel):
    """What a mapping item says: the affair, what is sought, with whom, for which RPJMD
    target, under which priority."""

    affair: ShortText = Field(description="The government affair (urusan) it belongs to.",
                              examples=["Pariwisata"])
    description: LongText = Field(description="The potential cooperation.",
                                  examples=["Promosi wisata bersama provinsi kembar"])
    prospective_partners: list[ShortText] = Field(
        default_factory=list, max_length=MAX_PROSPECTIVE_PARTNERS,
        description="Prospective partners, by name.", examples=[["Gyeongsangbuk-do"]])
    rpjmd_target: ShortText = Field(description="The RPJMD target it serves.",
                                    examples=["Meningkatnya kunjungan wisatawan mancanegara"])
    priority: PriorityCode | None = Field(default=None, description="Priority of the "
                                          "year's work program it serves, if any.",
                                          examples=[None, "PEMULIHAN_EKONOMI"])


class MappingItemBody(MappingItemFields):
    """Body of ``POST /mappings/{year}/{opd}/items`` and ``PUT /mapping-items/{id}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("prospective_partners")
    @classmethod
    def _distinct(cls, names: list[str]) -> list[str]:
        return list(dict.fromkeys(names))


def mapping_item_stream_id(item_id: UUID) -> str:
    """The stream id of a mapping item."""
    return f"{MAPPING_ITEM_PREFIX}{item_id}"


def mapping_item_id_of(stream_id: str) -> UUID | None:
    """The item id of a mapping item's stream id, else None."""
    if not stream_id.startswith(MAPPING_ITEM_PREFIX):
        return None
    try:
        return UUID(stream_id.removeprefix(MAPPING_ITEM_PREFIX))
    except ValueError:
        return None
