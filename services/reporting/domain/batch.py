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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from uuid import UUID

from contracts.events import AgreementEventData, AgreementSigned, EventData, WorkProgramAdopted
from services.reporting.domain.contributions import FOLLOWING_UP_TYPES, Term, contributions, scopes
from services.reporting.domain.facts import AgreementFacts, EventRef, evolve
from services.reporting.domain.figures import FigureKey

Children = dict[UUID, dict[UUID, date]]
"""Per parent: its PKS and ADDENDUM children's ids and signing dates."""


@dataclass(frozen=True)
class ChildSigning:
    """A PKS or ADDENDUM signed: it follows up its parent."""

    child_id: UUID
    parent_id: UUID
    signed_on: date


@dataclass
class Folded:
    """What a batch of events changes."""

    facts: dict[UUID, AgreementFacts] = field(default_factory=dict)
    """The facts of every agreement an event changed, after the batch."""
    child_signings: list[ChildSigning] = field(default_factory=list)
    work_programs: dict[int, tuple[float, float]] = field(default_factory=dict)
    """(realization, effectiveness) targets adopted, per year (the last one wins)."""
    signings: dict[int, set[str]] = field(default_factory=dict)
    """Per year, the scopes of the agreements signed in it (their signing days move)."""
    deltas: dict[FigureKey, tuple[int, int]] = field(default_factory=dict)
    """Per touched figure, the change of (numerator, denominator); may be (0, 0)."""
    steps: list[tuple[EventRef, AgreementFacts | None, tuple[int, tuple[float, float]] | None]]\
        = field(default_factory=list)
    """Per named event: its ref, the agreement's facts after it, or the work program's
    (year, targets) it adopted."""


def related(events: Iterable[EventData],
            facts: Mapping[UUID, AgreementFacts]) -> set[UUID]:
    """Agreements whose facts and children a batch may need besides its own: the parents
    named by its proposals, by its signings, and by the facts already known."""
    found: set[UUID] = set()
    for data in events:
        if isinstance(data, AgreementEventData):
            named = getattr(data, "parent_id", None)
            if named is not None:
                found.add(named)
            known = facts.get(data.agreement_id)
            if known is not None and known.parent_id is not None:
                found.add(known.parent_id)
    return found


def _accumulate(deltas: dict[FigureKey, list[int]], before: Counter[Term],
                after: Counter[Term]) -> None:
    for term in before.keys() | after.keys():
        change = after[term] - before[term]
        if change:
            slot = deltas.setdefault(term.key, [0, 0])
            slot[0 if term.part == "numerator" else 1] += change


def fold(events: Sequence[EventData], facts: Mapping[UUID, AgreementFacts],
         children: Mapping[UUID, Mapping[UUID, date]], *, per_event: bool,
         refs: Sequence[EventRef | None] | None = None) -> Folded:
    """Fold ``events`` (each stream's in version order) into the facts known before them
    (``facts`` and ``children`` must hold those of the batch's agreements and of
    :func:`related`); ``refs`` name the events as recorded, for the history of facts
    (:attr:`Folded.steps`). Raises EventBeforeProposal like :func:`evolve`."""
    state = dict(facts)
    kids: Children = {parent: dict(c) for parent, c in children.items()}
    folded = Folded()
    current: dict[UUID, Counter[Term]] = {}
    deltas: dict[FigureKey, list[int]] = {}

    def contribution(agreement: UUID) -> Counter[Term]:
        return contributions(state.get(agreement), kids.get(agreement, {}).values())

    named = refs if refs is not None else [None] * len(events)
    for data, ref in zip(events, named, strict=True):
        if isinstance(data, WorkProgramAdopted):
            targets = (data.realization_target, data.effectiveness_target)
            folded.work_programs[data.year] = targets
            if ref is not None:
                folded.steps.append((ref, None, (data.year, targets)))
            continue
        if not isinstance(data, AgreementEventData):
            raise TypeError(f"{type(data).__name__} is not an agreement event")
        own = data.agreement_id
        after = evolve(state.get(own), data, ref)
        if ref is not None:
            folded.steps.append((ref, after, None))
        ids = [own]
        signed = isinstance(data, AgreementSigned) and after.signed_on is not None
        if (signed and after.parent_id is not None
                and after.document_type in FOLLOWING_UP_TYPES):
            ids.append(after.parent_id)
        for agreement in ids:
            if agreement not in current:
                current[agreement] = contribution(agreement)
        state[own] = folded.facts[own] = after
        if len(ids) == 2 and after.signed_on is not None:
            siblings = kids.setdefault(ids[1], {})
            if own not in siblings:
                siblings[own] = after.signed_on
                folded.child_signings.append(ChildSigning(own, ids[1], after.signed_on))
        if signed and after.signed_on is not None:
            folded.signings.setdefault(after.signed_on.year, set()).update(scopes(after))
        if per_event:
            for agreement in ids:
                now = contribution(agreement)
                _accumulate(deltas, current[agreement], now)
                current[agreement] = now
    if not per_event:
        for agreement, before in current.items():
            _accumulate(deltas, before, contribution(agreement))
    folded.deltas = {key: (d[0], d[1]) for key, d in deltas.items()}
    return folded
