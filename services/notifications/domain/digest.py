"""The late entries' digest: so that agreements entered late are not forgotten.

An agreement whose signing was recorded more than ``notice_late_days`` after it was
signed gets no event-driven notices (old history, :mod:`.lateness`) and no reminder of a
plan it was never asked for. Instead, the TKKSD secretariat gets one list a day of those
of them that need attention now: sleeping (the shared rule of contracts.sleeping, on the
business dates), without a follow-up plan while still to be carried out, or ending within
:attr:`Policy.expiring_soon_days`. Pure: the service passes the late-entered agreements
and records the notice once per day (its occasion).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from contracts.common import Stage
from contracts.sleeping import sleeping_on
from services.notifications.domain.agreement import AgreementView
from services.notifications.domain.rules import Audience, Notice, Policy, Rule

Item = Mapping[str, str | int | None]


def digest_occasion(today: date) -> str:
    """``late-entries/<date>``: the digest of one business day."""
    return f"late-entries/{today.isoformat()}"


def listed(view: AgreementView, today: date, policy: Policy) -> Item | None:
    """The digest's entry of a late-entered agreement, with why it is listed, or None
    when it is not late-entered or needs no attention on ``today``."""
    if (view.stage != Stage.SIGNED or view.signed_on is None
            or not view.entered_late(policy.notice_late_days)):
        return None
    until = view.effective_until
    sleeping = sleeping_on(today, signed_on=view.signed_on, in_force=view.in_force_on(today),
                           activities=view.activities(),
                           after_days=policy.sleeping_after_days)
    no_plan = not view.has_plan and (until is None or today <= until)
    left = None if until is None else (until - today).days
    expiring = left is not None and 0 <= left <= policy.expiring_soon_days
    if sleeping is None and not no_plan and not expiring:
        return None
    return {
        "agreement_id": str(view.id), "title": view.title, "number": view.number,
        "lead_opd": view.lead_opd, "signed_on": view.signed_on.isoformat(),
        "recorded_on": view.signing_recorded_on.isoformat()
        if view.signing_recorded_on else None,
        "sleeping_days": None if sleeping is None else sleeping.days,
        "last_activity_on": None if sleeping is None else sleeping.last_activity_on.isoformat(),
        "no_plan": int(no_plan),
        "effective_until": None if until is None else until.isoformat(),
        "expires_in_days": left if expiring else None,
    }


def late_entries_digest(views: Iterable[AgreementView], today: date,
                        policy: Policy) -> Notice | None:
    """The secretariat's digest of ``today``: the late-entered agreements that need
    attention, by lead agency, title and id; None when there is none."""
    items = [item for view in sorted(views, key=lambda v: (v.lead_opd, v.title, str(v.id)))
             if (item := listed(view, today, policy)) is not None]
    if not items:
        return None
    return Notice(Rule.LATE_ENTRIES_DIGEST, digest_occasion(today), (Audience.SECRETARIAT,),
                  facts={"day": today.isoformat(), "count": len(items),
                         "late_days": policy.notice_late_days,
                         "expiring_soon_days": policy.expiring_soon_days},
                  items=tuple(items))
