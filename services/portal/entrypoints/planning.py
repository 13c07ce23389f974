"""The dashboard's planning section (DESIGN §12): the year's priorities by name with their
figures, the cooperation mapping and the value per agency, and the province's totals;
amounts in rupiah as each language writes them. Only figures the portal received are
shown."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from contracts.kpi import AMOUNT_INDICATORS, Indicator
from services.portal.domain.planning import Priority, name_of

PLANNING: tuple[str, ...] = tuple(i.value for i in (
    Indicator.ITEMS_MAPPED, Indicator.ITEMS_MAPPED_REALISED, Indicator.VALUE_CASH,
    Indicator.VALUE_IN_KIND, Indicator.REVENUE))
"""The planning figures (plain strings, as stored), in the order the pages show them."""
PER_PRIORITY: tuple[str, ...] = (Indicator.REALIZATION.value, *PLANNING)
AMOUNTS = frozenset(i.value for i in AMOUNT_INDICATORS)

Item = dict[str, Any]


@dataclass(frozen=True)
class Row:
    """One row of a table: its label (a priority's name, an agency's code), the code it
    stands for, and the figure of each column the portal has (None where it has none)."""

    label: str
    code: str
    cells: dict[str, Item | None]


@dataclass(frozen=True)
class Table:
    """Rows, and the columns at least one of them has a figure for."""

    columns: tuple[str, ...]
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class Planning:
    """What the section shows for a year."""

    year: int
    province: tuple[tuple[str, Item], ...]
    priorities: Table
    agencies: Table

    @property
    def empty(self) -> bool:
        """Nothing to show: no priorities and no planning figure for the year."""
        return not (self.province or self.priorities.rows or self.agencies.rows)


def _table(codes: Iterable[str], label: dict[str, str], prefix: str,
           columns: Sequence[str], found: dict[tuple[str, str], Item]) -> Table:
    rows = tuple(Row(label.get(code, code), code,
                     {c: found.get((c, prefix + code)) for c in columns}) for code in codes)
    shown = tuple(c for c in columns if any(r.cells[c] is not None for r in rows))
    return Table(shown, rows)


def _codes(found: dict[tuple[str, str], Item], prefix: str, columns: Sequence[str]) -> set[str]:
    return {scope.removeprefix(prefix) for indicator, scope in found
            if indicator in columns and scope.startswith(prefix)}


def planning(year: int, items: Iterable[Item], priorities: Sequence[Priority]) -> Planning:
    """The section of ``year`` from the figures kept and the year's priorities: every
    priority of the work program in its order (then any other code a figure names), the
    agencies with a planning figure, and the province's planning figures."""
    found = {(i["indicator"], i["scope"]): i for i in items
             if i["year"] == year and i["indicator"] in PER_PRIORITY}
    listed = [p.code for p in priorities]
    codes = listed + sorted(_codes(found, "priority:", PER_PRIORITY) - set(listed))
    names = {code: name_of(code, priorities) or code for code in codes}
    province = tuple((c, found[(c, "province")]) for c in PLANNING if (c, "province") in found)
    agencies = sorted(_codes(found, "opd:", PLANNING))
    return Planning(year, province,
                    _table(codes, names, "priority:", PER_PRIORITY, found),
                    _table(agencies, {}, "opd:", PLANNING, found))
