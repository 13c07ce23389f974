"""Folding several events at once changes the figures exactly as folding them one by one."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.events import EventData
from services.reporting.domain import AgreementFacts, FigureKey
from services.reporting.domain.batch import Folded, fold
from services.reporting.domain.mapping import MappingItem
from services.reporting.domain.partners import PartnerFacts
from tests.integration.reporting.histories import generate


class Known:
    """What the projection keeps between batches: facts, children, items, realisations,
    partners."""

    def __init__(self) -> None:
        self.facts: dict[UUID, AgreementFacts] = {}
        self.children: dict[UUID, dict[UUID, date]] = {}
        self.items: dict[UUID, MappingItem] = {}
        self.realisations: dict[UUID, dict[UUID, date]] = {}
        self.partners: dict[UUID, PartnerFacts] = {}

    def fold(self, events: list[EventData], *, per_event: bool) -> Folded:
        return fold(events, self.facts, self.children, per_event=per_event,
                    items=self.items, realisations=self.realisations,
                    partners=self.partners)

    def keep(self, folded: Folded) -> None:
        self.facts.update(folded.facts)
        self.items.update(folded.items)
        self.partners.update(folded.partners)
        for signing in folded.child_signings:
            self.children.setdefault(signing.parent_id, {})[signing.child_id] = \
                signing.signed_on
        for done in folded.realisations:
            self.realisations.setdefault(done.item_id, {})[done.agreement_id] = \
                done.signed_on


def add_deltas(totals: dict[FigureKey, list[int]], folded: Folded) -> None:
    for key, (num, den) in folded.deltas.items():
        slot = totals.setdefault(key, [0, 0])
        slot[0] += num
        slot[1] += den


def _one_by_one(events: list[EventData]) -> tuple[dict[FigureKey, list[int]],
                                                   dict[UUID, AgreementFacts]]:
    known = Known()
    totals: dict[FigureKey, list[int]] = {}
    for event in events:
        folded = known.fold([event], per_event=True)
        known.keep(folded)
        add_deltas(totals, folded)
    return totals, known.facts


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), size=st.integers(1, 200), planning=st.booleans(),
       partners=st.booleans())
def test_a_batch_moves_the_figures_as_its_events_one_by_one(seed: int, size: int,
                                                            planning: bool,
                                                            partners: bool) -> None:
    history = generate(seed, agreements=15, planning=planning, items=8, partners=partners)
    events = [e.data for e in history.events if isinstance(e.data, EventData)]
    expected, facts_expected = _one_by_one(events)

    known = Known()
    per_event: dict[FigureKey, list[int]] = {}
    per_page: dict[FigureKey, list[int]] = {}
    for start in range(0, len(events), size):
        batch = events[start:start + size]
        exact = known.fold(batch, per_event=True)
        paged = known.fold(batch, per_event=False)
        assert paged.facts == exact.facts
        assert paged.items == exact.items
        assert paged.child_signings == exact.child_signings
        assert paged.realisations == exact.realisations
        assert paged.partners == exact.partners
        add_deltas(per_event, exact)
        add_deltas(per_page, paged)
        known.keep(exact)

    facts = known.facts
    assert facts == facts_expected
    assert per_event == expected  # the same figures touched, the same sums
    assert {k: v for k, v in per_page.items() if v != [0, 0]} == {
        k: v for k, v in expected.items() if v != [0, 0]}
