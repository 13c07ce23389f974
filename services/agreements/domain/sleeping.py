"""Sleeping documents (dokumen tidur): signed, in force, and nobody follows them up."""

from __future__ import annotations

from datetime import date

from contracts.common import Stage
from services.agreements.domain.state import AgreementState

SLEEPING_AFTER_DAYS = 90


def last_activity_on(state: AgreementState,
                     last_child_signed_on: date | None = None) -> date | None:
    """The latest of signing, a follow-up, a milestone completion and a child's signing."""
    dates = [d for d in (state.signed_on, state.last_follow_up_on,
                         state.last_milestone_completed_on, last_child_signed_on)
             if d is not None]
    return max(dates, default=None)


def is_sleeping(state: AgreementState, today: date, after_days: int = SLEEPING_AFTER_DAYS,
                last_child_signed_on: date | None = None) -> bool:
    """Whether a signed agreement in force today had no activity for ``after_days`` days.

    Activity: its signing, a follow-up, a milestone completion, or the signing of a
    child PKS or ADDENDUM (``last_child_signed_on``, known to the caller).
    """
    if state.stage != Stage.SIGNED or not state.in_force_on(today):
        return False
    last = last_activity_on(state, last_child_signed_on)
    return last is not None and (today - last).days >= after_days
