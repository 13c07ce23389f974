"""Every figure computed at once from a record equals the sum of the live projection's
per-event changes, at every prefix; the evidence lists exactly the agreements behind
each figure; draft rules move the figures the way they should (DESIGN §9)."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.common import DocumentType
from contracts.events import EventData
from contracts.kpi import AMOUNT_INDICATORS, MAPPING_INDICATORS, Indicator
from services.reporting.domain import FigureKey
from services.reporting.domain.evaluation import (
    KpiRules,
    Reason,
    add_years,
    capped,
    evidence,
    figures,
    record_of,
)
from services.reporting.domain.facts import EventRef
from tests.integration.reporting.histories import generate
from tests.unit.test_reporting_batch import _one_by_one

YEARS = (2020, 2021, 2022)
TODAY = date(2023, 1, 10)
SUMS = (Indicator.REALIZATION, Indicator.EFFECTIVENESS, Indicator.AGREEMENTS,
        *AMOUNT_INDICATORS, *MAPPING_INDICATORS)


def _named(history: object) -> list[tuple[EventData, EventRef]]:
    return [(e.data, EventRef(e.envelope.id, e.envelope.position, e.envelope.type,
                              e.envelope.time.date()))
            for e in history.events]  # type: ignore[attr-defined]


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), cut=st.floats(0, 1), planning=st.booleans())
def test_figures_of_a_record_are_the_sums_the_live_projection_keeps(
        seed: int, cut: float, planning: bool) -> None:
    named = _named(generate(seed, agreements=25, planning=planning, items=12))
    named = named[:round(len(named) * cut)]
    totals, _ = _one_by_one([data for data, _ in named])  # what the live projection sums
    record = record_of(named)
    for year in YEARS:
        found = figures(record, year, TODAY)
        for key in {k for k in totals if k.year == year} | {
                k for k in found if k.indicator in SUMS}:
            want = totals.get(key, [0, 0])
            got = found.get(key)
            numerator = got.numerator if got else 0
            denominator = (got.denominator or 0) if got else 0
            assert (numerator, denominator) == (want[0], want[1] if key.indicator in (
                Indicator.REALIZATION, Indicator.EFFECTIVENESS) else 0), key


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), planning=st.booleans())
def test_evidence_lists_exactly_the_agreements_behind_each_figure(seed: int,
                                                                  planning: bool) -> None:
    record = record_of(_named(generate(seed, agreements=25, planning=planning, items=12)))
    for year in YEARS:
        found = figures(record, year, TODAY)
        for key, figure in found.items():
            proof = evidence(record, key, TODAY)
            ids = [i.ident for i in proof.counted + proof.excluded]
            assert len(ids) == len(set(ids))
            if key.indicator in (Indicator.REALIZATION, Indicator.EFFECTIVENESS):
                assert (len(proof.counted), len(proof.counted) + len(proof.excluded)) == (
                    figure.numerator, figure.denominator)
                assert {i.reason for i in proof.counted} <= {
                    Reason.SIGNED_IN_YEAR, Reason.FOLLOWED_UP_IN_YEAR}
                assert not {i.reason for i in proof.excluded} & {
                    Reason.SIGNED_IN_YEAR, Reason.FOLLOWED_UP_IN_YEAR}
            elif key.indicator in (Indicator.AGREEMENTS, Indicator.SLEEPING,
                                   Indicator.EXPIRING_90_DAYS, *MAPPING_INDICATORS):
                assert (len(proof.counted), proof.excluded) == (figure.numerator, [])
            elif key.indicator in AMOUNT_INDICATORS:
                assert proof.excluded == [] and all(i.amount for i in proof.counted)
                assert sum(i.amount or 0 for i in proof.counted) == figure.numerator \
                    == proof.numerator
            else:  # the signing days, taken over the agreements it lists
                assert (proof.numerator, proof.excluded) == (figure.numerator, [])
            for item in proof.counted:
                if item.reason == Reason.SIGNED_IN_YEAR and key.indicator == \
                        Indicator.REALIZATION:
                    assert item.event is not None and item.event.date.year == year


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), days=st.integers(1, 400), cap=st.integers(1, 5))
def test_draft_rules_move_the_figures_the_way_they_say(seed: int, days: int,
                                                        cap: int) -> None:
    record = record_of(_named(generate(seed, agreements=25)))
    for year in YEARS:
        base = figures(record, year, TODAY)
        sleepier = figures(record, year, TODAY, KpiRules(sleeping_after_days=days))
        key = FigureKey(Indicator.SLEEPING, year, "province")
        if days <= 90:
            assert sleepier[key].numerator >= base[key].numerator
        else:
            assert sleepier[key].numerator <= base[key].numerator
        effectiveness = FigureKey(Indicator.EFFECTIVENESS, year, "province")
        memoranda = figures(record, year, TODAY, KpiRules(
            effectiveness_document_types=frozenset({DocumentType.MOU})))
        shorter = figures(record, year, TODAY, KpiRules(validity_cap_years=cap))
        for draft in (memoranda, shorter):
            if effectiveness in base:  # absent: nothing counted (and no work program)
                assert (getattr(draft.get(effectiveness), "denominator", 0) or 0) <= (
                    base[effectiveness].denominator or 0)
    for facts in record.agreements.values():
        cut = capped(facts, cap)
        if facts.effective_from and facts.effective_until:
            assert cut.effective_until is not None
            assert cut.effective_until <= facts.effective_until
            assert cut.effective_until < add_years(facts.effective_from, cap)
