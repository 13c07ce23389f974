"""Old history: what happened long before it was recorded is not announced.

Records are often entered late (docs/domain.md#late-entries). An event-driven notice is
about something that happened on a business date (a proposal on ``proposed_on``, a
signing on ``signed_on``); when the event was recorded more than ``late_days`` days after
that date, telling anyone now ("please send a plan by …" for an agreement signed five
years ago) is noise, so the notice is recorded as skipped, with the reason, and not sent.
Days are counted between business dates in WIB: the date the thing happened and the WIB
date of the event's CloudEvent ``time`` (the service takes it from the shared clock,
``plumbing.clock.to_wib``, and passes the date in).
"""

from __future__ import annotations

from datetime import date


def days_late(happened_on: date, recorded_on: date) -> int:
    """Days from the business date something happened to the day it was recorded."""
    return (recorded_on - happened_on).days


def is_old_history(happened_on: date | None, recorded_on: date, late_days: int) -> bool:
    """Whether a fact dated ``happened_on`` and recorded on ``recorded_on`` came more than
    ``late_days`` days late (a fact without a business date never did)."""
    return happened_on is not None and days_late(happened_on, recorded_on) > late_days


def old_history(what: str, happened_on: date | None, recorded_on: date,
                late_days: int) -> str | None:
    """Why a notice about ``what`` happened (``"signed"``, ``"proposed"``) on
    ``happened_on`` is not sent, or None when it is (timely, or no business date)."""
    if happened_on is None or not is_old_history(happened_on, recorded_on, late_days):
        return None
    return (f"entered {days_late(happened_on, recorded_on):,} days after it happened "
            f"({what} {happened_on.isoformat()}); notices of old history (more than "
            f"{late_days} days) are not sent")
