"""Folding several events at once changes the figures exactly as folding them one by one."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.events import EventData
from services.reporting.domain import AgreementFacts, FigureKey
from services.reporting.domain.batch import fold
from tests.integration.reporting.histories import generate


def _one_by_one(events: list[EventData]) -> tuple[dict[FigureKey, list[int]],
                                                   dict[UUID, AgreementFacts]]:
    facts: dict[UUID, AgreementFacts] = {}
    children: dict[UUID, dict[UUID, date]] = {}
    totals: dict[FigureKey, list[int]] = {}
    for event in events:
        folded = fold([event], facts, children, per_event=True)
        facts.update(folded.facts)
        for signing in folded.child_signings:
            children.setdefault(signing.parent_id, {})[signing.child_id] = signing.signed_on
        for key, (num, den) in folded.deltas.items():
            slot = totals.setdefault(key, [0, 0])
            slot[0] += num
            slot[1] += den
    return totals, facts


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), size=st.integers(1, 200))
def test_a_batch_moves_the_figures_as_its_events_one_by_one(seed: int, size: int) -> None:
    history = generate(seed, agreements=15)
    events = [e.data for e in history.events if isinstance(e.data, EventData)]
    expected, facts_expected = _one_by_one(events)

    facts: dict[UUID, AgreementFacts] = {}
    children: dict[UUID, dict[UUID, date]] = {}
    per_event: dict[FigureKey, list[int]] = {}
    per_page: dict[FigureKey, list[int]] = {}
    for start in range(0, len(events), size):
        batch = events[start:start + size]
        exact = fold(batch, facts, children, per_event=True)
        paged = fold(batch, facts, children, per_event=False)
        assert paged.facts == exact.facts
        assert paged.child_signings == exact.child_signings
        for totals, folded in ((per_event, exact), (per_page, paged)):
            for key, (num, den) in folded.deltas.items():
                slot = totals.setdefault(key, [0, 0])
                slot[0] += num
                slot[1] += den
        facts.update(exact.facts)
        for signing in exact.child_signings:
            children.setdefault(signing.parent_id, {})[signing.child_id] = signing.signed_on

    assert facts == facts_expected
    assert per_event == expected  # the same figures touched, the same sums
    assert {k: v for k, v in per_page.items() if v != [0, 0]} == {
        k: v for k, v in expected.items() if v != [0, 0]}
