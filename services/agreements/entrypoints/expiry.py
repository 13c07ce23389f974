"""The expiry job: signed agreements past ``effective_until`` become EXPIRED.

It issues ``agreement.expire`` through the same use case as HTTP and AMQP, dated the day
after the last day in force, with the command id ``expire-<agreement id>``: a second run,
or another replica running at the same time, answers the first result and stores nothing.
"""

from __future__ import annotations

import logging
from datetime import date
from uuid import UUID

from prometheus_client import Counter

from contracts.commands import ExpireAgreement
from contracts.common import BUSINESS_DATE_MAX, BUSINESS_DATE_MIN, add_days
from plumbing import clock
from plumbing.background import Loop, every
from plumbing.db import Pool
from services.agreements.adapters import records
from services.agreements.application.service import AgreementService
from services.agreements.domain import DomainError

log = logging.getLogger(__name__)

EXPIRY_ACTOR = "system:expiry"
EXPIRY_ROLES = frozenset({EXPIRY_ACTOR})
EXPIRED = Counter("kerjasama_agreements_expired_total",
                  "Agreements the expiry job moved to EXPIRED.")


def expiry_command_id(agreement_id: UUID) -> str:
    """The command id of an agreement's expiry: the same on every run and replica."""
    return f"expire-{agreement_id}"


async def expire_due(pool: Pool, service: AgreementService) -> list[UUID]:
    """Expire every signed agreement past its end date; the ids this call expired."""
    expired: list[UUID] = []
    seen: set[UUID] = set()
    while True:
        due = await records.past_their_end(pool, clock.today())
        fresh = [aid for aid in due if aid not in seen]
        if not fresh:
            return expired
        seen.update(fresh)
        for agreement_id in fresh:
            row = await records.load_agreement(pool, agreement_id)
            if row is None or row.stage != "SIGNED":
                continue
            day_after = add_days(date.fromisoformat(row.state["effective_until"]), 1)
            command = ExpireAgreement(
                command_id=expiry_command_id(agreement_id), agreement_id=agreement_id,
                # a day after the domain's end (or a stored date before its start) is
                # recorded as today
                on=day_after if BUSINESS_DATE_MIN <= day_after <= BUSINESS_DATE_MAX else None)
            try:
                accepted = await service.handle(command, actor=EXPIRY_ACTOR, roles=EXPIRY_ROLES)
            except DomainError as exc:  # e.g. expired or terminated meanwhile
                log.info("expiry of %s refused: %s", agreement_id, exc)
                continue
            if not accepted.replayed:
                EXPIRED.inc()
                expired.append(agreement_id)


def expiry_loop(pool: Pool, service: AgreementService, interval: float) -> Loop:
    """The background loop: :func:`expire_due` now and every ``interval`` seconds."""

    async def expire() -> None:
        done = await expire_due(pool, service)
        if done:
            log.info("expiry job: %d agreement(s) past their end date", len(done))

    return every(expire, interval=interval, name="expiry job")
