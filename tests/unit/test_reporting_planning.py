"""The planning figures (docs/domain.md#kpi-formulas): priority scopes, values and revenue
in rupiah, the items mapped and realised; whatever the order the agreement and mapping
streams are delivered in, the live projection's sums equal the from-scratch figures."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.common import DocumentType, Kind, Partner, Signatory, Stage
from contracts.events import (
    AgreementFollowUpRecorded,
    AgreementProposed,
    AgreementSigned,
    EventData,
    MappingItemAdded,
    MappingItemRevised,
    MappingItemWithdrawn,
)
from contracts.kpi import AMOUNT_INDICATORS, MAPPING_INDICATORS, Indicator
from contracts.planning import MappingStage
from services.reporting.domain import FigureKey
from services.reporting.domain.evaluation import Reason, evidence, figures, record_of
from services.reporting.domain.facts import EventRef
from services.reporting.domain.timely import timely_figures
from tests.integration.reporting.histories import generate
from tests.unit.test_reporting_batch import Known, add_deltas

TODAY = date(2023, 1, 10)
PLANNING = (*AMOUNT_INDICATORS, *MAPPING_INDICATORS)


def _proposal(aid: UUID, **changes: Any) -> AgreementProposed:
    fields: dict[str, Any] = {
        "agreement_id": aid, "version": 1, "stage": Stage.PROPOSED, "title": "Galeri UMKM",
        "kind": Kind.KSDPK, "document_type": DocumentType.MOU,
        "partner": Partner(name="blibli.com", category="THIRD_PARTY", country="ID"),
        "partner_id": uuid4(), "lead_opd": "DISKUK", "objective": "Pemasaran",
        "sector": "Ekonomi", "burdens_budget": False, "plan_year": 2021,
        "proposed_on": date(2021, 1, 4)}
    fields.update(changes)
    return AgreementProposed(**fields)


def _signed(aid: UUID, on: date, version: int = 2) -> AgreementSigned:
    return AgreementSigned(
        agreement_id=aid, version=version, stage=Stage.SIGNED, number="120/1",
        signed_on=on, effective_from=on, effective_until=on + timedelta(days=700),
        signatory=Signatory(name="Setiawan Wangsaatmaja", role="REGIONAL_SECRETARY"))


def _item(iid: UUID, version: int = 1, priority: str | None = "COVID-19",
          revised: bool = False) -> MappingItemAdded | MappingItemRevised:
    model = MappingItemRevised if revised else MappingItemAdded
    return model(item_id=iid, version=version, year=2021, opd="DISHUB",
                 stage=MappingStage.ACTIVE, affair="Perhubungan",
                 description="Angkutan wisata", rpjmd_target="Konektivitas",
                 priority=priority)


def _totals(events: list[EventData]) -> dict[FigureKey, int]:
    known, totals = Known(), {}  # type: ignore[var-annotated]
    for event in events:
        folded = known.fold([event], per_event=True)
        known.keep(folded)
        add_deltas(totals, folded)
    return {k: v[0] for k, v in totals.items() if v != [0, 0]}


def _refs(events: list[EventData]) -> list[tuple[EventData, EventRef]]:
    return [(e, EventRef(uuid4(), n, type(e).event_type, date(2021, 1, 1)))
            for n, e in enumerate(events, start=1)]


def test_an_item_counts_as_realised_whether_its_agreement_is_signed_before_or_after_it() -> None:
    aid, iid = uuid4(), uuid4()
    agreement = [_proposal(aid, mapping_item_id=iid), _signed(aid, date(2022, 3, 1))]
    realised = FigureKey(Indicator.ITEMS_MAPPED_REALISED, 2021, "priority:COVID-19")
    for events in ([_item(iid), *agreement], [*agreement, _item(iid)],
                   [agreement[0], _item(iid), agreement[1]]):
        totals = _totals(events)
        assert totals[realised] == 1
        assert totals[FigureKey(Indicator.ITEMS_MAPPED, 2021, "opd:DISHUB")] == 1
        assert figures(record_of(_refs(events)), 2021, TODAY)[realised].numerator == 1


def test_a_withdrawn_item_leaves_both_mapping_figures_and_a_revision_moves_its_priority(
        ) -> None:
    aid, iid = uuid4(), uuid4()
    events: list[EventData] = [_item(iid), _proposal(aid, mapping_item_id=iid),
                               _signed(aid, date(2021, 5, 1)),
                               _item(iid, version=2, priority="ASET", revised=True)]
    totals = _totals(events)
    assert FigureKey(Indicator.ITEMS_MAPPED, 2021, "priority:COVID-19") not in totals
    assert totals[FigureKey(Indicator.ITEMS_MAPPED_REALISED, 2021, "priority:ASET")] == 1
    withdrawn = MappingItemWithdrawn(item_id=iid, version=3, year=2021, opd="DISHUB",
                                     stage=MappingStage.WITHDRAWN)
    assert not {k for k in _totals([*events, withdrawn]) if k.indicator in MAPPING_INDICATORS}
    record = record_of(_refs([*events, withdrawn]))
    assert not {k for k in figures(record, 2021, TODAY) if k.indicator in MAPPING_INDICATORS}


def test_values_count_in_the_signing_year_and_revenue_in_the_follow_ups_year_exactly(
        ) -> None:
    a, b = uuid4(), uuid4()
    big = 10**15
    events: list[EventData] = [
        _proposal(a, value_cash=big, value_in_kind=0, priority="ASET"),
        _signed(a, date(2021, 12, 31)),
        _proposal(b, value_cash=big - 1, value_in_kind=7),
        _signed(b, date(2022, 1, 1)),
        *(AgreementFollowUpRecorded(agreement_id=a, version=3 + k, stage=Stage.SIGNED,
                                    on=date(2022, 2, 1 + k), summary="Sewa",
                                    revenue=big - k) for k in range(12)),
        AgreementFollowUpRecorded(agreement_id=a, version=15, stage=Stage.SIGNED,
                                  on=date(2023, 1, 2), summary="Sewa", revenue=5),
        AgreementFollowUpRecorded(agreement_id=b, version=3, stage=Stage.SIGNED,
                                  on=date(2022, 3, 1), summary="Rapat", revenue=1)]
    total = 12 * big - 66 + 1
    totals = _totals(events)
    assert totals[FigureKey(Indicator.VALUE_CASH, 2021, "priority:ASET")] == big
    assert totals[FigureKey(Indicator.VALUE_CASH, 2022, "province")] == big - 1
    assert FigureKey(Indicator.VALUE_IN_KIND, 2021, "province") not in totals  # 0 adds none
    assert totals[FigureKey(Indicator.REVENUE, 2022, "province")] == total
    assert totals[FigureKey(Indicator.REVENUE, 2023, "province")] == 5
    assert total > 2**53 and float(total) != total  # exact beyond a double's integers
    record = record_of(_refs(events))
    found = figures(record, 2022, TODAY)
    revenue = FigureKey(Indicator.REVENUE, 2022, "province")
    assert found[revenue].numerator == total and found[revenue].denominator is None
    proof = evidence(record, revenue, TODAY)
    assert sorted((i.ident == a, i.amount, len(i.events)) for i in proof.counted) == [
        (False, 1, 1), (True, total - 1, 12)]
    assert proof.numerator == total
    assert {i.reason for i in proof.counted} == {Reason.FOLLOWED_UP_IN_YEAR}


def test_every_figure_of_an_agreement_is_also_kept_for_its_priority() -> None:
    aid = uuid4()
    events: list[EventData] = [_proposal(aid, priority="PEMULIHAN_EKONOMI"),
                               _signed(aid, date(2021, 2, 1))]
    totals = _totals(events)
    for indicator in (Indicator.REALIZATION, Indicator.EFFECTIVENESS, Indicator.AGREEMENTS):
        assert FigureKey(indicator, 2021, "priority:PEMULIHAN_EKONOMI") in totals
    record = record_of(_refs(events))
    found = figures(record, 2021, TODAY)
    assert FigureKey(Indicator.SIGNING_DAYS_MEDIAN, 2021, "priority:PEMULIHAN_EKONOMI") \
        in found
    asleep = timely_figures(record.agreements.values(), {}, [2021], TODAY)
    assert asleep[FigureKey(Indicator.SLEEPING, 2021, "priority:PEMULIHAN_EKONOMI")] == 1


def test_mapping_evidence_names_each_item_and_the_agreement_that_realised_it() -> None:
    aid, done, open_ = uuid4(), uuid4(), uuid4()
    events: list[EventData] = [_item(done), _item(open_),
                               _proposal(aid, mapping_item_id=done),
                               _signed(aid, date(2021, 6, 1))]
    record = record_of(_refs(events))
    mapped = evidence(record, FigureKey(Indicator.ITEMS_MAPPED, 2021, "province"), TODAY)
    assert {(i.ident, i.reason, i.agreement_id) for i in mapped.counted} == {
        (done, Reason.REALISED, aid), (open_, Reason.NOT_REALISED, None)}
    assert mapped.numerator == 2 and mapped.excluded == []
    realised = evidence(record, FigureKey(Indicator.ITEMS_MAPPED_REALISED, 2021,
                                          "opd:DISHUB"), TODAY)
    assert [(i.ident, i.title, i.lead_opd) for i in realised.counted] == [
        (done, "Angkutan wisata", "DISHUB")]
    assert realised.counted[0].event is not None
    assert realised.counted[0].event.type == AgreementSigned.event_type


def _interleaved(streams: list[list[EventData]], rng: random.Random) -> list[EventData]:
    """The streams' events in a random order that keeps each stream's own order."""
    queues = [list(s) for s in streams if s]
    out: list[EventData] = []
    while queues:
        queue = rng.choice(queues)
        out.append(queue.pop(0))
        if not queue:
            queues.remove(queue)
    return out


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), order=st.randoms(use_true_random=False))
def test_any_order_of_the_streams_gives_the_figures_of_the_feed_and_of_the_record(
        seed: int, order: random.Random) -> None:
    history = generate(seed, agreements=25, planning=True, items=15)
    in_feed = [e.data for e in history.events if isinstance(e.data, EventData)]
    streams = [[e.data for e in s if isinstance(e.data, EventData)]
               for s in history.streams.values()]
    expected = _totals(in_feed)
    assert _totals(_interleaved(streams, order)) == expected
    record = record_of(_refs(in_feed))
    for year in (2020, 2021, 2022):
        found = {k: f.numerator for k, f in figures(record, year, TODAY).items()
                 if k.indicator in PLANNING and f.numerator}
        assert found == {k: v for k, v in expected.items()
                         if k.year == year and k.indicator in PLANNING}
