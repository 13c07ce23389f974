"""The year's policy priorities as the portal keeps them: the list of the latest work
program adopted for the year (an adoption replaces the list, an empty one clears it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from contracts.events import WorkProgramAdopted


@dataclass(frozen=True)
class Priority:
    """One policy priority: its code (as in the scope ``priority:<code>``) and name."""

    code: str
    name: str


@dataclass(frozen=True)
class YearPriorities:
    """The priorities of one year, in the work program's order."""

    year: int
    priorities: tuple[Priority, ...]


def adopted(event: WorkProgramAdopted) -> YearPriorities:
    """The year's priorities after a work program was adopted: exactly its list."""
    return YearPriorities(event.year, tuple(Priority(p.code, p.name) for p in event.priorities))


def name_of(code: str | None, priorities: Sequence[Priority]) -> str | None:
    """The name of a priority code, the code itself when no work program names it."""
    if code is None:
        return None
    return next((p.name for p in priorities if p.code == code), code)
