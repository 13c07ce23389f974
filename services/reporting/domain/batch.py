"""Several events at once: fold them into the agreements' facts and sum what they change
in the event-driven figures.

Two ways to sum, giving the same numerators and denominators:

- ``per_event=True`` (live): the change of every event is taken on its own, exactly as
  applying the events one by one would, so a figure that an event moved and a later one
  moved back is still *touched* (listed, as 0 if it is new);
- ``per_event=False`` (rebuild): ``contributions(end) - contributions(start)`` once per
  agreement the batch touched, about one ``contributions`` per agreement instead of two
  per event; figures that move and come back within the batch are left out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from uuid import UUID

from contracts.events import (
    AgreementEventData,
    AgreementSigned,
    EventData,
    MappingEventData,
    PartnerEventData,
    WorkProgramAdopted,
)
from services.reporting.domain.contributions import FOLLOWING_UP_TYPES, Term, contributions, scopes
from services.reporting.domain.facts import AgreementFacts, EventRef, evolve
from services.reporting.domain.figures import FigureKey
from services.reporting.domain.mapping import (
    MappingItem,
    Priorities,
    evolve_item,
    item_contributions,
)
from services.reporting.domain.needs import related, related_items, related_partners
from services.reporting.domain.partners import (
    PartnerFacts,
    evolve_partner,
    passing_through,
    survivor,
)

__all__ = ["ChildSigning", "Children", "Folded", "Realisation", "Realisations", "Step",
           "fold", "related", "related_items", "related_partners"]

Children = dict[UUID, dict[UUID, date]]
"""Per parent: its PKS and ADDENDUM children's ids and signing dates."""
Realisations = dict[UUID, dict[UUID, date]]
"""Per mapping item: the signed agreements that name it, and their signing dates."""


@dataclass(frozen=True)
class ChildSigning:
    """A PKS or ADDENDUM signed: it follows up its parent."""

    child_id: UUID
    parent_id: UUID
    signed_on: date


@dataclass(frozen=True)
class Realisation:
    """An agreement that names a mapping item was signed: the item is realised."""

    agreement_id: UUID
    item_id: UUID
    signed_on: date


@dataclass(frozen=True)
class Step:
    """One named event in the history of the record: what it left behind (an agreement's
    facts, a work program's year, targets and priorities, a mapping item or a partner)."""

    ref: EventRef
    facts: AgreementFacts | None = None
    work_program: tuple[int, tuple[float, float], Priorities] | None = None
    item: MappingItem | None = None
    partner: PartnerFacts | None = None


@dataclass
class Folded:
    """What a batch of events changes."""

    facts: dict[UUID, AgreementFacts] = field(default_factory=dict)
    """The facts of every agreement an event changed, after the batch."""
    child_signings: list[ChildSigning] = field(default_factory=list)
    work_programs: dict[int, tuple[float, float]] = field(default_factory=dict)
    """(realization, effectiveness) targets adopted, per year (the last one wins)."""
    priorities: dict[int, Priorities] = field(default_factory=dict)
    """The policy priorities adopted, per year (the last adoption wins)."""
    items: dict[UUID, MappingItem] = field(default_factory=dict)
    """Every mapping item an event changed, after the batch."""
    realisations: list[Realisation] = field(default_factory=list)
    partners: dict[UUID, PartnerFacts] = field(default_factory=dict)
    """Every partner an event changed, after the batch."""
    signings: dict[int, set[str]] = field(default_factory=dict)
    """Per year, the scopes of the agreements signed in it (their signing days move)."""
    deltas: dict[FigureKey, tuple[int, int]] = field(default_factory=dict)
    """Per touched figure, the change of (numerator, denominator); may be (0, 0)."""
    steps: list[Step] = field(default_factory=list)
    """Per named event, what it left behind."""
    causes: dict[FigureKey, int] = field(default_factory=dict)
    """Per figure a delta moved, the index (in the batch) of the last event that moved it
    (folding event by event only)."""
    year_causes: dict[int, int] = field(default_factory=dict)
    """Per year, the index of the last event that signed an agreement in it or adopted
    its work program (what the year's signing days and targets follow)."""


def _accumulate(deltas: dict[FigureKey, list[int]], before: Counter[Term],
                after: Counter[Term]) -> set[FigureKey]:
    moved: set[FigureKey] = set()
    for term in before.keys() | after.keys():
        change = after[term] - before[term]
        if change:
            slot = deltas.setdefault(term.key, [0, 0])
            slot[0 if term.part == "numerator" else 1] += change
            moved.add(term.key)
    return moved


Key = tuple[bool, UUID]
"""Whose contribution: (True, a mapping item) or (False, an agreement)."""


def fold(events: Sequence[EventData], facts: Mapping[UUID, AgreementFacts],
         children: Mapping[UUID, Mapping[UUID, date]], *, per_event: bool,
         refs: Sequence[EventRef | None] | None = None,
         items: Mapping[UUID, MappingItem] | None = None,
         realisations: Mapping[UUID, Mapping[UUID, date]] | None = None,
         partners: Mapping[UUID, PartnerFacts] | None = None) -> Folded:
    """Fold ``events`` (each stream's in version order) into the facts known before them
    (``facts`` and ``children`` must hold those of the batch's agreements and of
    :func:`related` and :func:`related_partners`, ``items`` and ``realisations`` those of
    :func:`related_items`, ``partners`` the chains of merges of :func:`related_partners`);
    ``refs`` name the events as recorded, for the history of facts
    (:attr:`Folded.steps`). Raises EventBeforeProposal like :func:`evolve`."""
    state = dict(facts)
    kids: Children = {parent: dict(c) for parent, c in children.items()}
    mapped = dict(items or {})
    realised: Realisations = {item: dict(r) for item, r in (realisations or {}).items()}
    registry = dict(partners or {})
    folded = Folded()
    current: dict[Key, Counter[Term]] = {}
    deltas: dict[FigureKey, list[int]] = {}

    def contribution(key: Key) -> Counter[Term]:
        is_item, uid = key
        if is_item:
            return item_contributions(mapped.get(uid), bool(realised.get(uid)))
        found = state.get(uid)
        named = None if found is None else found.partner_id
        return contributions(found, kids.get(uid, {}).values(),
                             partner=None if named is None else survivor(named, registry))

    def moved(keys: list[Key], index: int) -> None:
        if per_event:
            for key in keys:
                now = contribution(key)
                for figure in _accumulate(deltas, current[key], now):
                    folded.causes[figure] = index
                current[key] = now

    named = refs if refs is not None else [None] * len(events)
    for index, (data, ref) in enumerate(zip(events, named, strict=True)):
        if isinstance(data, WorkProgramAdopted):
            folded.year_causes[data.year] = index
            targets = (data.realization_target, data.effectiveness_target)
            priorities = tuple((p.code, p.name) for p in data.priorities)
            folded.work_programs[data.year] = targets
            folded.priorities[data.year] = priorities
            if ref is not None:
                folded.steps.append(Step(ref, work_program=(data.year, targets, priorities)))
            continue
        if isinstance(data, PartnerEventData):
            known = registry.get(data.partner_id)
            partner = evolve_partner(known, data, ref)
            keys: list[Key] = []
            if partner.merged_into != (known.merged_into if known else None):
                moving = passing_through(data.partner_id, {
                    f.partner_id for f in state.values() if f.partner_id is not None},
                    registry)  # their agreements now count for another partner
                keys = [(False, f.id) for f in state.values() if f.partner_id in moving]
                for agreement in keys:
                    current.setdefault(agreement, contribution(agreement))
            registry[data.partner_id] = folded.partners[data.partner_id] = partner
            if ref is not None:
                folded.steps.append(Step(ref, partner=partner))
            moved(keys, index)
            continue
        if isinstance(data, MappingEventData):
            key: Key = (True, data.item_id)
            current.setdefault(key, contribution(key))
            item = mapped[data.item_id] = folded.items[data.item_id] = evolve_item(
                mapped.get(data.item_id), data, ref)
            if ref is not None:
                folded.steps.append(Step(ref, item=item))
            moved([key], index)
            continue
        if not isinstance(data, AgreementEventData):
            raise TypeError(f"{type(data).__name__} is not an agreement event")
        own = data.agreement_id
        after = evolve(state.get(own), data, ref)
        if ref is not None:
            folded.steps.append(Step(ref, facts=after))
        keys = [(False, own)]
        signed = isinstance(data, AgreementSigned) and after.signed_on is not None
        parent = after.parent_id if (signed and after.document_type in FOLLOWING_UP_TYPES) \
            else None
        if parent is not None:
            keys.append((False, parent))
        if signed and after.mapping_item_id is not None:
            keys.append((True, after.mapping_item_id))
        for key in keys:
            if key not in current:
                current[key] = contribution(key)
        state[own] = folded.facts[own] = after
        if parent is not None and after.signed_on is not None:
            siblings = kids.setdefault(parent, {})
            if own not in siblings:
                siblings[own] = after.signed_on
                folded.child_signings.append(ChildSigning(own, parent, after.signed_on))
        if signed and after.mapping_item_id is not None and after.signed_on is not None:
            realising = realised.setdefault(after.mapping_item_id, {})
            if own not in realising:
                realising[own] = after.signed_on
                folded.realisations.append(
                    Realisation(own, after.mapping_item_id, after.signed_on))
        if signed and after.signed_on is not None:
            folded.signings.setdefault(after.signed_on.year, set()).update(scopes(after))
            folded.year_causes[after.signed_on.year] = index
        moved(keys, index)
    if not per_event:
        for key, before in current.items():
            _accumulate(deltas, before, contribution(key))
    folded.deltas = {key: (d[0], d[1]) for key, d in deltas.items()}
    return folded
