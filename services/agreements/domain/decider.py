"""The decider of a kind of stream, and the one of agreements.

A :class:`Decider` is three pure things: ``decide(command, state, ctx)`` (the events a
command causes, or a refused command), ``evolve(state, event)`` (the state after an
event) and the initial state of a stream with no events. The service layer loads a
stream by folding its events from the initial state, decides, and appends; it knows
nothing else of the rules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from contracts.commands import AgreementCommand, ProposeAgreement
from contracts.events import AgreementEventData
from services.agreements.domain.actions import action_for, ensure_stage
from services.agreements.domain.context import DecisionContext
from services.agreements.domain.errors import AgreementNotFound
from services.agreements.domain.evolve import evolve
from services.agreements.domain.proposal import propose
from services.agreements.domain.state import AgreementState

C = TypeVar("C")
E = TypeVar("E")
S = TypeVar("S")


@dataclass(frozen=True)
class Decider(Generic[C, E, S]):
    """``decide``, ``evolve`` and the ``initial`` state of one kind of stream."""

    decide: Callable[[C, S, DecisionContext], Sequence[E]]
    evolve: Callable[[S, E], S]
    initial: S

    def fold(self, events: Iterable[E], state: S | None = None) -> S:
        """The state after ``events``, from ``state`` (the initial state by default)."""
        current = self.initial if state is None else state
        for event in events:
            current = self.evolve(current, event)
        return current


def _existing(command: AgreementCommand, state: AgreementState | None) -> AgreementState:
    if state is None:
        raise AgreementNotFound(f"agreement {command.agreement_id} does not exist")
    if state.id != command.agreement_id:
        raise ValueError(f"command for agreement {command.agreement_id} decided on {state.id}")
    return state


def decide(command: ProposeAgreement | AgreementCommand, state: AgreementState | None,
           ctx: DecisionContext) -> list[AgreementEventData]:
    """The events that ``command`` causes on the agreement in ``state``.

    Refuses with a :class:`DomainError`, checked in this order: the stage (409), then
    conflicts of the action itself (409), then the rules (422). Each event carries the
    agreement's version and stage after it. ``expected_version`` is the caller's concern.
    """
    if isinstance(command, ProposeAgreement):
        return list(propose(command, state, ctx))
    current = _existing(command, state)
    ensure_stage(command, current)
    return [action_for(command).decide(command, current, ctx)]


AGREEMENTS: Decider[ProposeAgreement | AgreementCommand, AgreementEventData,
                    AgreementState | None] = Decider(decide=decide, evolve=evolve,
                                                     initial=None)
"""The agreement's decider: a stream starts with its proposal."""
