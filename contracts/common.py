"""Vocabulary shared by commands and events: enumerations and small value objects."""

from __future__ import annotations

import re
from datetime import date, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from contracts.partners import normalised_partner_name


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
    """Stage of an agreement in its lifecycle (docs/domain.md#lifecycle)."""

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
"""Pattern of a value PostgreSQL text and jsonb can hold: anything but U+0000."""
NO_CONTROL = r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029]*$"
"""Pattern of a code or key: no C0/C1 control character, no line or paragraph separator."""

# --- the business-date domain (docs/domain.md#boundaries) -----------------------------------------

BUSINESS_DATE_MIN = date(1980, 1, 1)
"""First business date the system accepts (legacy agreements of the 1990s are real)."""
BUSINESS_DATE_MAX = date(2099, 12, 31)
"""Last business date the system accepts."""
BUSINESS_YEAR_MIN = BUSINESS_DATE_MIN.year
BUSINESS_YEAR_MAX = BUSINESS_DATE_MAX.year
LENIENT = "lenient"
"""Validation context key: set (``{"lenient": True}``) when reading stored events, which are
processed as they were written even where today's contract would refuse them."""


def _lenient(info: ValidationInfo) -> bool:
    return isinstance(info.context, dict) and bool(info.context.get(LENIENT))


def in_business_years(year: int) -> bool:
    """Whether a year lies in the business-date domain."""
    return BUSINESS_YEAR_MIN <= year <= BUSINESS_YEAR_MAX


def _business_date(value: date, info: ValidationInfo) -> date:
    if not _lenient(info) and not BUSINESS_DATE_MIN <= value <= BUSINESS_DATE_MAX:
        raise ValueError(f"date {value.isoformat()} is outside the business-date domain "
                         f"{BUSINESS_DATE_MIN.isoformat()} to {BUSINESS_DATE_MAX.isoformat()}")
    return value


def _business_year(value: int, info: ValidationInfo) -> int:
    if not _lenient(info) and not in_business_years(value):
        raise ValueError(f"year {value} is outside the business-date domain "
                         f"{BUSINESS_YEAR_MIN} to {BUSINESS_YEAR_MAX}")
    return value


BusinessDate = Annotated[
    date, AfterValidator(_business_date),
    Field(json_schema_extra={"formatMinimum": BUSINESS_DATE_MIN.isoformat(),
                             "formatMaximum": BUSINESS_DATE_MAX.isoformat()}),
]
"""A business date (WIB): 1980-01-01 to 2099-12-31 inclusive."""
BusinessYear = Annotated[
    int, AfterValidator(_business_year),
    Field(json_schema_extra={"minimum": BUSINESS_YEAR_MIN, "maximum": BUSINESS_YEAR_MAX}),
]
"""A year of the business-date domain: 1980 to 2099."""


def add_days(day: date, days: int) -> date:
    """``day`` moved by ``days``, held at the ends of the calendar instead of overflowing
    (stored events may carry dates far outside the business-date domain)."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.max if days > 0 else date.min


# --- text hygiene (docs/domain.md#boundaries) -----------------------------------------------------

_LINE_BREAKING = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_LONG_FORBIDDEN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_NAMES = {"\t": "tab", "\n": "line feed", "\r": "carriage return", "\x0b": "vertical tab",
          "\x0c": "form feed", "\x85": "next line", "\u2028": "line separator",
          "\u2029": "paragraph separator", "\x00": "NUL"}


_BREAKS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def one_line(value: object) -> str:
    """``value`` as one line of text: every run of control characters and line or paragraph
    separators becomes one space (for subjects and headers built from stored text)."""
    return _BREAKS.sub(" ", str(value)).strip()


def _refuse(value: str, found: re.Match[str], what: str) -> None:
    char = found.group()
    name = _NAMES.get(char, "control character")
    raise ValueError(f"{what} may not contain U+{ord(char):04X} ({name}), found at "
                     f"position {found.start()}")


def _checked(value: str, forbidden: re.Pattern[str], what: str) -> str:
    found = forbidden.search(value)
    if found:
        _refuse(value, found, what)
    value = value.strip()
    if not value:
        raise ValueError("text may not be empty or only spaces")
    return value


def _short_text(value: str, info: ValidationInfo) -> str:
    if _lenient(info):
        return value
    return _checked(value, _LINE_BREAKING, "one-line text")


def _long_text(value: str, info: ValidationInfo) -> str:
    if _lenient(info):
        return value
    return _checked(value.replace("\r\n", "\n"), _LONG_FORBIDDEN,
                    "text (which may hold line feeds and tabs)")


SHORT_TEXT_PATTERN = "^[^\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029]*$"
LONG_TEXT_PATTERN = ("^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f"
                     "\\u2028\\u2029]*$")


ShortText = Annotated[str, StringConstraints(min_length=1, max_length=300),
                      AfterValidator(_short_text),
                      Field(json_schema_extra={"pattern": SHORT_TEXT_PATTERN})]
"""A title, a name, a number: one line, no control characters."""
ReasonText = Annotated[str, StringConstraints(min_length=1, max_length=2000),
                       AfterValidator(_short_text),
                       Field(json_schema_extra={"pattern": SHORT_TEXT_PATTERN})]
"""A reason: one line (up to 2000 characters), no control characters."""
LongText = Annotated[str, StringConstraints(min_length=1, max_length=4000),
                     AfterValidator(_long_text),
                     Field(json_schema_extra={"pattern": LONG_TEXT_PATTERN})]
"""A summary, an objective, a note: line feeds and tabs allowed (CRLF becomes LF), no other
control character."""
Identifier = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]+$", min_length=1, max_length=64)
]


class ContractModel(BaseModel):
    """Base of every command and command body: unknown fields refused, values immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class RecordModel(BaseModel):
    """Base of what is read from others' records (events, ``kpi.updated``, replies):
    unknown fields ignored, so fields can be added within a version (docs/domain.md#messages)."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class PartnerRecord(RecordModel):
    """The other party of an agreement, as events carry it."""

    name: ShortText = Field(description="Name of the partner.", examples=["blibli.com"])
    category: PartnerCategory = Field(
        description="Category of the partner.", examples=[PartnerCategory.THIRD_PARTY]
    )
    country: CountryCode = Field(description="Country of the partner.", examples=["ID"])


class Partner(PartnerRecord):
    """The other party of an agreement, in a command."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("name")
    @classmethod
    def _names_someone(cls, name: str) -> str:
        # the partner's id is derived from the name's letters and digits
        # (contracts.partners): a name without any would be every such partner's id
        if not normalised_partner_name(name):
            raise ValueError("a partner's name needs at least one letter or digit")
        return name


class SignatoryRecord(RecordModel):
    """The person who signed for the province, as events carry it."""

    name: ShortText = Field(description="Full name.", examples=["Ridwan Kamil"])
    role: SignatoryRole = Field(description="Office held.", examples=[SignatoryRole.GOVERNOR])


class Signatory(SignatoryRecord):
    """The person who signed for the province, in a command."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class MilestoneRecord(RecordModel):
    """A milestone of the follow-up plan, as events carry it."""

    id: Identifier = Field(description="Milestone id, unique within the agreement.",
                           examples=["m1"])
    title: ShortText = Field(description="What is to be done.",
                             examples=["Galeri UMKM Juara dibuka"])
    due_on: BusinessDate = Field(description="Due date (WIB).", examples=["2021-06-30"])
    budget: int | None = Field(
        default=None, ge=0, le=10**15,
        description="Optional budget in whole rupiah.", examples=[150000000],
    )


class Milestone(MilestoneRecord):
    """A milestone of the follow-up plan, in a command."""

    model_config = ConfigDict(extra="forbid", frozen=True)


PARTNER_EXAMPLE = {"name": "blibli.com", "category": "THIRD_PARTY", "country": "ID"}
SIGNATORY_EXAMPLE = {"name": "Ridwan Kamil", "role": "GOVERNOR"}
MILESTONE_EXAMPLE = {"id": "m1", "title": "Galeri UMKM Juara dibuka", "due_on": "2021-06-30",
                     "budget": 150000000}
