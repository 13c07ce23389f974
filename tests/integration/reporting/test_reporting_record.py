"""Figures as of any point of the record, their evidence and their history (DESIGN §9),
against an oracle that folds only the feed's prefix: over generated histories, every
answer for a position or a time equals what the events up to there imply, and a rebuild
answers the same."""

from __future__ import annotations

import itertools
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest

from contracts.kpi import Indicator
from plumbing import clock
from services.reporting.adapters import generations
from services.reporting.app import Reporting
from services.reporting.application.projection import Projection
from services.reporting.application.rebuild import Rebuilder
from services.reporting.application.record import NotApplied
from services.reporting.domain.evaluation import Reason
from services.reporting.domain.figures import FigureKey
from tests.integration.reporting.histories import History, generate, shuffled_with_duplicates
from tests.integration.reporting.support import (
    TODAY,
    HistoryFeed,
    ReportingFactory,
    publish_all,
    wait_applied,
)
from tests.model.oracle import Oracle

YEARS = (2020, 2021, 2022)


@dataclass
class Applied:
    history: History
    feed: HistoryFeed
    reporting: Reporting

    def prefix(self, position: int) -> list[dict[str, Any]]:
        return [e.envelope.model_dump(mode="json") for e in self.history.events
                if (e.envelope.position or 0) <= position]


@pytest.fixture
async def applied_history(fresh_topology: str, reporting_factory: ReportingFactory
                          ) -> AsyncIterator[Applied]:
    """A generated history of 80 agreements, delivered shuffled with duplicates."""
    history = generate(seed=20211231, agreements=80)
    feed = HistoryFeed(history, stored=len(history.events))
    with clock.frozen(TODAY):
        reporting = await reporting_factory(feed.client)
        delivered = list(shuffled_with_duplicates(history.events, random.Random(7)))
        await publish_all(fresh_topology, delivered)
        await wait_applied(reporting, len(history.events), seconds=60)
        await reporting.service.refresh()
        yield Applied(history, feed, reporting)


PARTNER_SCOPES = ("category:", "partner:")
"""Scopes an oracle of the model before the partner registry does not keep: compared only
when the oracle keeps them (they are also checked against the independent check's fold of
the feed in test_reporting_partners)."""


def _differences(items: list[Any], oracle: Oracle, year: int) -> list[str]:
    everything = oracle.figures()
    expected = {k: v for k, v in everything.items() if k[1] == year}
    partners_kept = any(k[2].startswith(PARTNER_SCOPES) for k in everything)
    mine = {(i.indicator.value, i.year, i.scope): i for i in items
            if partners_kept or not i.scope.startswith(PARTNER_SCOPES)}
    problems = []
    for key in mine.keys() | expected.keys():
        want = oracle.figure(key, expected)
        got = mine.get(key)
        shown = (got.numerator, got.denominator, got.target) if got else (
            0, 0 if key[0] in ("realization", "effectiveness") else None, want["target"])
        if shown != (want["numerator"], want["denominator"], want["target"]):
            problems.append(f"{key}: {shown} against {want}")
    return problems


async def test_figures_as_of_any_position_are_those_of_the_feed_prefix(
        applied_history: Applied) -> None:
    events = applied_history.history.events
    last = events[-1].envelope.position or 0
    rng = random.Random(3)
    positions = sorted({0, 1, last, *(rng.randint(1, last) for _ in range(12))})
    with clock.frozen(TODAY):
        for position in positions:
            oracle = Oracle(applied_history.prefix(position), TODAY)
            for year in YEARS:
                found = await applied_history.reporting.record.figures(year,
                                                                       position=position)
                assert found.point.position == position
                assert {i.as_of_position for i in found.figures} <= {position}
                problems = _differences(found.figures, oracle, year)
                assert not problems, f"as of {position}, {year}: " + "\n".join(problems)


async def test_figures_as_of_a_time_are_those_of_the_longest_prefix_recorded_by_then(
        applied_history: Applied) -> None:
    events = applied_history.history.events
    days = sorted({e.envelope.time.date() for e in events})
    for day in (days[len(days) // 4], days[len(days) // 2], date(2021, 12, 31)):
        moment = datetime.combine(day, time(23, 59), clock.WIB)
        prefix = [e for e in events if e.envelope.time <= moment]
        position = max(e.envelope.position or 0 for e in prefix)
        assert len(prefix) == position  # generated positions are dense
        with clock.frozen(TODAY):
            for year in YEARS:
                found = await applied_history.reporting.record.figures(year, time=moment)
                assert found.point.position == position
                assert found.point.day == min(TODAY, day)
                oracle = Oracle(applied_history.prefix(position), min(TODAY, day))
                problems = _differences(found.figures, oracle, year)
                assert not problems, f"as of {moment}, {year}: " + "\n".join(problems)
    with clock.frozen(TODAY):  # a time in the future: the current figures
        later = await applied_history.reporting.record.figures(
            2022, time=datetime(2030, 1, 1, tzinfo=clock.WIB))
        now = await applied_history.reporting.queries.figures(2022)
    assert later.point.position == len(events)
    assert {(i.indicator, i.scope, i.numerator, i.denominator) for i in later.figures} \
        == {(i.indicator, i.scope, i.numerator, i.denominator) for i in now
            if i.numerator or i.denominator}


async def test_a_position_not_applied_yet_is_refused_naming_the_applied_one(
        fresh_topology: str, reporting_factory: ReportingFactory) -> None:
    history = generate(seed=5, agreements=20)
    feed = HistoryFeed(history, stored=len(history.events))
    half = len(history.events) // 2
    with clock.frozen(TODAY):
        reporting = await reporting_factory(feed.client)
        await publish_all(fresh_topology, history.events[:half])
        await wait_applied(reporting, half)
        with pytest.raises(NotApplied) as refused:
            await reporting.record.figures(2021, position=half + 1)
        assert refused.value.applied == half
        assert (await reporting.record.figures(2021, position=half)).point.position == half


async def test_evidence_lists_every_agreement_counted_or_not_with_its_reason_and_event(
        applied_history: Applied) -> None:
    record = applied_history.reporting.record
    oracle = Oracle(applied_history.prefix(len(applied_history.history.events)), TODAY)
    by_position = {e.envelope.position: e for e in applied_history.history.events}
    parent_of = {str(e.data.agreement_id): str(e.data.parent_id)
                 for e in applied_history.history.events
                 if getattr(e.data, "parent_id", None) is not None}
    with clock.frozen(TODAY):
        for year in YEARS:
            for indicator in Indicator:
                key = FigureKey(indicator, year, "province")
                _, proof = await record.evidence(key)
                want = oracle.figure((indicator.value, year, "province"), oracle.figures())
                if indicator in (Indicator.REALIZATION, Indicator.EFFECTIVENESS):
                    assert len(proof.counted) == want["numerator"] == proof.numerator
                    assert (len(proof.counted) + len(proof.excluded)
                            == want["denominator"] == proof.denominator)
                elif indicator in (Indicator.SLEEPING, Indicator.EXPIRING_90_DAYS,
                                   Indicator.AGREEMENTS):
                    assert len(proof.counted) == want["numerator"]
                    assert proof.excluded == []
                for item in proof.counted + proof.excluded:
                    event = item.event
                    if item.reason in (Reason.NOT_SIGNED, Reason.NO_FOLLOW_UP_IN_YEAR):
                        assert event is None
                        continue
                    assert event is not None, (key, item.reason)
                    recorded = by_position[event.position]
                    assert recorded.envelope.id == event.id
                    assert recorded.envelope.type == event.type
                    owner = str(recorded.data.agreement_id)
                    assert owner == str(item.facts.id) or (  # or a child's signing
                        parent_of.get(owner) == str(item.facts.id)
                        and event.type.startswith("kerjasama.agreement.signed."))
                    if item.reason == Reason.SIGNED_IN_YEAR and indicator in (
                            Indicator.REALIZATION, Indicator.AGREEMENTS):
                        assert event.type.startswith("kerjasama.agreement.signed.")
                        assert event.date.year == year
                    if item.reason == Reason.FOLLOWED_UP_IN_YEAR:
                        assert event.date.year == year
                        assert event.date == getattr(recorded.data, "on", None) or \
                            event.date == getattr(recorded.data, "signed_on", None)


async def test_history_has_an_entry_wherever_the_figure_moved_and_a_rebuild_keeps_it(
        applied_history: Applied) -> None:
    reporting = applied_history.reporting
    record = reporting.record
    keys = [FigureKey(i, y, "province") for y in YEARS
            for i in (Indicator.REALIZATION, Indicator.EFFECTIVENESS, Indicator.AGREEMENTS,
                      Indicator.SIGNING_DAYS_MEDIAN, Indicator.SLEEPING)]
    with clock.frozen(TODAY):
        before = {key: await record.history(key) for key in keys}
        for key, entries in before.items():
            assert entries, key
            values = [(e.figure.numerator, e.figure.denominator, e.figure.target)
                      for e in entries]
            assert all(a != b for a, b in itertools.pairwise(values)), key
            for previous, entry in zip([None, *entries], entries, strict=False):
                asked = await record.figures(key.year, position=entry.position)
                there = next((i for i in asked.figures if (i.indicator, i.scope) == (
                    key.indicator, key.scope)), None)
                assert there is not None and (there.numerator, there.denominator) == (
                    entry.figure.numerator, entry.figure.denominator), (key, entry.position)
                if previous is not None:  # unchanged just before the entry
                    just_before = await record.figures(key.year,
                                                       position=entry.position - 1)
                    was = next((i for i in just_before.figures if (i.indicator, i.scope)
                                == (key.indicator, key.scope)), None)
                    assert was is not None and (was.numerator, was.denominator) == (
                        previous.figure.numerator, previous.figure.denominator)
                    assert entry.previous_value == previous.figure.value
                recorded_after_year = entry.time.astimezone(clock.WIB).date() > date(
                    key.year, 12, 31)
                assert entry.restated == (recorded_after_year and previous is not None)
                assert entry.events and entry.events[-1][1] == entry.position
                if entry.revision is not None:  # it carried exactly this entry's values
                    async with generations.enter(reporting.pool, "read") as conn:
                        carried = await conn.fetchrow(
                            "SELECT numerator, denominator FROM figure_revisions WHERE"
                            " indicator = $1 AND year = $2 AND scope = $3 AND revision = $4",
                            key.indicator.value, key.year, key.scope, entry.revision)
                    assert carried is not None and (carried[0], carried[1]) == (
                        entry.figure.numerator, entry.figure.denominator), (key, entry)
            live = await reporting.queries.figure(key)
            if live is not None:
                assert (entries[-1].figure.numerator, entries[-1].figure.denominator) == (
                    live.numerator, live.denominator)
                assert entries[-1].revision is not None
        await Rebuilder(reporting.pool, applied_history.feed.client, Projection(),
                        today=lambda: TODAY).run()
        after = {key: await record.history(key) for key in keys}
    assert {k: [(e.figure, e.position, e.events, e.restated) for e in v]
            for k, v in after.items()} == {
        k: [(e.figure, e.position, e.events, e.restated) for e in v]
        for k, v in before.items()}


async def test_what_if_weighs_draft_rules_over_the_real_history_and_stores_nothing(
        applied_history: Applied) -> None:
    from services.reporting.domain.evaluation import KpiRules, add_years
    reporting = applied_history.reporting
    with clock.frozen(TODAY):
        point, base, _ = await reporting.record.what_if(2022, reporting.record.rules)
        current = {(f.indicator, f.scope): (f.numerator, f.denominator)
                   for f in await reporting.queries.figures(2022)}
        assert {(k.indicator, k.scope): (f.numerator, f.denominator)
                for k, f in base.items() if f.numerator or f.denominator} == {
            k: v for k, v in current.items() if v[0] or v[1]}
        strict, lax = (KpiRules(sleeping_after_days=30), KpiRules(sleeping_after_days=3000))
        _, short, _ = await reporting.record.what_if(2022, strict)
        _, long, _ = await reporting.record.what_if(2022, lax)
        sleeping = FigureKey(Indicator.SLEEPING, 2022, "province")
        assert short[sleeping].numerator >= base[sleeping].numerator >= long[
            sleeping].numerator
        assert long[sleeping].numerator == 0
        _, memoranda, _ = await reporting.record.what_if(
            2022, KpiRules(effectiveness_document_types=frozenset({"MOU"})))  # type: ignore
        effectiveness = FigureKey(Indicator.EFFECTIVENESS, 2022, "province")
        assert memoranda[effectiveness].denominator < base[effectiveness].denominator
        _, capped, _ = await reporting.record.what_if(2022, KpiRules(validity_cap_years=1))
        assert capped[effectiveness].denominator < base[effectiveness].denominator
        assert add_years(date(2020, 2, 29), 1) - timedelta(days=1) == date(2021, 2, 27)
        again = {(f.indicator, f.scope): (f.numerator, f.denominator)
                 for f in await reporting.queries.figures(2022)}
    assert again == current and point.position == len(applied_history.history.events)
