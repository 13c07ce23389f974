"""Days from proposal to signing: the median and the 90th percentile of a year's signings."""

from __future__ import annotations

import math
from collections.abc import Sequence

from contracts.kpi import Indicator
from services.reporting.domain.facts import AgreementFacts
from services.reporting.domain.figures import FigureKey

SIGNING_DAYS_INDICATORS = (Indicator.SIGNING_DAYS_MEDIAN, Indicator.SIGNING_DAYS_P90)


def signing_days(facts: AgreementFacts) -> int | None:
    """Days from ``proposed_on`` to ``signed_on`` of a signed agreement (never negative)."""
    if facts.signed_on is None:
        return None
    return max(0, (facts.signed_on - facts.proposed_on).days)


def median(days: Sequence[int]) -> float:
    """The median: the middle value, or the mean of the two middle ones (may end in .5)."""
    if not days:
        raise ValueError("median of no values")
    ordered = sorted(days)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


def p90(days: Sequence[int]) -> int:
    """The 90th percentile by nearest rank: the smallest value with ≥ 90 % at or below it."""
    if not days:
        raise ValueError("percentile of no values")
    ordered = sorted(days)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


def signing_figures(year: int, scope: str, days: Sequence[int]) -> dict[FigureKey, float]:
    """The two signing-days figures of a year and scope (none when nothing was signed)."""
    if not days:
        return {}
    return {FigureKey(Indicator.SIGNING_DAYS_MEDIAN, year, scope): median(days),
            FigureKey(Indicator.SIGNING_DAYS_P90, year, scope): float(p90(days))}
