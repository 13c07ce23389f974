"""Figures that move with time: sleeping documents and agreements expiring soon.

A year's time-dependent figure is taken *as of* the end of that year, or today for the
current year (:func:`as_of`), so past years keep a stable value and the current one
follows the shared clock. Only what had happened by that date counts: signings,
activities and terminations dated later are not known yet on it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from contracts.kpi import Indicator, day_taken
from contracts.roles import PROVINCE
from contracts.sleeping import SLEEPING_AFTER_DAYS, sleeping_on
from services.reporting.domain.contributions import scopes
from services.reporting.domain.facts import AgreementFacts
from services.reporting.domain.figures import FigureKey

EXPIRING_WITHIN_DAYS = 90


def as_of(year: int, today: date) -> date:
    """The date a year's time-dependent figures are taken at: 31 Dec, or today if earlier
    (the contract's rule, :func:`contracts.kpi.day_taken`, which tables label them by)."""
    return day_taken(year, today)


def _signed_and_in_force(facts: AgreementFacts, day: date) -> bool:
    if facts.signed_on is None or facts.signed_on > day:
        return False
    if facts.terminated_on is not None and facts.terminated_on < day:
        return False
    return facts.in_force_on(day)


@dataclass(frozen=True)
class SleepingDocument:
    """A signed agreement in force with no follow-up for too long (dokumen tidur)."""

    facts: AgreementFacts
    last_activity_on: date
    days_without_activity: int


def sleeping(facts: AgreementFacts, child_signings: Iterable[date], day: date,
             after_days: int = SLEEPING_AFTER_DAYS) -> SleepingDocument | None:
    """The agreement as a sleeping document on ``day`` (:mod:`contracts.sleeping`), or
    None if it is not one."""
    quiet = sleeping_on(day, signed_on=facts.signed_on, in_force=facts.in_force_on(day),
                        activities=(*facts.activity_dates, *child_signings,
                                    facts.terminated_on), after_days=after_days)
    return None if quiet is None else SleepingDocument(facts, quiet.last_activity_on,
                                                       quiet.days)


def expiring(facts: AgreementFacts, day: date,
             within_days: int = EXPIRING_WITHIN_DAYS) -> bool:
    """Whether the agreement is in force on ``day`` and its validity ends within the days."""
    return (_signed_and_in_force(facts, day) and facts.effective_until is not None
            and (facts.effective_until - day).days <= within_days)


def timely_figures(agreements: Iterable[AgreementFacts],
                   children: Mapping[UUID, list[date]], years: Iterable[int], today: date,
                   *, sleeping_after_days: int = SLEEPING_AFTER_DAYS,
                   expiring_within_days: int = EXPIRING_WITHIN_DAYS) -> Counter[FigureKey]:
    """The counts of ``sleeping`` and ``expiring_90_days`` per year and scope.

    Every year given gets its province figures, zero included, so a year with nothing
    asleep says 0 rather than nothing.
    """
    counts: Counter[FigureKey] = Counter()
    wanted = [y for y in years if date(y, 1, 1) <= today]
    for year in wanted:
        counts[FigureKey(Indicator.SLEEPING, year, PROVINCE)] += 0
        counts[FigureKey(Indicator.EXPIRING_90_DAYS, year, PROVINCE)] += 0
    for facts in agreements:
        if facts.signed_on is None:
            continue
        for year in wanted:
            day = as_of(year, today)
            if sleeping(facts, children.get(facts.id, ()), day, sleeping_after_days):
                for scope in scopes(facts):
                    counts[FigureKey(Indicator.SLEEPING, year, scope)] += 1
            if expiring(facts, day, expiring_within_days):
                for scope in scopes(facts):
                    counts[FigureKey(Indicator.EXPIRING_90_DAYS, year, scope)] += 1
    return counts
