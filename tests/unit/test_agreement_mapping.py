"""The yearly cooperation mapping's decider (docs/domain.md#planning) against an independent
model, over random sequences of additions, revisions and withdrawals; and a proposal's
priority and mapping item."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.commands import (
    AddMappingItem,
    ReviseMappingItem,
    WithdrawMappingItem,
)
from contracts.events import MappingItemAdded, MappingItemRevised, MappingItemWithdrawn
from contracts.examples import example_of
from services.agreements.domain import DecisionContext
from services.agreements.domain.errors import (
    DomainError,
    MappingItemAlreadyExists,
    MappingItemAlreadyWithdrawn,
    MappingItemNotFound,
    MappingItemNotUsable,
    UnknownPriority,
)
from services.agreements.domain.mapping import MAPPING
from services.agreements.domain.mapping_item import MappingItemState
from services.agreements.domain.proposal import propose
from tests.unit.test_agreement_builders import propose_cmd

ITEM = UUID("7d2e4c1a-5b6f-4a3e-9c8d-1e2f3a4b5c6d")
CODES = ("EKONOMI", "COVID19", "ASET")
TODAY = date(2021, 2, 18)


def fields(priority: str | None, n: int = 0) -> dict[str, Any]:
    return {"affair": f"Urusan {n}", "description": f"Butir {n}",
            "prospective_partners": [f"Mitra {n}"], "rpjmd_target": "Sasaran RPJMD",
            "priority": priority}


Op = tuple[str, str | None, int]
OPS = st.tuples(st.sampled_from(("add", "add-again", "revise", "withdraw")),
                st.sampled_from((None, *CODES, "LAIN")), st.integers(0, 9))


@given(program=st.one_of(st.none(), st.frozensets(st.sampled_from(CODES))),
       ops=st.lists(OPS, max_size=12))
def test_the_mapping_decider_keeps_the_rules_of_an_independent_model(
        program: frozenset[str] | None, ops: list[Op]) -> None:
    ctx = DecisionContext(today=TODAY, priorities=program)
    state: MappingItemState | None = None
    model: dict[str, Any] | None = None  # stage, version, priority, n
    for op, priority, n in ops:
        command: Any
        if op in ("add", "add-again"):
            command = AddMappingItem(command_id="c", year=2021, opd="DISPARBUD", item_id=ITEM,
                                     **fields(priority, n))
        elif op == "revise":
            command = ReviseMappingItem(command_id="c", item_id=ITEM, **fields(priority, n))
        else:
            command = WithdrawMappingItem(command_id="c", item_id=ITEM, reason=None)
        known = priority is None or (program is not None and priority in program)
        expected: type[DomainError] | None
        if op in ("add", "add-again"):
            expected = (MappingItemAlreadyExists if model is not None
                        else None if known else UnknownPriority)
        elif model is None:
            expected = MappingItemNotFound
        elif model["stage"] == "WITHDRAWN":
            expected = MappingItemAlreadyWithdrawn
        elif op == "revise" and not known:
            expected = UnknownPriority
        else:
            expected = None
        if expected is not None:
            with pytest.raises(expected):
                MAPPING.decide(command, state, ctx)
            continue
        [event] = MAPPING.decide(command, state, ctx)
        state = MAPPING.evolve(state, event)
        if op == "withdraw":
            assert isinstance(event, MappingItemWithdrawn)
            assert model is not None
            model = {**model, "stage": "WITHDRAWN", "version": model["version"] + 1}
        else:
            assert isinstance(event, MappingItemAdded if model is None else MappingItemRevised)
            model = {"stage": "ACTIVE", "priority": priority, "n": n,
                     "version": 1 if model is None else model["version"] + 1}
        assert (event.item_id, event.year, event.opd) == (ITEM, 2021, "DISPARBUD")
        assert (state.stage.value, state.version, state.priority, state.affair) == (
            model["stage"], model["version"], model["priority"], f"Urusan {model['n']}")


def test_a_proposal_names_an_active_item_of_its_lead_agency() -> None:
    [added] = MAPPING.decide(AddMappingItem(command_id="c", year=2021, opd="DISKUK",
                                            item_id=ITEM, **fields("COVID19")),
                             None, DecisionContext(today=TODAY, priorities=frozenset(CODES)))
    item = MAPPING.evolve(None, added)
    ctx = DecisionContext(today=TODAY, mapping_item=item, priorities=frozenset(CODES))
    [event] = propose(propose_cmd(mapping_item_id=ITEM, priority=None), None, ctx)
    assert (event.mapping_item_id, event.priority) == (ITEM, "COVID19")
    [own] = propose(propose_cmd(mapping_item_id=ITEM, priority="ASET"), None, ctx)
    assert own.priority == "ASET"

    with pytest.raises(MappingItemNotUsable, match="DISKUK"):
        propose(propose_cmd(mapping_item_id=ITEM, lead_opd="DISPARBUD"), None, ctx)
    with pytest.raises(MappingItemNotUsable, match="does not exist"):
        propose(propose_cmd(mapping_item_id=uuid4()), None,
                DecisionContext(today=TODAY))
    [gone] = MAPPING.decide(WithdrawMappingItem(command_id="w", item_id=ITEM), item, ctx)
    with pytest.raises(MappingItemNotUsable, match="withdrawn"):
        propose(propose_cmd(mapping_item_id=ITEM), None,
                DecisionContext(today=TODAY, mapping_item=MAPPING.evolve(item, gone)))


def test_a_proposals_priority_is_one_of_its_years_program() -> None:
    with pytest.raises(UnknownPriority, match="no work program is adopted for 2021"):
        propose(propose_cmd(priority="ASET"), None, DecisionContext(today=TODAY))
    with pytest.raises(UnknownPriority, match="COVID19"):
        propose(propose_cmd(priority="ASET"), None,
                DecisionContext(today=TODAY, priorities=frozenset({"COVID19"})))
    [event] = propose(propose_cmd(priority="ASET", value_cash=5, value_in_kind=0), None,
                      DecisionContext(today=TODAY, priorities=frozenset({"ASET"})))
    assert (event.priority, event.value_cash, event.value_in_kind) == ("ASET", 5, 0)


def test_the_example_item_is_a_valid_command() -> None:
    assert example_of(AddMappingItem).priority is None
