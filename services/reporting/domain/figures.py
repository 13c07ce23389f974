"""Figures: one indicator for one year and one scope, and how its value is derived.

A figure keeps its numerator and denominator exact; ``value`` and ``achievement`` are derived from
them and from the year's target (docs/domain.md#kpi-formulas): percentages rounded half up to 2
decimals, ``null`` when the denominator is 0 or there is no target.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from contracts.kpi import Indicator

RATIO_INDICATORS = frozenset({Indicator.REALIZATION, Indicator.EFFECTIVENESS})
"""Indicators that are percentages of a numerator over a denominator, with a target."""
_CENT = Decimal("0.01")


class FigureKey(NamedTuple):
    """Which figure: indicator, year and scope (``province``, ``opd:<code>``, …)."""

    indicator: Indicator
    year: int
    scope: str


def round_half_up(value: Decimal) -> float:
    """``value`` rounded half up to 2 decimals, as a JSON-ready float."""
    return float(value.quantize(_CENT, rounding=ROUND_HALF_UP))


def percent(numerator: int, denominator: int) -> float | None:
    """``numerator / denominator x 100`` rounded half up (53/63 → 84.13); None when 0/0."""
    if denominator == 0:
        return None
    return round_half_up(Decimal(numerator) * 100 / Decimal(denominator))


def achievement(value: float | None, target: float | None) -> float | None:
    """``value / target x 100`` rounded half up (capaian); None without a value or target.

    The published (rounded) value is used, so a reader of the report gets the same
    achievement from the figures printed next to it.
    """
    if value is None or target is None or target == 0:
        return None
    return round_half_up(Decimal(str(value)) * 100 / Decimal(str(target)))


def target_of(indicator: Indicator, targets: tuple[float, float] | None) -> float | None:
    """The target of ``indicator`` from a work program's (realization, effectiveness)."""
    if targets is None or indicator not in RATIO_INDICATORS:
        return None
    return targets[0] if indicator == Indicator.REALIZATION else targets[1]


@dataclass(frozen=True)
class Figure:
    """The stored part of a figure: what a change is measured on, and its revision."""

    key: FigureKey
    numerator: int | float
    denominator: int | None
    target: float | None
    revision: int = 0
    complete: bool = True
    """False while a parked stream may be missing from it (docs/domain.md#boundaries)."""

    @property
    def value(self) -> float | None:
        """The percentage of a ratio indicator, else the count (or the days)."""
        if self.key.indicator in RATIO_INDICATORS:
            return percent(int(self.numerator), self.denominator or 0)
        return float(self.numerator)

    @property
    def achievement(self) -> float | None:
        """Value over target x 100, or None."""
        return achievement(self.value, self.target)

    def same_as(self, other: Figure) -> bool:
        """Whether numerator, denominator, target and completeness are equal (revision
        aside)."""
        return (self.numerator, self.denominator, self.target, self.complete) == (
            other.numerator, other.denominator, other.target, other.complete)



def zero(key: FigureKey, target: float | None) -> Figure:
    """A figure with nothing counted yet."""
    denominator = 0 if key.indicator in RATIO_INDICATORS else None
    return Figure(key, 0, denominator, target)


def number(value: int | float) -> int | float:
    """An integral float as int (JSON ``53`` rather than ``53.0``)."""
    return int(value) if float(value).is_integer() else float(value)


@dataclass(frozen=True)
class Revision:
    """A figure as published in one ``kpi.updated``: from which prefix of the feed, when,
    and whether it restates an earlier revision of a year that had ended."""

    figure: Figure
    as_of_position: int
    recorded_at: datetime
    restated: bool = False
    previous_value: float | None = None


def restates(key: FigureKey, recorded_on: date, earlier: bool) -> bool:
    """Whether a figure recorded on that (WIB) day restates: its year had ended and an
    earlier revision exists."""
    return earlier and recorded_on > date(key.year, 12, 31)
