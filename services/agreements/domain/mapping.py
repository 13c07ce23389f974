"""The yearly cooperation mapping (*pemetaan kerja sama*): one stream per item.

An agency adds items of potential cooperation to its mapping of a year, revises them and
withdraws them; a priority an item names must be one of its year's work program.
"""

from __future__ import annotations

from dataclasses import replace

from contracts.commands import (
    AddMappingItem,
    MappingCommand,
    ReviseMappingItem,
    WithdrawMappingItem,
)
from contracts.events import (
    MappingEventData,
    MappingItemAdded,
    MappingItemRevised,
    MappingItemWithdrawn,
)
from contracts.planning import MappingItemBody, MappingStage
from services.agreements.domain.context import DecisionContext
from services.agreements.domain.decider import Decider
from services.agreements.domain.errors import (
    MappingItemAlreadyExists,
    MappingItemAlreadyWithdrawn,
    MappingItemNotFound,
    MappingItemRealised,
)
from services.agreements.domain.mapping_item import MappingItemState
from services.agreements.domain.rules import check_priority

MappingCommands = AddMappingItem | ReviseMappingItem | WithdrawMappingItem


def _fields(body: MappingItemBody) -> dict[str, object]:
    return {"affair": body.affair, "description": body.description,
            "prospective_partners": list(body.prospective_partners),
            "rpjmd_target": body.rpjmd_target, "priority": body.priority}


def _existing(command: MappingCommand, state: MappingItemState | None) -> MappingItemState:
    if state is None:
        raise MappingItemNotFound(f"mapping item {command.item_id} does not exist")
    if state.id != command.item_id:
        raise ValueError(f"command for mapping item {command.item_id} decided on {state.id}")
    if not state.active:
        raise MappingItemAlreadyWithdrawn(f"mapping item {state.id} was withdrawn")
    return state


def decide_mapping(command: MappingCommands, state: MappingItemState | None,
                   ctx: DecisionContext) -> list[MappingEventData]:
    """The event of a mapping command: 404 unknown item, 409 a withdrawn one (or an id
    taken, or a realised item withdrawn), 422 a priority the year does not set."""
    if isinstance(command, AddMappingItem):
        if command.item_id is None:
            raise ValueError("the service layer must choose the item id before deciding")
        if state is not None:
            raise MappingItemAlreadyExists(f"mapping item {state.id} already exists")
        check_priority(command.priority, command.year, ctx.priorities)
        return [MappingItemAdded(item_id=command.item_id, version=1, year=command.year,
                                 opd=command.opd, stage=MappingStage.ACTIVE,
                                 **_fields(command))]
    current = _existing(command, state)
    where = {"item_id": current.id, "version": current.version + 1, "year": current.year,
             "opd": current.opd}
    if isinstance(command, ReviseMappingItem):
        check_priority(command.priority, current.year, ctx.priorities)
        return [MappingItemRevised(**where, stage=MappingStage.ACTIVE,
                                   **_fields(command))]
    if ctx.item_realised:
        raise MappingItemRealised(f"mapping item {current.id} was realised by a signed "
                                  "agreement; it stays in the year's mapping")
    return [MappingItemWithdrawn(**where, stage=MappingStage.WITHDRAWN,
                                 reason=command.reason)]


def evolve_mapping(state: MappingItemState | None,
                   event: MappingEventData) -> MappingItemState:
    """The item after ``event``."""
    expected = 1 if state is None else state.version + 1
    if event.version != expected:
        raise ValueError(f"mapping event version {event.version} does not follow "
                         f"{expected - 1}")
    match event:
        case MappingItemAdded() | MappingItemRevised():
            return MappingItemState(
                id=event.item_id, year=event.year, opd=event.opd, version=event.version,
                stage=event.stage, affair=event.affair, description=event.description,
                prospective_partners=tuple(event.prospective_partners),
                rpjmd_target=event.rpjmd_target, priority=event.priority)
        case MappingItemWithdrawn() if state is not None:
            return replace(state, version=event.version, stage=event.stage,
                           withdrawn_reason=event.reason)
        case _:
            raise ValueError(f"{type(event).__name__} cannot follow version {expected - 1} "
                             "of a mapping item")


MAPPING: Decider[MappingCommands, MappingEventData, MappingItemState | None] = Decider(
    decide=decide_mapping, evolve=evolve_mapping, initial=None)
"""The mapping item's decider: a stream starts with the item's addition."""
