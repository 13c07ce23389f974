"""The year's work program: the targets of the two headline indicators, the year's policy
priorities and the date by which agencies map their cooperation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from contracts.commands import AdoptWorkProgram
from contracts.events import WorkProgramAdopted
from contracts.feed import work_program_stream_id
from contracts.planning import PriorityRecord
from services.agreements.domain.context import DecisionContext
from services.agreements.domain.decider import Decider

__all__ = ["WORK_PROGRAMS", "work_program_stream_id"]


@dataclass(frozen=True)
class WorkProgramState:
    """The program adopted for a year (targets in percent); ``version`` counts the
    adoptions."""

    year: int
    version: int
    realization_target: float
    effectiveness_target: float
    priorities: tuple[tuple[str, str], ...] = ()
    """(code, name) of each policy priority, in the order adopted."""
    mapping_due_on: date | None = None

    @property
    def priority_codes(self) -> frozenset[str]:
        """The codes a proposal or mapping item of the year may name."""
        return frozenset(code for code, _ in self.priorities)

    @property
    def stream_id(self) -> str:
        """``work-program-<year>``."""
        return work_program_stream_id(self.year)


def decide_work_program(
    command: AdoptWorkProgram, state: WorkProgramState | None,
    ctx: DecisionContext,
) -> list[WorkProgramAdopted]:
    """Adopt the year's targets, or replace the ones adopted before (always one event)."""
    if state is not None and state.year != command.year:
        raise ValueError(f"work program {command.year} decided on the stream of {state.year}")
    return [WorkProgramAdopted(
        version=1 if state is None else state.version + 1, year=command.year,
        realization_target=command.realization_target,
        effectiveness_target=command.effectiveness_target,
        priorities=[PriorityRecord(code=p.code, name=p.name) for p in command.priorities],
        mapping_due_on=command.mapping_due_on)]


def evolve_work_program(
    state: WorkProgramState | None, event: WorkProgramAdopted
) -> WorkProgramState:
    """The work program after ``event``."""
    expected = 1 if state is None else state.version + 1
    if event.version != expected:
        raise ValueError(f"work-program event version {event.version} does not follow "
                         f"{expected - 1}")
    if state is not None and state.year != event.year:
        raise ValueError(f"work program {event.year} applied to the stream of {state.year}")
    return WorkProgramState(year=event.year, version=event.version,
                            realization_target=event.realization_target,
                            effectiveness_target=event.effectiveness_target,
                            priorities=tuple((p.code, p.name) for p in event.priorities),
                            mapping_due_on=event.mapping_due_on)


WORK_PROGRAMS: Decider[AdoptWorkProgram, WorkProgramAdopted, WorkProgramState | None] = \
    Decider(decide=decide_work_program, evolve=evolve_work_program, initial=None)
"""The work program's decider: each adoption replaces the year's targets."""
