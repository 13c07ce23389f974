"""The yearly report's section on mapping, priorities and value (docs/domain.md#planning):
per agency and per priority, the items mapped and realised, the value of the agreements
signed and the revenue, and per priority its main figures; all read from the year's
figures, so the section states what ``GET /kpis`` serves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from contracts.kpi import Indicator
from contracts.roles import PROVINCE
from services.reporting.domain.figures import Figure, FigureKey

AGENCY_PREFIX, PRIORITY_PREFIX = "opd:", "priority:"


@dataclass(frozen=True)
class PlanningRow:
    """The planning figures of one scope (the province, an agency or a priority)."""

    code: str
    """The agency's or priority's code ('' for the province)."""
    name: str | None
    """The priority's name as the work program adopted it (None for others)."""
    items_mapped: int
    items_realised: int
    value_cash: int
    value_in_kind: int
    revenue: int
    agreements: int = 0
    realization: float | None = None
    effectiveness: float | None = None


@dataclass(frozen=True)
class Planning:
    """The section: the province, then each agency and each priority with any figure."""

    province: PlanningRow
    agencies: tuple[PlanningRow, ...]
    priorities: tuple[PlanningRow, ...]


def _row(found: Mapping[FigureKey, Figure], year: int, scope: str, code: str,
         name: str | None) -> PlanningRow:
    def count(indicator: Indicator) -> int:
        figure = found.get(FigureKey(indicator, year, scope))
        return 0 if figure is None else int(figure.numerator)

    def value(indicator: Indicator) -> float | None:
        figure = found.get(FigureKey(indicator, year, scope))
        return None if figure is None else figure.value

    return PlanningRow(code, name, count(Indicator.ITEMS_MAPPED),
                       count(Indicator.ITEMS_MAPPED_REALISED), count(Indicator.VALUE_CASH),
                       count(Indicator.VALUE_IN_KIND), count(Indicator.REVENUE),
                       count(Indicator.AGREEMENTS), value(Indicator.REALIZATION),
                       value(Indicator.EFFECTIVENESS))


def planning(found: Mapping[FigureKey, Figure], year: int,
             priorities: Sequence[tuple[str, str]]) -> Planning:
    """The section from the year's figures and its work program's priorities (every
    priority adopted is listed, and any other one a figure names)."""
    scopes = {k.scope for k in found if k.year == year}
    agencies = sorted(s.removeprefix(AGENCY_PREFIX) for s in scopes
                      if s.startswith(AGENCY_PREFIX))
    names = dict(priorities)
    codes = [*names, *sorted(s.removeprefix(PRIORITY_PREFIX) for s in scopes
                             if s.startswith(PRIORITY_PREFIX)
                             and s.removeprefix(PRIORITY_PREFIX) not in names)]
    return Planning(
        _row(found, year, PROVINCE, "", None),
        tuple(r for r in (_row(found, year, AGENCY_PREFIX + a, a, None) for a in agencies)
              if r.items_mapped or r.value_cash or r.value_in_kind or r.revenue),
        tuple(_row(found, year, PRIORITY_PREFIX + c, c, names.get(c)) for c in codes))
