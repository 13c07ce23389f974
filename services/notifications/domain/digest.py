"""The late entries' digest: so that agreements entered late are not forgotten.

An agreement whose proposal or signing was recorded more than ``notice_late_days`` after
it happened gets no event-driven notice about it (old history, :mod:`.lateness`): the
secretariat is not told of the proposal, the agencies are not asked for a plan. Instead,
the TKKSD secretariat gets one list a day of those of them that need attention now:

- a late-entered proposal still open (:data:`OPEN_STAGES`: not yet signed, rejected or
  withdrawn), from the day after it was entered on, as long as it stays open;
- a signed agreement whose signing was entered late, when it is sleeping (the shared rule
  of contracts.sleeping, on the business dates), without a follow-up plan while still to
  be carried out, or ending within :attr:`Policy.expiring_soon_days`.

Pure, and the one judge of what is late-entered: the service reads the agreements in
:data:`CANDIDATE_STAGES` and records the notice once per day (its occasion).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from contracts.common import Stage
from contracts.sleeping import sleeping_on
from services.notifications.domain.agreement import AgreementView
from services.notifications.domain.rules import Audience, Notice, Policy, Rule

Item = Mapping[str, str | int | None]

OPEN_STAGES = frozenset({
    Stage.PROPOSED, Stage.IN_REVIEW, Stage.REVISION_REQUESTED, Stage.DRAFTING,
    Stage.IN_DISCUSSION, Stage.AWAITING_APPROVAL, Stage.READY_TO_SIGN})
"""The stages of a proposal still open: every stage before ``SIGNED`` but the ends
(``REJECTED``, ``WITHDRAWN``). The secretariat facilitates each of them (review, drafting,
discussion, approvals, signing), and one waiting for the agency's revision is still its
to decide on: to chase it or to close it."""
CANDIDATE_STAGES = OPEN_STAGES | {Stage.SIGNED}
"""The stages in which an agreement may be listed: what the service reads for the
digest, before :func:`listed` judges each."""


def digest_occasion(today: date) -> str:
    """``late-entries/<date>``: the digest of one business day."""
    return f"late-entries/{today.isoformat()}"


def _entry(view: AgreementView, recorded_on: date | None, **why: str | int | None) -> Item:
    """An entry: what the agreement is, the fact entered late and when, and why listed.
    Every entry has every key (None where it does not apply), for webhook readers."""
    return {
        "agreement_id": str(view.id), "title": view.title, "number": view.number,
        "lead_opd": view.lead_opd, "stage": view.stage.value,
        "proposed_on": view.proposed_on.isoformat(),
        "signed_on": None if view.signed_on is None else view.signed_on.isoformat(),
        "recorded_on": None if recorded_on is None else recorded_on.isoformat(),
        "sleeping_days": None, "last_activity_on": None, "no_plan": 0,
        "effective_until": None, "expires_in_days": None, **why,
    }


def _open_proposal(view: AgreementView, today: date, policy: Policy) -> Item | None:
    # from the next day on: an agreement entered with its whole history (proposed,
    # reviewed, signed in one sitting) is open for moments only, and a digest recorded
    # meanwhile would list it as pending for the rest of the day
    if view.recorded_on >= today or not view.proposal_entered_late(policy.notice_late_days):
        return None
    return _entry(view, view.recorded_on)


def _signed(view: AgreementView, today: date, policy: Policy) -> Item | None:
    if view.signed_on is None or not view.entered_late(policy.notice_late_days):
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
    return _entry(
        view, view.signing_recorded_on,
        sleeping_days=None if sleeping is None else sleeping.days,
        last_activity_on=None if sleeping is None else sleeping.last_activity_on.isoformat(),
        no_plan=int(no_plan), effective_until=None if until is None else until.isoformat(),
        expires_in_days=left if expiring else None)


def listed(view: AgreementView, today: date, policy: Policy) -> Item | None:
    """The digest's entry of an agreement, with why it is listed, or None when it is not
    late-entered or needs no attention on ``today``.

    An open proposal is listed when the proposal was entered late, before ``today``; its
    ``recorded_on`` is the day the proposal was recorded. A signed agreement is listed
    when its signing was entered late and it needs attention; its ``recorded_on`` is the
    day the signing was recorded.
    """
    if view.stage in OPEN_STAGES:
        return _open_proposal(view, today, policy)
    if view.stage == Stage.SIGNED:
        return _signed(view, today, policy)
    return None


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
                         "proposals": sum(1 for i in items if i["stage"] != Stage.SIGNED.value),
                         "late_days": policy.notice_late_days,
                         "expiring_soon_days": policy.expiring_soon_days},
                  items=tuple(items))
