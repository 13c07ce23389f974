"""The planning side of the use case (docs/domain.md#planning): what a proposal or a
mapping item names on other streams (the year's priorities, a mapping item), and the
decision of a mapping command: load → 404 → 403 → 412 → decide (409, 422)."""

from __future__ import annotations

from collections.abc import Sequence, Set
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from pydantic import TypeAdapter

from contracts.commands import MappingCommand, ProposeAgreement, WithdrawMappingItem
from contracts.events import MappingEventData, WorkProgramAdopted
from contracts.feed import work_program_stream_id
from contracts.planning import mapping_item_stream_id
from services.agreements.adapters.event_store import EventStore
from services.agreements.application.errors import VersionMismatch
from services.agreements.application.streams import Loaded, fresh, load
from services.agreements.domain import WORK_PROGRAMS, DecisionContext
from services.agreements.domain.context import NamedPartner
from services.agreements.domain.errors import MappingItemNotFound
from services.agreements.domain.mapping import MAPPING, MappingCommands
from services.agreements.domain.mapping_item import MappingItemState
from services.agreements.domain.permissions import authorize_mapping
from services.agreements.domain.proposal import proposal_year

ITEM = TypeAdapter(MappingItemState)


@dataclass(frozen=True)
class MappingDecision:
    """A mapping command decided: the item's stream as loaded, its events and its state
    after them."""

    loaded: Loaded[MappingItemState | None]
    events: Sequence[MappingEventData]
    state: MappingItemState

    @property
    def stream_id(self) -> str:
        """``mapping-item-<id>``."""
        return self.state.stream_id


def mapping_json(state: MappingItemState) -> dict[str, Any]:
    """A mapping item's state as JSON-ready data (the read model's row)."""
    data: dict[str, Any] = ITEM.dump_python(state, mode="json")
    return data


async def priorities_of(store: EventStore, year: int) -> frozenset[str] | None:
    """The priority codes of the year's work program; None when none is adopted."""
    program = await load(store, work_program_stream_id(year), WORK_PROGRAMS,
                         WorkProgramAdopted)
    return None if program.state is None else program.state.priority_codes


async def load_item(store: EventStore, item_id: UUID) -> Loaded[MappingItemState | None]:
    """A mapping item's stream, folded."""
    return await load(store, mapping_item_stream_id(item_id), MAPPING, MappingEventData)


async def proposal_context(store: EventStore, command: ProposeAgreement,
                           ctx: DecisionContext, partner: NamedPartner) -> DecisionContext:
    """``ctx`` with what the proposal names: its partner as the registry resolved it, its
    year's priorities, its mapping item."""
    priorities = None
    if command.priority is not None or command.mapping_item_id is not None:
        priorities = await priorities_of(store, proposal_year(command, ctx.today))
    item = None
    if command.mapping_item_id is not None:
        item = (await load_item(store, command.mapping_item_id)).state
    return DecisionContext(today=ctx.today, parent=ctx.parent,
                           require_signed_text=ctx.require_signed_text,
                           priorities=priorities, mapping_item=item, partner=partner)


async def decide_mapping(store: EventStore, command: MappingCommands, roles: Set[str],
                         ctx: DecisionContext, *, fresh_stream: bool) -> MappingDecision:
    """Load, authorize, check the version and decide a mapping command."""
    item_id = command.item_id
    assert item_id is not None  # the service layer chose it for a new item
    loaded = fresh(MAPPING) if fresh_stream else await load_item(store, item_id)
    if isinstance(command, MappingCommand):
        if loaded.state is None:
            raise MappingItemNotFound(f"no mapping item with id {item_id}")
        authorize_mapping(command, roles, loaded.state)
        if command.expected_version is not None and command.expected_version != loaded.version:
            raise VersionMismatch(f"mapping item {item_id} is at version {loaded.version}, "
                                  f"not {command.expected_version}")
        year = loaded.state.year
    else:
        authorize_mapping(command, roles, None)
        year = command.year
    if getattr(command, "priority", None) is not None:
        ctx = DecisionContext(today=ctx.today, priorities=await priorities_of(store, year))
    if isinstance(command, WithdrawMappingItem):
        ctx = DecisionContext(today=ctx.today, item_realised=await store.item_realised(item_id))
    events = MAPPING.decide(command, loaded.state, ctx)
    state = MAPPING.fold(events, loaded.state)
    assert state is not None
    return MappingDecision(loaded, events, state)
