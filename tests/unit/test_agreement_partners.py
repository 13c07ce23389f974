"""The partner registry through the use case on the in-memory store (docs/domain.md#partners),
against an independent model over random sequences of registrations, revisions, merges and
proposals: every answer (status, id, existing_id), and the partner each proposal records."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.commands import MergePartner, ProposeAgreement, RegisterPartner, RevisePartner
from contracts.partner_registry import partner_key
from contracts.partners import partner_id_of
from services.agreements.adapters.memory_store import InMemoryEventStore
from services.agreements.application.service import AgreementService
from services.agreements.domain import DomainError
from services.agreements.domain.errors import PartnerExists
from tests.unit.test_agreement_builders import propose_cmd

TKKSD = frozenset({"tkksd"})
NAMES = ("PT Bank BJB", "pt. bank  bjb", "Bank Jabar", "BANK JABAR", "Universitas Padjadjaran",
         "universitas padjadjaran!")
COUNTRIES = ("ID", "SG")


@dataclass
class Model:
    """The registry as the rules say: each partner's key, stage and survivor."""

    keys: dict[UUID, str] = field(default_factory=dict)
    countries: dict[UUID, str] = field(default_factory=dict)
    survivor: dict[UUID, UUID] = field(default_factory=dict)
    versions: dict[UUID, int] = field(default_factory=dict)

    def stands_for(self, pid: UUID) -> UUID:
        while pid in self.survivor:
            pid = self.survivor[pid]
        return pid

    def holder(self, key: str) -> UUID | None:
        return next((p for p, k in self.keys.items()
                     if k == key and p not in self.survivor), None)


Op = tuple[str, int, int, int]
OPS = st.tuples(st.sampled_from(("register", "revise", "merge", "propose", "propose-id")),
                st.integers(0, len(NAMES) - 1), st.integers(0, len(COUNTRIES) - 1),
                st.integers(0, 7))


def _body(name: str, country: str) -> dict[str, Any]:
    return {"name": name, "category": "THIRD_PARTY", "country": country}


async def _run(ops: list[Op]) -> None:
    service = AgreementService(InMemoryEventStore())
    model = Model()
    known: list[UUID] = []  # every id registered, in order (merged ones too)
    for n, (op, name_at, country_at, pick) in enumerate(ops):
        name, country = NAMES[name_at], COUNTRIES[country_at]
        key, derived = partner_key(name, country), partner_id_of(name, country)
        target = known[pick % len(known)] if known else derived
        command: Any
        expected: tuple[int, UUID | None]  # status, the id answered (or existing_id)
        if op == "register":
            command = RegisterPartner(command_id=f"c{n}", **_body(name, country))
            if derived in model.keys:
                expected = (409, model.stands_for(derived))
            elif (holder := model.holder(key)) is not None:
                expected = (409, holder)
            else:
                expected = (201, derived)
        elif op == "revise":
            command = RevisePartner(command_id=f"c{n}", partner_id=target,
                                    **_body(name, country))
            holder = model.holder(key)
            if target not in model.keys:
                expected = (404, None)
            elif target in model.survivor:
                expected = (409, None)
            elif holder is not None and holder != target:
                expected = (409, holder)
            else:
                expected = (200, target)
        elif op == "merge":
            into = known[(pick + 1) % len(known)] if known else derived
            command = MergePartner(command_id=f"c{n}", partner_id=target, into=into)
            if target not in model.keys:
                expected = (404, None)
            elif target in model.survivor:
                expected = (409, None)
            elif into not in model.keys or model.stands_for(into) == target:
                expected = (422, None)
            else:
                expected = (200, target)
        elif op == "propose":
            command = propose_cmd(command_id=f"c{n}", agreement_id=None,
                                  partner=_body(name, country))
            holder = model.holder(key)
            resolved = holder or (model.stands_for(derived) if derived in model.keys else None)
            recorded_country = country
            expected = (422, None) if recorded_country != "ID" else (201, resolved or derived)
        else:
            command = propose_cmd(command_id=f"c{n}", agreement_id=None, partner=None,
                                  partner_id=target)
            if target not in model.keys:
                expected = (422, None)
            else:
                resolved = model.stands_for(target)
                ok = model.countries[resolved] == "ID"
                expected = (201, resolved) if ok else (422, None)
        try:
            accepted = await service.handle(command, actor="tkksd", roles=TKKSD)
        except PartnerExists as exc:
            assert (409, exc.existing_id) == expected, (op, command)
            continue
        except DomainError as exc:
            assert exc.status == expected[0], (op, command, exc)
            continue
        status = 201 if accepted.created else 200
        if isinstance(command, ProposeAgreement):
            state = service.store.agreements[UUID(accepted.id)]  # type: ignore[attr-defined]
            assert (status, UUID(state["partner_id"])) == expected, (op, command)
            if expected[1] not in model.keys:  # registered with the proposal
                model.keys[derived], model.countries[derived] = key, country
                model.versions[derived] = 1
                known.append(derived)
            continue
        assert (status, UUID(accepted.id)) == expected, (op, command)
        if isinstance(command, RegisterPartner):
            model.keys[derived], model.countries[derived] = key, country
            model.versions[derived] = 1
            known.append(derived)
        elif isinstance(command, RevisePartner):
            model.keys[target], model.countries[target] = key, country
        else:
            model.survivor[target] = model.stands_for(command.into)
        model.versions[UUID(accepted.id)] = accepted.version
    for pid in model.keys:  # the registry's read model agrees with the model
        row = service.store.partners[pid]  # type: ignore[attr-defined]
        assert row["key"] == model.keys[pid]
        assert (row.get("survivor") and UUID(row["survivor"])) == (
            model.stands_for(pid) if pid in model.survivor else None)
        assert await service.store.partner_standing_for(pid) == model.stands_for(pid)


@settings(max_examples=150, deadline=None)
@given(ops=st.lists(OPS, max_size=25))
def test_the_registry_keeps_the_rules_of_an_independent_model(ops: list[Op]) -> None:
    asyncio.run(_run(ops))


def test_a_merge_and_a_rename_keep_every_partner_reachable() -> None:
    asyncio.run(_run([("register", 0, 0, 0), ("register", 2, 0, 0), ("merge", 0, 0, 0),
                      ("revise", 4, 0, 1), ("propose", 1, 0, 0), ("propose-id", 0, 0, 0),
                      ("register", 2, 0, 0)]))


def test_a_proposal_naming_a_partner_by_its_new_name_finds_it() -> None:
    asyncio.run(_run([("register", 0, 0, 0), ("revise", 2, 0, 0), ("propose", 3, 0, 0),
                      ("propose", 1, 0, 0), ("register", 3, 0, 0)]))


def test_registering_a_partner_merged_twice_names_the_last_one() -> None:
    asyncio.run(_run([("register", 0, 1, 0), ("register", 0, 0, 0), ("register", 2, 0, 0),
                      ("merge", 0, 0, 0), ("merge", 0, 0, 1), ("register", 0, 1, 0)]))
