"""Sleeping documents (dokumen tidur) as the agreements service sees them: the shared rule
(:mod:`contracts.sleeping`) over an agreement's state."""

from __future__ import annotations

from datetime import date

from contracts.common import Stage
from contracts.sleeping import SLEEPING_AFTER_DAYS, quiet_on, sleeping_on
from services.agreements.domain.state import AgreementState

__all__ = ["SLEEPING_AFTER_DAYS", "is_sleeping", "last_activity_on"]


def _activities(state: AgreementState,
                last_child_signed_on: date | None) -> tuple[date | None, ...]:
    return (state.last_follow_up_on, state.last_milestone_completed_on, last_child_signed_on,
            state.terminated_on)


def last_activity_on(state: AgreementState, today: date,
                     last_child_signed_on: date | None = None) -> date | None:
    """The latest activity on or before ``today`` (see :mod:`contracts.sleeping`)."""
    quiet = quiet_on(today, signed_on=state.signed_on, in_force=True,
                     activities=_activities(state, last_child_signed_on))
    return None if quiet is None else quiet.last_activity_on


def is_sleeping(state: AgreementState, today: date, after_days: int = SLEEPING_AFTER_DAYS,
                last_child_signed_on: date | None = None) -> bool:
    """Whether the agreement is a sleeping document today (``last_child_signed_on``: the
    latest signing of a PKS or ADDENDUM under it, known to the caller)."""
    in_force = state.stage == Stage.SIGNED and state.in_force_on(today)
    return sleeping_on(today, signed_on=state.signed_on, in_force=in_force,
                       activities=_activities(state, last_child_signed_on),
                       after_days=after_days) is not None
