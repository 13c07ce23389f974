"""The yearly cooperation mapping (DESIGN §12): when it is due, and who is reminded.

A year's work program may set ``mapping_due_on``. Once the business date reaches it, each
agency that has not mapped the year (no ACTIVE mapping item) is asked for its mapping,
and the TKKSD secretariat gets one list of those agencies. Pure: the service keeps the
due date and who has mapped, and asks :func:`mapping_reminders` at each scheduler run;
a notice fires once per (rule, occasion), so asking again never repeats one. As for the
agreement reminders (:mod:`services.notifications.domain.schedule`):

- a reminder fires on its date or the first day asked after it, as long as its
  condition holds (an agency that maps meanwhile is not reminded), and no longer than
  the year (a mapping of a year gone by is not asked for);
- a due date that lies before the day it was recorded (a work program adopted after its
  own due date) is never reminded: late entry floods nobody;
- a due date moved by a later adoption is a new occasion, reminded on the new date.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from contracts.events import MappingEventData
from contracts.planning import MappingStage
from services.notifications.domain.rules import Audience, Notice, Rule


@dataclass(frozen=True)
class MappingDue:
    """The mapping due date of a year's work program, and when it became known."""

    year: int
    due_on: date
    known_on: date
    """The business date the adoption that set this due date was recorded."""

    @property
    def occasion(self) -> str:
        """``mapping/<year>/<due date>``: what the notices of this due date are about."""
        return f"mapping/{self.year}/{self.due_on.isoformat()}"

    @property
    def asked_until(self) -> date:
        """The last day the mapping is asked for: the end of the year (of the due date,
        when that is later)."""
        return date(max(self.year, self.due_on.year), 12, 31)


@dataclass(frozen=True)
class MappingItem:
    """A mapping item as its latest event leaves it."""

    item_id: UUID
    year: int
    opd: str
    active: bool


def item_after(data: MappingEventData) -> MappingItem:
    """The item after one of its events (each carries the item's year, agency and stage):
    a withdrawn item no longer counts."""
    return MappingItem(data.item_id, data.year, data.opd, data.stage == MappingStage.ACTIVE)


def mapped_agencies(items: Iterable[MappingItem], year: int) -> set[str]:
    """The agencies that have mapped ``year``: at least one active item of that year."""
    return {item.opd for item in items if item.year == year and item.active}


def adopted(before: MappingDue | None, year: int, due_on: date | None,
            recorded_on: date) -> MappingDue | None:
    """The year's mapping due date after an adoption of its work program, recorded on the
    business date ``recorded_on`` (None: the program sets none). The whole program is
    replaced, but a due date it keeps keeps the day it first became known."""
    if due_on is None:
        return None
    if before is not None and before.due_on == due_on:
        return before
    return MappingDue(year, due_on, recorded_on)


def mapping_reminders(due: MappingDue, today: date, agencies: Iterable[str],
                      mapped: Collection[str]) -> list[Notice]:
    """The notices due on ``today``: one to each of ``agencies`` not in ``mapped`` (the
    agencies with an active item of the year), and one to the secretariat listing them
    (codes sorted); none before the due date, after the year, or for a due date recorded
    late."""
    if today < due.due_on or today > due.asked_until or due.due_on < due.known_on:
        return []
    unmapped = sorted(set(agencies) - set(mapped))
    if not unmapped:
        return []
    facts: dict[str, str | int | None] = {"year": due.year, "due_on": due.due_on.isoformat()}
    notices = [Notice(Rule.MAPPING_DUE, f"{due.occasion}/{code}", (Audience.NAMED_AGENCIES,),
                      due_on=due.due_on, facts={**facts, "opd": code}, agencies=(code,))
               for code in unmapped]
    notices.append(Notice(Rule.MAPPING_MISSING, due.occasion, (Audience.SECRETARIAT,),
                          due_on=due.due_on, facts={**facts, "count": len(unmapped),
                                                    "agencies": ", ".join(unmapped)}))
    return notices
