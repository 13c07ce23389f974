"""Partner figures (docs/domain.md#kpi-formulas): every figure of an agreement per category
of its partner as proposed, the counts and sums per partner, counted for the partner its id
stands for after the registry's merges; whatever the order in which the agreement and
partner streams arrive, the live sums equal the from-scratch figures, and a merge moves
nothing but partner figures."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from itertools import permutations
from uuid import UUID, uuid4

from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.codec import decode, make_envelope
from contracts.common import PartnerCategory, Stage
from contracts.envelope import sequence_of
from contracts.events import (
    AgreementFollowUpRecorded,
    EventData,
    PartnerMerged,
    PartnerRegistered,
    PartnerRevised,
    UnknownEvent,
)
from contracts.kpi import MAPPING_INDICATORS, PARTNER_INDICATORS, Indicator
from contracts.partner_registry import PartnerStage
from plumbing.agreements_client import inbox_event
from services.reporting.application.projection import _data
from services.reporting.domain import FigureKey
from services.reporting.domain.completeness import incomplete
from services.reporting.domain.evaluation import Reason, evidence, figures, record_of
from services.reporting.domain.facts import EventRef
from services.reporting.domain.partners import PartnerFacts
from services.reporting.domain.signing import SIGNING_DAYS_INDICATORS
from tests.integration.reporting.histories import generate
from tests.unit.test_reporting_batch import Known
from tests.unit.test_reporting_planning import _interleaved, _proposal, _refs, _signed, _totals

TODAY = date(2023, 1, 10)
TIMELY = (Indicator.SLEEPING, Indicator.EXPIRING_90_DAYS)
SUMS = frozenset(Indicator) - set(SIGNING_DAYS_INDICATORS) - set(TIMELY)
"""Figures that are sums over agreements (and mapping items): what the live fold keeps."""


def _registered(pid: UUID, name: str = "blibli.com",
                category: str = "THIRD_PARTY") -> PartnerRegistered:
    return PartnerRegistered(partner_id=pid, version=1, stage=PartnerStage.ACTIVE,
                             name=name, category=PartnerCategory(category), country="ID")


def _merged(pid: UUID, into: UUID, version: int = 2) -> PartnerMerged:
    return PartnerMerged(partner_id=pid, version=version, stage=PartnerStage.MERGED,
                         into=into)


def _agreement(aid: UUID, partner: UUID) -> list[EventData]:
    """Proposed in 2021 with values, signed, a follow-up with revenue."""
    return [_proposal(aid, partner_id=partner, value_cash=500, value_in_kind=70),
            _signed(aid, date(2021, 3, 1)),
            AgreementFollowUpRecorded(agreement_id=aid, version=3, stage=Stage.SIGNED,
                                      on=date(2021, 6, 1), summary="Sewa", revenue=9)]


def _orders(*streams: list[EventData]) -> list[list[EventData]]:
    """Every interleaving of the streams that keeps each stream's own order."""
    tagged = [(n, e) for n, s in enumerate(streams) for e in s]
    found = []
    for order in set(permutations(range(len(tagged)))):
        events = [tagged[i] for i in order]
        if all([e for n, e in events if n == k] == list(s) for k, s in enumerate(streams)):
            found.append([e for _, e in events])
    return found


def test_every_figure_of_an_agreement_is_kept_for_its_partners_category_as_proposed(
        ) -> None:
    aid = uuid4()
    events = _agreement(aid, uuid4())
    record = record_of(_refs(events))
    found = figures(record, 2021, TODAY)
    province = {k.indicator: f.numerator for k, f in found.items()
                if k.scope == "province" and f.numerator}
    category = {k.indicator: f.numerator for k, f in found.items()
                if k.scope == "category:THIRD_PARTY"}
    assert category == province
    assert set(category) >= {Indicator.REALIZATION, Indicator.EFFECTIVENESS,
                             Indicator.AGREEMENTS, Indicator.SLEEPING,
                             Indicator.SIGNING_DAYS_MEDIAN, Indicator.SIGNING_DAYS_P90,
                             Indicator.VALUE_CASH, Indicator.VALUE_IN_KIND, Indicator.REVENUE}
    expiring = figures(record, 2022, date(2022, 12, 25))
    assert FigureKey(Indicator.EXPIRING_90_DAYS, 2022, "category:THIRD_PARTY") in expiring
    live = _totals(events)
    assert {k.indicator for k in live if k.scope == "category:THIRD_PARTY"} == \
        {k.indicator for k in live if k.scope == "province"}
    assert not {k for k in found if k.scope.startswith("category:")
                and k.indicator in MAPPING_INDICATORS}


def test_a_revision_or_a_merge_in_the_registry_never_changes_an_agreements_category(
        ) -> None:
    aid, pid, other = uuid4(), uuid4(), uuid4()
    revised = PartnerRevised(partner_id=pid, version=2, stage=PartnerStage.ACTIVE,
                             name="Yayasan blibli", category=PartnerCategory.OTHER_INSTITUTION,
                             country="ID")
    events = [_registered(other, "Yayasan", "OTHER_INSTITUTION"), _registered(pid),
              *_agreement(aid, pid), revised, _merged(pid, other, version=3)]
    live = _totals(events)
    assert live[FigureKey(Indicator.VALUE_CASH, 2021, "category:THIRD_PARTY")] == 500
    assert not {k for k in live if k.scope == "category:OTHER_INSTITUTION"}
    found = figures(record_of(_refs(events)), 2021, TODAY)
    assert not {k for k in found if k.scope == "category:OTHER_INSTITUTION"}
    assert found[FigureKey(Indicator.VALUE_CASH, 2021, f"partner:{other}")].numerator == 500


def test_the_counts_and_sums_count_for_the_end_of_a_chain_of_merges_in_any_order() -> None:
    aid, a, b, c = uuid4(), uuid4(), uuid4(), uuid4()
    agreement = _agreement(aid, a)
    merges = ([_registered(a), _merged(a, b)], [_registered(b, "Blibli"), _merged(b, c)])
    want = {FigureKey(Indicator.AGREEMENTS, 2021, f"partner:{c}"): 1,
            FigureKey(Indicator.VALUE_CASH, 2021, f"partner:{c}"): 500,
            FigureKey(Indicator.VALUE_IN_KIND, 2021, f"partner:{c}"): 70,
            FigureKey(Indicator.REVENUE, 2021, f"partner:{c}"): 9}
    orders = _orders(agreement, *merges)
    assert len(orders) > 100
    for events in orders:
        live = {k: v for k, v in _totals(events).items() if k.scope.startswith("partner:")}
        assert live == want
        found = figures(record_of(_refs(events)), 2021, TODAY)
        assert {k: f.numerator for k, f in found.items()
                if k.scope.startswith("partner:")} == want
    assert {k.indicator for k in want} == PARTNER_INDICATORS


def test_a_merge_takes_the_merged_partners_figures_to_zero_and_moves_them() -> None:
    aid, a, b = uuid4(), uuid4(), uuid4()
    known = Known()
    for event in [_registered(a), _registered(b, "Blibli"), *_agreement(aid, a)]:
        known.keep(known.fold([event], per_event=True))
    merge = known.fold([_merged(a, b)], per_event=True)
    assert merge.deltas == {
        FigureKey(Indicator.AGREEMENTS, 2021, f"partner:{a}"): (-1, 0),
        FigureKey(Indicator.AGREEMENTS, 2021, f"partner:{b}"): (1, 0),
        FigureKey(Indicator.VALUE_CASH, 2021, f"partner:{a}"): (-500, 0),
        FigureKey(Indicator.VALUE_CASH, 2021, f"partner:{b}"): (500, 0),
        FigureKey(Indicator.VALUE_IN_KIND, 2021, f"partner:{a}"): (-70, 0),
        FigureKey(Indicator.VALUE_IN_KIND, 2021, f"partner:{b}"): (70, 0),
        FigureKey(Indicator.REVENUE, 2021, f"partner:{a}"): (-9, 0),
        FigureKey(Indicator.REVENUE, 2021, f"partner:{b}"): (9, 0)}
    assert merge.partners[a].merged_into == b and merge.partners[a].stage == "MERGED"


def test_the_evidence_of_partner_and_category_scopes_lists_their_agreements() -> None:
    aid, other, a, b = uuid4(), uuid4(), uuid4(), uuid4()
    events = [*_agreement(aid, a), *_agreement(other, b), _registered(a), _merged(a, b)]
    record = record_of(_refs(events))
    proof = evidence(record, FigureKey(Indicator.VALUE_CASH, 2021, f"partner:{b}"), TODAY)
    assert sorted(i.agreement_id for i in proof.counted) == sorted([aid, other])
    assert proof.numerator == 1000 and {i.amount for i in proof.counted} == {500}
    assert evidence(record, FigureKey(Indicator.AGREEMENTS, 2021, f"partner:{a}"),
                    TODAY).counted == []
    planned = evidence(record, FigureKey(Indicator.REALIZATION, 2021,
                                         "category:THIRD_PARTY"), TODAY)
    assert {(i.agreement_id, i.reason) for i in planned.counted} == {
        (aid, Reason.SIGNED_IN_YEAR), (other, Reason.SIGNED_IN_YEAR)}
    assert evidence(record, FigureKey(Indicator.REALIZATION, 2021, f"partner:{b}"),
                    TODAY).denominator == 0  # ratios have no partner figures


def test_a_parked_partner_marks_its_figures_and_those_it_counts_in_incomplete() -> None:
    a, b = uuid4(), uuid4()
    registry = {a: PartnerFacts(a, PartnerStage.MERGED, 2, merged_into=b)}
    gaps = incomplete([(f"partner-{a}", None)], registry)
    assert gaps.scopes == {f"partner:{a}", f"partner:{b}"}
    assert gaps.complete(FigureKey(Indicator.VALUE_CASH, 2021, "province"))
    events = _agreement(uuid4(), a)
    facts = record_of(_refs(events)).agreements
    [(aid, parked)] = facts.items()
    gaps = incomplete([(str(aid), parked)], registry)
    assert {"category:THIRD_PARTY", f"partner:{b}", "province"} <= gaps.scopes


def _partner_free(events: list[EventData]) -> list[EventData]:
    return [e for e in events if not isinstance(e, PartnerMerged)]


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), order=st.randoms(use_true_random=False))
def test_any_interleaving_of_agreement_and_partner_streams_gives_the_figures_from_scratch(
        seed: int, order: random.Random) -> None:
    history = generate(seed, agreements=25, planning=True, items=5, partners=True)
    in_feed = [e.data for e in history.events if isinstance(e.data, EventData)]
    streams = [[e.data for e in s if isinstance(e.data, EventData)]
               for s in history.streams.values()]
    expected = _totals(in_feed)
    assert _totals(_interleaved(streams, order)) == expected
    record = record_of(_refs(in_feed))
    for year in (2020, 2021, 2022):
        found = {k: (f.numerator, f.denominator or 0)
                 for k, f in figures(record, year, TODAY).items()
                 if k.indicator in SUMS and (f.numerator or f.denominator)}
        assert found == {k: tuple(v) for k, v in _totals_with_den(in_feed).items()
                         if k.year == year}
    partner_scopes = {k.scope for k in expected if k.scope.startswith("partner:")}
    merged = {e.partner_id for e in in_feed if isinstance(e, PartnerMerged)}
    assert partner_scopes and not {f"partner:{m}" for m in merged} & partner_scopes
    assert partner_scopes <= {f"partner:{record.partner_of(f)}"
                              for f in record.agreements.values()}


def _totals_with_den(events: list[EventData]) -> dict[FigureKey, list[int]]:
    known, totals = Known(), {}  # type: ignore[var-annotated]
    for event in events:
        folded = known.fold([event], per_event=True)
        known.keep(folded)
        for key, (num, den) in folded.deltas.items():
            slot = totals.setdefault(key, [0, 0])
            slot[0] += num
            slot[1] += den
    return {k: v for k, v in totals.items() if v != [0, 0]}


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_merges_leave_every_figure_but_the_partner_figures_exactly_as_they_were(
        seed: int) -> None:
    history = generate(seed, agreements=30, planning=True, items=5, partners=True)
    events = [e.data for e in history.events if isinstance(e.data, EventData)]
    with_merges, without = _totals_with_den(events), _totals_with_den(_partner_free(events))

    def others(totals: dict[FigureKey, list[int]]) -> dict[FigureKey, list[int]]:
        return {k: v for k, v in totals.items() if not k.scope.startswith("partner:")}

    def per_figure(totals: dict[FigureKey, list[int]]) -> dict[tuple[Indicator, int], int]:
        summed: dict[tuple[Indicator, int], int] = {}
        for k, v in totals.items():
            if k.scope.startswith("partner:"):
                summed[k.indicator, k.year] = summed.get((k.indicator, k.year), 0) + v[0]
        return summed

    assert others(with_merges) == others(without)
    assert per_figure(with_merges) == per_figure(without)  # moved, none lost or made
    assert {k.indicator for k in with_merges if k.scope.startswith("partner:")} <= \
        PARTNER_INDICATORS
    for year in (2020, 2021, 2022):
        scratch = figures(record_of(_refs(events)), year, TODAY)
        plain = figures(record_of(_refs(_partner_free(events))), year, TODAY)
        assert {k: f for k, f in scratch.items() if not k.scope.startswith("partner:")} \
            == {k: f for k, f in plain.items() if not k.scope.startswith("partner:")}


def test_an_unknown_event_type_of_the_partner_family_is_stepped_over() -> None:
    pid = uuid4()
    envelope = make_envelope(_registered(pid), source="/kerjasama/agreements",
                             subject=f"partner-{pid}", time=datetime(2021, 1, 4, tzinfo=UTC),
                             sequence=sequence_of(2), position=9)
    body = envelope.model_dump(mode="json") | {"type": "kerjasama.partner.audited.v1"}
    decoded = decode(body, unknown_events=True)
    assert isinstance(decoded.data, UnknownEvent)
    assert _data(inbox_event(decoded)) is None  # the live projection steps over it
    record = record_of([(decoded.data, EventRef(uuid4(), 9, decoded.type, date(2021, 1, 4)))])
    assert record.partners == {}
