"""Sleeping documents (*dokumen tidur*): one rule, the same in every service.

A signed agreement is sleeping on a day when it is in force that day and its last
activity on or before that day lies ``after_days`` days or more back (90 by default).
Activity is its signing, a follow-up, the completion of a milestone, the signing of a
PKS or ADDENDUM under it, and its termination (from the day it is terminated it is no
longer left unattended). Evaluations are not activity. Each service passes the dates it
knows and its own reading of "in force" (the validity period, both ends included, cut
short by a termination): docs/domain.md#sleeping-documents.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

SLEEPING_AFTER_DAYS = 90
"""Days without activity after which a signed agreement is a sleeping document."""


@dataclass(frozen=True)
class Quiet:
    """How long an agreement has been left without activity on a day."""

    last_activity_on: date
    days: int


def quiet_on(day: date, *, signed_on: date | None, in_force: bool,
             activities: Iterable[date | None]) -> Quiet | None:
    """The last activity on or before ``day`` and the days since, for an agreement
    signed by then and in force on ``day``; None otherwise."""
    if signed_on is None or signed_on > day or not in_force:
        return None
    last = max(d for d in (signed_on, *activities) if d is not None and d <= day)
    return Quiet(last, (day - last).days)


def sleeping_on(day: date, *, signed_on: date | None, in_force: bool,
                activities: Iterable[date | None],
                after_days: int = SLEEPING_AFTER_DAYS) -> Quiet | None:
    """The agreement's quiet spell when it is a sleeping document on ``day``, else None."""
    quiet = quiet_on(day, signed_on=signed_on, in_force=in_force, activities=activities)
    return quiet if quiet is not None and quiet.days >= after_days else None
