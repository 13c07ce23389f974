"""The partner registry's side of the use case (docs/domain.md#partners): the decision of
a registry command (load → 404 → 403 → 412 → decide: 409, 422), and the partner a
proposal names, resolved in the registry (registered with the proposal when it is new)."""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from pydantic import TypeAdapter

from contracts.commands import MergePartner, PartnerCommand, ProposeAgreement, RegisterPartner
from contracts.events import PartnerEventData, PartnerRegistered
from contracts.partner_registry import PartnerStage, partner_key, partner_stream_id
from contracts.partners import partner_id_of
from services.agreements.adapters.event_store import EventStore
from services.agreements.application.errors import VersionMismatch
from services.agreements.application.streams import Loaded, load
from services.agreements.domain import DecisionContext
from services.agreements.domain.context import NamedPartner
from services.agreements.domain.errors import PartnerNotFound, UnknownPartner
from services.agreements.domain.partner import PARTNERS, PartnerCommands, registered_id
from services.agreements.domain.partner_state import PartnerState
from services.agreements.domain.permissions import authorize_partner

PARTNER = TypeAdapter(PartnerState)


@dataclass(frozen=True)
class PartnerDecision:
    """A registry command decided: the partner's stream as loaded, its events and its
    state after them."""

    loaded: Loaded[PartnerState | None]
    events: list[PartnerEventData]
    state: PartnerState


@dataclass(frozen=True)
class ProposalPartner:
    """The partner a proposal records, and (when the registry did not hold it) its
    registration, to append with the proposal."""

    named: NamedPartner
    registered: PartnerState | None = None
    events: tuple[PartnerEventData, ...] = ()


def partner_json(state: PartnerState) -> dict[str, Any]:
    """A partner's state as JSON-ready data (the read model's row), with its key."""
    data: dict[str, Any] = PARTNER.dump_python(state, mode="json")
    data["key"] = state.key
    return data


async def load_partner(store: EventStore, partner_id: UUID) -> Loaded[PartnerState | None]:
    """A partner's stream, folded."""
    return await load(store, partner_stream_id(partner_id), PARTNERS, PartnerEventData)


async def active_partner(store: EventStore, partner_id: UUID) -> PartnerState | None:
    """The active partner an id stands for (itself, or the one it was merged into)."""
    standing = await store.partner_standing_for(partner_id)
    if standing is None:
        return None
    return (await load_partner(store, standing)).state


async def decide_partner(store: EventStore, command: PartnerCommands, roles: Set[str],
                         ctx: DecisionContext) -> PartnerDecision:
    """Load, authorize, check the version and decide a registry command."""
    authorize_partner(command, roles)
    if isinstance(command, RegisterPartner):
        partner_id = registered_id(command)
        loaded = await load_partner(store, partner_id)
        ctx = DecisionContext(today=ctx.today,
                              key_holder=await store.partner_holding(
                                  partner_key(command.name, command.country)),
                              survivor=await active_partner(store, partner_id)
                              if loaded.state is not None else None)
    else:
        loaded = await load_partner(store, command.partner_id)
        if loaded.state is None:
            raise PartnerNotFound(f"no partner with id {command.partner_id}")
        _check_version(command, loaded.version)
        if isinstance(command, MergePartner):
            ctx = DecisionContext(today=ctx.today,
                                  survivor=await active_partner(store, command.into))
        else:
            ctx = DecisionContext(today=ctx.today, key_holder=await store.partner_holding(
                partner_key(command.name, command.country)))
    events = list(PARTNERS.decide(command, loaded.state, ctx))
    state = PARTNERS.fold(events, loaded.state)
    assert state is not None
    return PartnerDecision(loaded, events, state)


def _check_version(command: PartnerCommand, current: int) -> None:
    if command.expected_version is not None and command.expected_version != current:
        raise VersionMismatch(f"partner {command.partner_id} is at version {current}, "
                              f"not {command.expected_version}")


async def proposal_partner(store: EventStore, command: ProposeAgreement) -> ProposalPartner:
    """The partner ``command`` names, resolved in the registry: by ``partner_id`` (422 when
    the registry does not hold it), else by the normalised name and country (the active
    partner holding them, else the partner registered under the id they give — renamed or
    merged since), else a new partner, registered with the proposal."""
    if command.partner_id is not None:
        partner = await active_partner(store, command.partner_id)
        if partner is None:
            raise UnknownPartner(f"partner_id: the partner registry holds no partner with id "
                                 f"{command.partner_id}")
        return ProposalPartner(NamedPartner(partner.id, partner.record))
    named = command.partner
    assert named is not None  # the body has exactly one of partner and partner_id
    partner_id = partner_id_of(named.name, named.country)
    holder = await store.partner_named(partner_key(named.name, named.country), partner_id)
    if holder is not None:
        return ProposalPartner(NamedPartner(holder, named))
    registered = PartnerRegistered(partner_id=partner_id, version=1, stage=PartnerStage.ACTIVE,
                                   name=named.name, category=named.category,
                                   country=named.country)
    state = PARTNERS.fold([registered])
    assert state is not None
    return ProposalPartner(NamedPartner(partner_id, named), state, (registered,))

