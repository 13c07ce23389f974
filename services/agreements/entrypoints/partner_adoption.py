"""The adoption job: the partners of agreements proposed before the registry, registered.

Every proposal carries a ``partner_id`` (``agreement.proposed.v1`` gets it from the
upcaster: derived from the partner's name and country, as ``v2`` derived it). The job
reads the feed from where it stopped, and registers each such partner the registry does not
hold yet, under that id and with the proposal's snapshot (``partner.registered`` with
``adopted``), through the same use case as HTTP and AMQP with the command id
``adopt-partner-<id>``: a second run, or another replica, answers the first result. When
another partner took that name and country since, the adopted one is merged into it in the
same append, so the old agreements stand for it.
"""

from __future__ import annotations

import logging
from uuid import UUID

from prometheus_client import Counter
from pydantic import ValidationError

from contracts import codec
from contracts.events import AgreementProposed
from contracts.roles import PARTNER_ADOPTION_JOB
from plumbing.background import Loop, every
from plumbing.db import Pool
from services.agreements.adapters import partner_records
from services.agreements.application.service import AgreementService
from services.agreements.domain import DomainError
from services.agreements.domain.partner import AdoptPartner, registered_id

log = logging.getLogger(__name__)

ADOPTION_ROLES = frozenset({PARTNER_ADOPTION_JOB})
BATCH = 500
ADOPTED = Counter("kerjasama_partners_adopted_total",
                  "Partners the adoption job registered from agreements proposed before the "
                  "registry.")


def adoption_command_id(partner_id: UUID) -> str:
    """The command id of a partner's adoption: the same on every run and replica."""
    return f"adopt-partner-{partner_id}"


def adoption_of(proposal: AgreementProposed) -> AdoptPartner | None:
    """The adoption of the proposal's partner, or None when its snapshot does not give
    its id (a name without letters or digits, written before that was refused)."""
    snapshot = proposal.partner
    try:
        command = AdoptPartner(command_id=adoption_command_id(proposal.partner_id),
                               name=snapshot.name, category=snapshot.category,
                               country=snapshot.country)
    except ValidationError as exc:
        log.warning("partner %s of agreement %s cannot be adopted: %s", proposal.partner_id,
                    proposal.agreement_id, exc.errors()[0]["msg"])
        return None
    if registered_id(command) != proposal.partner_id:
        log.warning("partner %s of agreement %s is not the id its snapshot gives; not "
                    "adopted", proposal.partner_id, proposal.agreement_id)
        return None
    return command


async def adopt_partners(pool: Pool, service: AgreementService) -> list[UUID]:
    """Register the unregistered partners of the proposals after the job's position; the
    ids this call registered."""
    adopted: list[UUID] = []
    position = await partner_records.adoption_position(pool)
    while True:
        last, found = await partner_records.proposals_after(pool, position, BATCH)
        if last == position:
            return adopted
        proposals = [p for p in (_proposal(t, d) for t, d in found) if p is not None]
        held = await partner_records.registered(pool, [p.partner_id for p in proposals])
        for proposal in proposals:
            if proposal.partner_id in held:
                continue
            held.add(proposal.partner_id)  # one adoption per partner a batch names
            command = adoption_of(proposal)
            if command is None:
                continue
            try:
                accepted = await service.handle(command, actor=PARTNER_ADOPTION_JOB,
                                                roles=ADOPTION_ROLES)
            except DomainError as exc:  # registered meanwhile
                log.info("adoption of partner %s refused: %s", proposal.partner_id, exc)
                continue
            if not accepted.replayed:
                ADOPTED.inc()
                adopted.append(proposal.partner_id)
        await partner_records.note_partner_ids(
            pool, [(p.agreement_id, p.partner_id) for p in proposals])
        await partner_records.save_adoption_position(pool, last)
        position = last


def _proposal(message_type: str, data: dict[str, object]) -> AgreementProposed | None:
    try:
        proposal = codec.validate_data(message_type, data)
    except (ValueError, LookupError) as exc:
        log.warning("a stored proposal of type %s cannot be read: %s", message_type, exc)
        return None
    return proposal if isinstance(proposal, AgreementProposed) else None


def adoption_loop(pool: Pool, service: AgreementService, interval: float) -> Loop:
    """The background loop: :func:`adopt_partners` now and every ``interval`` seconds."""

    async def adopt() -> None:
        done = await adopt_partners(pool, service)
        if done:
            log.info("partner adoption: %d partner(s) of earlier agreements registered",
                     len(done))

    return every(adopt, interval=interval, name="partner adoption")
