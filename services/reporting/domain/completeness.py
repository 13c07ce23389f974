"""Which figures a parked stream may be missing from (docs/domain.md#boundaries).

A parked agreement leaves every figure of the scopes its last applied state counts in
(province, its agency, kind, type and stage) possibly short, in every year: its later
events could move it anywhere in time. A parked stream whose agreement is not known yet
(its proposal is what failed) could count anywhere: the province figures of every year. A
parked work program leaves every figure of its year without a sure target. A parked mapping
item leaves the figures of its scopes (province, agency, priority) possibly short; one not
known yet, the province's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from contracts.feed import WORK_PROGRAM_PREFIX
from contracts.roles import PROVINCE, stage_scope
from services.reporting.domain.contributions import scopes
from services.reporting.domain.facts import AgreementFacts
from services.reporting.domain.figures import FigureKey
from services.reporting.domain.mapping import MappingItem, item_scopes


@dataclass(frozen=True)
class Incomplete:
    """The scopes and years of the figures that are not complete."""

    scopes: frozenset[str] = frozenset()
    years: frozenset[int] = frozenset()

    def complete(self, key: FigureKey) -> bool:
        """Whether a figure is complete."""
        return key.scope not in self.scopes and key.year not in self.years


COMPLETE = Incomplete()


def incomplete(parked: Iterable[tuple[str, AgreementFacts | MappingItem | None]]
               ) -> Incomplete:
    """What the parked streams, each with its agreement's (or mapping item's) last applied
    facts, leave incomplete."""
    found: set[str] = set()
    years: set[int] = set()
    for stream_id, facts in parked:
        year = stream_id.removeprefix(WORK_PROGRAM_PREFIX)
        if stream_id.startswith(WORK_PROGRAM_PREFIX) and year.isdigit():
            years.add(int(year))
        elif facts is None:
            found.add(PROVINCE)
        elif isinstance(facts, MappingItem):
            found.update(item_scopes(facts))
        else:
            found.update((*scopes(facts), stage_scope(facts.stage.value)))
    return Incomplete(frozenset(found), frozenset(years))
