"""The partner registry (docs/domain.md#partners): one stream per partner.

A partner is registered (directly, by the first proposal naming it, or adopted from the
agreements proposed before the registry), revised, and merged into another when it turns
out to be a duplicate. Two active partners never share a normalised name and country.
"""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar
from uuid import UUID

from contracts.commands import MergePartner, RegisterPartner, RevisePartner
from contracts.events import PartnerEventData, PartnerMerged, PartnerRegistered, PartnerRevised
from contracts.partner_registry import PartnerBody, PartnerStage, partner_key
from contracts.partners import partner_id_of
from services.agreements.domain.context import DecisionContext
from services.agreements.domain.decider import Decider
from services.agreements.domain.errors import (
    PartnerAlreadyMerged,
    PartnerExists,
    PartnerNotFound,
    UnknownPartner,
)
from services.agreements.domain.partner_state import PartnerState


class AdoptPartner(RegisterPartner):
    """Register the partner of agreements proposed before the registry, under the id they
    carry (the job's command; neither HTTP nor AMQP takes it)."""

    routing_key: ClassVar[str] = "partner.adopt"


PartnerCommands = RegisterPartner | RevisePartner | MergePartner


def registered_id(command: RegisterPartner) -> UUID:
    """The id a registration gives: derived from the name and country, as every proposal
    derived it before the registry (contracts.partners)."""
    return partner_id_of(command.name, command.country)


def _fields(body: PartnerBody) -> dict[str, object]:
    return {"name": body.name, "category": body.category, "country": body.country,
            "codes": [c.model_dump() for c in body.codes],
            "contact": body.contact.model_dump() if body.contact else None}


def _not_taken(partner_id: UUID, body: PartnerBody, ctx: DecisionContext) -> None:
    holder = ctx.key_holder
    if holder is not None and holder != partner_id:
        raise PartnerExists(f"{partner_key(body.name, body.country)!r} (normalised name and "
                            f"country) is registered already: partner {holder}",
                            existing_id=holder)


def _active(partner_id: UUID, state: PartnerState | None) -> PartnerState:
    if state is None:
        raise PartnerNotFound(f"no partner with id {partner_id}")
    if state.merged_into is not None:
        raise PartnerAlreadyMerged(f"partner {state.id} was merged into {state.merged_into}; "
                                   "act on that partner instead")
    return state


def decide_partner(command: PartnerCommands, state: PartnerState | None,
                   ctx: DecisionContext) -> list[PartnerEventData]:
    """The events of a registry command: 404 unknown partner, 409 a partner registered
    already (``existing_id``) or merged, 422 a merge into itself or into no partner."""
    if isinstance(command, RegisterPartner):
        partner_id = registered_id(command)
        if state is not None:
            # a merged partner stands for the one it was merged into (the last of a chain)
            existing = ctx.survivor.id if ctx.survivor else (state.merged_into or state.id)
            how = "under that name" if existing == state.id else (
                f"under that name as partner {state.id}, since merged into it")
            raise PartnerExists(f"{partner_key(command.name, command.country)!r} (normalised "
                                f"name and country) is registered already: partner "
                                f"{existing}, {how}", existing_id=existing)
        adopted = isinstance(command, AdoptPartner)
        registered = PartnerRegistered(partner_id=partner_id, version=1,
                                       stage=PartnerStage.ACTIVE, adopted=adopted,
                                       **_fields(command))
        if adopted and ctx.key_holder is not None and ctx.key_holder != partner_id:
            # renamed to this name since: the old id stands for the partner that holds it
            return [registered, PartnerMerged(partner_id=partner_id, version=2,
                                              stage=PartnerStage.MERGED, into=ctx.key_holder)]
        _not_taken(partner_id, command, ctx)
        return [registered]
    current = _active(command.partner_id, state)
    version = current.version + 1
    if isinstance(command, RevisePartner):
        _not_taken(current.id, command, ctx)
        return [PartnerRevised(partner_id=current.id, version=version,
                               stage=PartnerStage.ACTIVE, **_fields(command))]
    survivor = ctx.survivor
    if survivor is None:
        raise UnknownPartner(f"into: no partner with id {command.into}")
    if survivor.id == current.id:
        raise UnknownPartner(f"into: partner {command.into} is partner {current.id} itself "
                             "(or was merged into it); a partner is not merged into itself")
    return [PartnerMerged(partner_id=current.id, version=version, stage=PartnerStage.MERGED,
                          into=survivor.id)]


def evolve_partner(state: PartnerState | None, event: PartnerEventData) -> PartnerState:
    """The partner after ``event``."""
    expected = 1 if state is None else state.version + 1
    if event.version != expected:
        raise ValueError(f"partner event version {event.version} does not follow "
                         f"{expected - 1}")
    match event:
        case PartnerRegistered() | PartnerRevised():
            adopted = event.adopted if isinstance(event, PartnerRegistered) else (
                state is not None and state.adopted)
            return PartnerState(
                id=event.partner_id, version=event.version, stage=event.stage,
                name=event.name, category=event.category, country=event.country,
                codes=tuple(event.codes), contact=event.contact, adopted=adopted)
        case PartnerMerged() if state is not None:
            return replace(state, version=event.version, stage=event.stage,
                           merged_into=event.into)
        case _:
            raise ValueError(f"{type(event).__name__} cannot follow version {expected - 1} "
                             "of a partner")


PARTNERS: Decider[PartnerCommands, PartnerEventData, PartnerState | None] = Decider(
    decide=decide_partner, evolve=evolve_partner, initial=None)
"""The partner's decider: a stream starts with its registration."""
