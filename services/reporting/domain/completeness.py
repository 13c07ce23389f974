"""Which figures a parked stream may be missing from (docs/domain.md#boundaries).

A parked agreement leaves every figure of the scopes its last applied state counts in
(province, its agency, kind, type and stage) possibly short, in every year: its later
events could move it anywhere in time. A parked stream whose agreement is not known yet
(its proposal is what failed) could count anywhere: the province figures of every year. A
parked work program leaves every figure of its year without a sure target. A parked mapping
item leaves the figures of its scopes (province, agency, priority) possibly short; one not
known yet, the province's. A parked partner leaves the partner figures it counts in possibly
short: its own and those of the partner it stands for (a merge still to come would move
them); a parked agreement, its partner's too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from uuid import UUID

from contracts.feed import WORK_PROGRAM_PREFIX
from contracts.partner_registry import partner_id_of_stream
from contracts.roles import PROVINCE, partner_scope, stage_scope
from services.reporting.domain.contributions import partner_scopes, scopes
from services.reporting.domain.facts import AgreementFacts
from services.reporting.domain.figures import FigureKey
from services.reporting.domain.mapping import MappingItem, item_scopes
from services.reporting.domain.partners import PartnerFacts, survivor


@dataclass(frozen=True)
class Incomplete:
    """The scopes and years of the figures that are not complete."""

    scopes: frozenset[str] = frozenset()
    years: frozenset[int] = frozenset()

    def complete(self, key: FigureKey) -> bool:
        """Whether a figure is complete."""
        return key.scope not in self.scopes and key.year not in self.years


COMPLETE = Incomplete()


def incomplete(parked: Iterable[tuple[str, AgreementFacts | MappingItem | None]],
               partners: Mapping[UUID, PartnerFacts] | None = None) -> Incomplete:
    """What the parked streams, each with its agreement's (or mapping item's) last applied
    facts, leave incomplete; ``partners``: the chains of merges of the partners they
    name."""
    found: set[str] = set()
    years: set[int] = set()
    registry = partners or {}
    for stream_id, facts in parked:
        year = stream_id.removeprefix(WORK_PROGRAM_PREFIX)
        partner = partner_id_of_stream(stream_id)
        if stream_id.startswith(WORK_PROGRAM_PREFIX) and year.isdigit():
            years.add(int(year))
        elif partner is not None:
            found.update({partner_scope(partner), partner_scope(survivor(partner, registry))})
        elif facts is None:
            found.add(PROVINCE)
        elif isinstance(facts, MappingItem):
            found.update(item_scopes(facts))
        else:
            counted_for = None if facts.partner_id is None \
                else survivor(facts.partner_id, registry)
            found.update((*scopes(facts), stage_scope(facts.stage.value),
                          *partner_scopes(facts, counted_for)))
    return Incomplete(frozenset(found), frozenset(years))
