"""What the agreements service should answer on the planning side (docs/domain.md#planning):
the work program's priorities, the yearly cooperation mapping, and what a proposal and a
follow-up carry of it. Checked in the order of docs/domain.md#errors: invalid body 422 →
unknown item 404 → caller 403 → version 412 → withdrawn 409 → broken rule 422.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tests.model.inputs import Text

if TYPE_CHECKING:
    from tests.model.callers import Caller

PLANNING_YEARS = (2021, 2022, 2024)
"""The years the mapping is tried in (2024: the model's current year, the default year
of a proposal without a date)."""
PRIORITY_CODES = ("P_EKONOMI", "P_COVID", "P_ASET")
PRIORITY_SETS = ((), ("P_EKONOMI",), PRIORITY_CODES, ("P_COVID", "P_ASET"))
PRIORITY_SET_EDGES = (("P_EKONOMI", "P_EKONOMI"), ("ekonomi",), ("P_" + "X" * 39,))
"""A code given twice, one that is not [A-Z0-9_-]+, one longer than 40: each a 422."""
PRIORITIES = (None, *PRIORITY_CODES)
PRIORITY_EDGES = ("P_LAIN", "bukan kode")
"""A code no work program sets (a rule: 422), and one the contract refuses (422)."""
ITEM_EDGES = ("year-low", "year-high", "year-edge", *PRIORITY_EDGES, "affair", "description",
              "rpjmd", "partners", "partners-max", "other", "sekda")
"""The one input a mapping item is sent with at or beyond an edge."""
AMOUNTS = (None, None, 0, 250_000_000, 1_500_000_000)
AMOUNT_EDGES: tuple[Any, ...] = (-1, 10**15, 10**15 + 1, 1.5, "1000", True)
REVENUES = (None, 2_500_000, None, 125_000_000, 0)
ITEM_REFS = ("none", "none", "mine")
ITEM_REF_EDGES = ("other", "withdrawn", "unknown")
DUE_DATES = (None, "2021-03-31", "2024-12-31")
_CODE = re.compile(r"^[A-Z0-9_-]{1,40}$")


def amount_ok(value: Any) -> bool:
    """Whether the contract takes ``value`` as whole rupiah (null too)."""
    return value is None or (type(value) is int and 0 <= value <= 10**15)


def code_ok(code: str | None) -> bool:
    return code is None or bool(_CODE.match(code))


def program_ok(codes: tuple[str, ...]) -> bool:
    """Whether a work program's priorities are valid: codes unique and well formed."""
    return len(set(codes)) == len(codes) and all(map(code_ok, codes))


def program_body(realization: float, effectiveness: float, codes: tuple[str, ...],
                 due: str | None) -> dict[str, Any]:
    return {"realization_target": realization, "effectiveness_target": effectiveness,
            "priorities": [{"code": c, "name": f"Prioritas {c}"} for c in codes],
            "mapping_due_on": due}


@dataclass
class Item:
    """What the test knows of one mapping item it made."""

    id: str
    year: int
    opd: str
    body: dict[str, Any]
    stage: str = "ACTIVE"
    version: int = 1
    reason: str | None = None
    """Why it was withdrawn, if it was and a reason was given."""

    def shown(self) -> dict[str, Any]:
        """What ``GET /mapping-items/{id}`` must show."""
        return {"id": self.id, "year": self.year, "opd": self.opd, "stage": self.stage,
                "version": self.version, "withdrawn_reason": self.reason, **self.body}


@dataclass
class Planning:
    """The planning side as the test knows it: each year's priorities (the work programs
    are shared by the examples) and the mapping items of this example."""

    priorities: dict[int, frozenset[str]] = field(default_factory=dict)
    items: dict[str, Item] = field(default_factory=dict)

    def priority_rules(self, priority: str | None, year: int) -> bool:
        """Whether the work program of ``year`` sets ``priority`` (None: no priority)."""
        return priority is None or priority in self.priorities.get(year, frozenset())


def item_body(affair: Text, description: Text, rpjmd: Text, priority: str | None,
              partners: int) -> tuple[dict[str, Any], list[str]]:
    """A mapping item's body and the fields the contract refuses in it."""
    body = {"affair": affair.sent, "description": description.sent,
            "prospective_partners": [f"Mitra {n}" for n in range(partners)],
            "rpjmd_target": rpjmd.sent, "priority": priority}
    refused = [name for name, ok in (
        ("affair", affair.ok), ("description", description.ok),
        ("prospective_partners", partners <= 20), ("rpjmd_target", rpjmd.ok),
        ("priority", code_ok(priority))) if not ok]
    return body, refused


def stored(body: dict[str, Any], affair: Text, description: Text,
           rpjmd: Text) -> dict[str, Any]:
    """The item's fields as the service keeps them (texts normalised)."""
    return body | {"affair": affair.expected, "description": description.expected,
                   "rpjmd_target": rpjmd.expected}


def may_map(who: Caller, opd: str) -> bool:
    """Whether ``who`` may change ``opd``'s mapping."""
    return who.secretariat or opd in who.agencies


def item_status(planning: Planning, item: Item | None, refused: list[str], who: Caller,
                version: int | None, priority: str | None, withdrawing: bool,
                realised: bool = False) -> int:
    """The answer to a revision (or ``withdrawing``) of ``item`` (None: unknown;
    ``realised``: a signed agreement names it)."""
    if refused:
        return 422
    if item is None:
        return 404
    if not may_map(who, item.opd):
        return 403
    if version is not None and version != item.version:
        return 412
    if item.stage != "ACTIVE" or (withdrawing and realised):
        return 409
    if not withdrawing and not planning.priority_rules(priority, item.year):
        return 422
    return 200


@dataclass(frozen=True)
class ProposalPlanning:
    """What a proposal adds of the planning side: body fields, the fields the contract
    refuses, and whether the rules keep them."""

    body: dict[str, Any]
    refused: list[str]
    rules: bool


def proposal_planning(planning: Planning, priority: str | None, ref: str,
                      value_cash: Any, value_in_kind: Any, lead_opd: str, year: int,
                      unknown_id: str) -> ProposalPlanning:
    """A proposal's priority, mapping item (``ref``: none, one of the lead's, one of
    another agency's, a withdrawn one, an unknown id) and values."""
    mine = [i for i in planning.items.values() if i.opd == lead_opd and i.stage == "ACTIVE"]
    other = [i for i in planning.items.values() if i.opd != lead_opd and i.stage == "ACTIVE"]
    gone = [i for i in planning.items.values() if i.stage != "ACTIVE"]
    chosen = {"mine": mine, "other": other, "withdrawn": gone}.get(ref, [])
    item_id = chosen[-1].id if chosen else (unknown_id if ref != "none" else None)
    body = {k: v for k, v in (("priority", priority), ("mapping_item_id", item_id),
                              ("value_cash", value_cash), ("value_in_kind", value_in_kind))
            if v is not None}
    refused = [name for name, ok in (("priority", code_ok(priority)),
                                     ("value_cash", amount_ok(value_cash)),
                                     ("value_in_kind", amount_ok(value_in_kind))) if not ok]
    item = planning.items.get(item_id) if item_id else None
    item_rules = item_id is None or (item is not None and item.stage == "ACTIVE"
                                     and item.opd == lead_opd)
    return ProposalPlanning(body, refused,
                            item_rules and planning.priority_rules(priority, year))
