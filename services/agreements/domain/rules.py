"""The province's rules: kinds and partners, signatories, approvals, validity, dates."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from contracts.common import (
    Authority,
    DocumentType,
    Kind,
    PartnerCategory,
    PartnerRecord,
    SignatoryRole,
)
from services.agreements.domain.errors import (
    CountryMismatch,
    InvalidDates,
    KindCategoryMismatch,
    SignatoryNotAllowed,
    UnknownPriority,
    ValidityTooLong,
)

C = PartnerCategory
R = SignatoryRole

CATEGORIES_OF_KIND: dict[Kind, tuple[PartnerCategory, ...]] = {
    Kind.KSDD: (C.REGIONAL_GOVERNMENT,),
    Kind.KSDPK: (C.THIRD_PARTY, C.OTHER_INSTITUTION),
    Kind.KSDPL: (C.FOREIGN_REGIONAL_GOVERNMENT,),
    Kind.KSDLL: (C.FOREIGN_INSTITUTION,),
    Kind.SINERGI: (C.MINISTRY_OR_AGENCY, C.STATE_UNIVERSITY),
}
FOREIGN_KINDS = frozenset({Kind.KSDPL, Kind.KSDLL})
HOME_COUNTRY = "ID"

_ANYONE = (R.GOVERNOR, R.REGIONAL_SECRETARY, R.HEAD_OF_AGENCY)
SIGNATORIES_OF_CATEGORY: dict[PartnerCategory, tuple[SignatoryRole, ...]] = {
    C.REGIONAL_GOVERNMENT: _ANYONE,
    C.MINISTRY_OR_AGENCY: _ANYONE,
    C.STATE_UNIVERSITY: _ANYONE,
    C.OTHER_INSTITUTION: _ANYONE,
    C.THIRD_PARTY: _ANYONE,
    C.FOREIGN_REGIONAL_GOVERNMENT: (R.GOVERNOR,),
    C.FOREIGN_INSTITUTION: (R.GOVERNOR, R.REGIONAL_SECRETARY),
}

DOCUMENTS_WITH_PARENT = frozenset({DocumentType.PKS, DocumentType.ADDENDUM})
MAX_VALIDITY_YEARS = 5


def one_of(values: Iterable[str]) -> str:
    """``A``, ``A or B``, ``A, B or C``."""
    items = list(values)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"


def _who(index: int, partner: PartnerRecord) -> str:
    return "a partner" if index == 0 else f"co-partner '{partner.name}'"


def check_partners(kind: Kind, partners: Iterable[PartnerRecord]) -> None:
    """Every partner's category and country must fit the kind of cooperation."""
    for index, partner in enumerate(partners):
        allowed = CATEGORIES_OF_KIND[kind]
        if partner.category not in allowed:
            raise KindCategoryMismatch(
                f"a {kind} agreement needs {_who(index, partner)} of category "
                f"{one_of(allowed)}, not {partner.category}")
        foreign = kind in FOREIGN_KINDS
        if foreign == (partner.country == HOME_COUNTRY):
            where = "outside Indonesia" if foreign else f"in Indonesia ({HOME_COUNTRY})"
            raise CountryMismatch(
                f"a {kind} agreement needs {_who(index, partner)} {where}, "
                f"not country {partner.country}")


def check_signatory(role: SignatoryRole, partners: Iterable[PartnerRecord]) -> None:
    """The signatory's office must be allowed for every partner's category."""
    for index, partner in enumerate(partners):
        allowed = SIGNATORIES_OF_CATEGORY[partner.category]
        if role not in allowed:
            raise SignatoryNotAllowed(
                f"{_who(index, partner)} of category {partner.category} needs a signatory "
                f"who is {one_of(allowed)}, not {role}")


def required_approvals(kind: Kind, burdens_budget: bool) -> frozenset[Authority]:
    """DPRD when it burdens the budget or is foreign; also the central government if foreign."""
    required: set[Authority] = set()
    if burdens_budget or kind in FOREIGN_KINDS:
        required.add(Authority.DPRD)
    if kind in FOREIGN_KINDS:
        required.add(Authority.CENTRAL_GOVERNMENT)
    return frozenset(required)


def add_years(day: date, years: int) -> date:
    """The same day ``years`` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def check_validity(effective_from: date, effective_until: date) -> None:
    """In force from ``effective_from`` to ``effective_until``, at most five years later."""
    if effective_until < effective_from:
        raise InvalidDates(
            f"effective_until {effective_until} is before effective_from {effective_from}")
    latest = add_years(effective_from, MAX_VALIDITY_YEARS)
    if effective_until > latest:
        raise ValidityTooLong(
            f"effective_until {effective_until} is more than {MAX_VALIDITY_YEARS} years after "
            f"effective_from {effective_from}; the latest allowed is {latest}")


def not_in_future(name: str, value: date, today: date) -> None:
    """A date of something that happened cannot be after today."""
    if value > today:
        raise InvalidDates(f"{name} {value} is in the future (today is {today})")


def not_before(name: str, value: date, other_name: str, other: date) -> None:
    """``value`` cannot be before ``other``."""
    if value < other:
        raise InvalidDates(f"{name} {value} is before {other_name} {other}")


def check_priority(priority: str | None, year: int, priorities: frozenset[str] | None) -> None:
    """Refuse (422) a priority that the year's work program (its ``priorities``; None when
    the year has none) does not set."""
    if priority is None:
        return
    if priorities is None:
        raise UnknownPriority(f"priority {priority} names no priority of {year}: no work "
                              f"program is adopted for {year}")
    if priority not in priorities:
        known = ", ".join(sorted(priorities)) or "none"
        raise UnknownPriority(f"priority {priority} is not one of the priorities of the "
                              f"{year} work program ({known})")
