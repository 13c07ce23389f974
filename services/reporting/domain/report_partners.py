"""The yearly report's section on partners (docs/domain.md#partners): every partner with
agreements that count in the year (signed in it, in force during it, or bringing revenue
in it), counted for the partner it stands for after the registry's merges: its name,
category and country as the registry knows it, its agreements signed in the year and in
force in it, the value of those signed (cash and in kind) and the revenue; the amounts
read from the year's ``partner:`` figures, so the section states what ``GET /kpis``
serves."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from uuid import UUID

from contracts.common import PartnerCategory
from contracts.kpi import Indicator
from contracts.roles import partner_scope
from services.reporting.domain.facts import AgreementFacts
from services.reporting.domain.figures import Figure, FigureKey
from services.reporting.domain.record import Record

CATEGORY_ORDER = {c.value: n for n, c in enumerate(PartnerCategory)}


@dataclass(frozen=True)
class PartnerRow:
    """One partner in the year."""

    partner_id: UUID
    name: str
    category: str
    country: str
    signed: int
    """Its agreements signed in the year."""
    in_force: int
    """Its agreements in force at some time in the year."""
    value: int
    """Value in cash and in kind of its agreements signed in the year (whole rupiah)."""
    revenue: int
    """Regional revenue of its agreements' follow-ups dated in the year."""


def _amount(found: Mapping[FigureKey, Figure], indicator: Indicator, year: int,
            partner: UUID) -> int:
    figure = found.get(FigureKey(indicator, year, partner_scope(partner)))
    return 0 if figure is None else int(figure.numerator)


def partner_rows(record: Record, year: int,
                 found: Mapping[FigureKey, Figure]) -> tuple[PartnerRow, ...]:
    """The section from the record and the year's figures: by category (in the order of
    the categories), then name."""
    agreements: dict[UUID, list[AgreementFacts]] = {}
    for facts in record.agreements.values():
        partner = record.partner_of(facts)
        if partner is not None:
            agreements.setdefault(partner, []).append(facts)
    rows = []
    for partner, theirs in agreements.items():
        signed = sum(1 for f in theirs if f.signed_on is not None and f.signed_on.year == year)
        in_force = sum(1 for f in theirs if f.signed_on is not None
                       and year in f.in_force_years())
        value = (_amount(found, Indicator.VALUE_CASH, year, partner)
                 + _amount(found, Indicator.VALUE_IN_KIND, year, partner))
        revenue = _amount(found, Indicator.REVENUE, year, partner)
        if not (signed or in_force or value or revenue):
            continue
        known = record.partners.get(partner)
        if known is not None and known.name:
            name, category, country = known.name, known.category, known.country
        else:  # not registered (yet): as the latest proposal named it
            latest = max((f for f in theirs if f.partner is not None),
                         key=lambda f: (f.proposed_on, str(f.id)), default=None)
            snapshot = latest.partner if latest is not None else None
            name, category, country = (snapshot.name, snapshot.category, snapshot.country) \
                if snapshot is not None else (str(partner), "", "")
        rows.append(PartnerRow(partner, name, category, country, signed, in_force, value,
                               revenue))
    rows.sort(key=lambda r: (CATEGORY_ORDER.get(r.category, len(CATEGORY_ORDER)),
                             r.name.casefold(), str(r.partner_id)))
    return tuple(rows)
