"""The pure KPI rules of the reporting service (docs/domain.md#kpi-formulas)."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

from contracts.common import DocumentType, Kind, Stage
from contracts.kpi import Indicator
from services.reporting.domain import (
    AgreementFacts,
    Figure,
    FigureKey,
    achievement,
    as_of,
    contributions,
    difference,
    expiring,
    median,
    p90,
    percent,
    sleeping,
    timely_figures,
)
from services.reporting.domain.contributions import Term


def facts(**changes: object) -> AgreementFacts:
    values: dict[str, object] = {
        "id": uuid4(), "title": "Kerja sama", "kind": Kind.KSDPK,
        "document_type": DocumentType.MOU, "lead_opd": "DISKUK", "plan_year": None,
        "proposed_on": date(2020, 1, 6), "stage": Stage.SIGNED, "version": 5,
        "signed_on": date(2020, 6, 1), "effective_from": date(2020, 6, 1),
        "effective_until": date(2022, 5, 31)}
    values.update(changes)
    return AgreementFacts(**values)  # type: ignore[arg-type]


def effectiveness(terms: object, year: int, scope: str = "province") -> tuple[int, int]:
    assert hasattr(terms, "__getitem__")
    key = FigureKey(Indicator.EFFECTIVENESS, year, scope)
    return terms[Term(key, "numerator")], terms[Term(key, "denominator")]  # type: ignore[index]


def test_percentages_round_half_up_to_two_decimals() -> None:
    assert percent(53, 63) == 84.13
    assert percent(1, 8) == 12.5
    assert percent(2, 3) == 66.67
    assert percent(1, 200) == 0.5
    assert percent(0, 0) is None


def test_achievement_is_the_rounded_value_over_the_target() -> None:
    assert achievement(84.13, 80) == 105.16
    assert achievement(None, 80) is None
    assert achievement(84.13, None) is None
    assert achievement(50.0, 0) is None


def test_a_figure_without_work_program_has_no_target_nor_achievement() -> None:
    figure = Figure(FigureKey(Indicator.REALIZATION, 2020, "province"), 53, 63, None, 1)
    assert (figure.value, figure.target, figure.achievement) == (84.13, None, None)
    count = Figure(FigureKey(Indicator.SLEEPING, 2020, "province"), 4, None, None, 1)
    assert count.value == 4.0


def test_realization_counts_every_type_planned_for_the_year_and_signed_in_it() -> None:
    late = contributions(facts(plan_year=2020, signed_on=date(2021, 1, 5),
                               document_type=DocumentType.LOI))
    key = FigureKey(Indicator.REALIZATION, 2020, "type:LOI")
    assert (late[Term(key, "numerator")], late[Term(key, "denominator")]) == (0, 1)
    rejected = contributions(facts(plan_year=2020, signed_on=None, stage=Stage.REJECTED))
    assert rejected[Term(FigureKey(Indicator.REALIZATION, 2020, "province"), "denominator")] == 1


def test_signed_last_year_and_followed_up_this_year_counts() -> None:
    terms = contributions(facts(activity_dates=(date(2021, 3, 1),)))
    assert effectiveness(terms, 2020) == (0, 1)
    assert effectiveness(terms, 2021) == (1, 1)
    assert effectiveness(terms, 2022) == (0, 1)
    assert effectiveness(terms, 2023) == (0, 0)


def test_terminated_mid_year_is_in_force_that_year_and_not_after() -> None:
    terms = contributions(facts(terminated_on=date(2021, 6, 30), stage=Stage.TERMINATED))
    assert effectiveness(terms, 2021) == (0, 1)
    assert effectiveness(terms, 2022) == (0, 0)


def test_dates_are_inclusive() -> None:
    ends_on_new_year = contributions(facts(effective_until=date(2021, 1, 1)))
    assert effectiveness(ends_on_new_year, 2021) == (0, 1)


def test_a_child_signed_in_the_year_follows_up_its_parent() -> None:
    assert effectiveness(contributions(facts(), [date(2021, 5, 4)]), 2021) == (1, 1)


def test_loi_and_addendum_are_not_counted_by_effectiveness() -> None:
    for doc in (DocumentType.LOI, DocumentType.ADDENDUM):
        terms = contributions(facts(document_type=doc, activity_dates=(date(2021, 3, 1),)))
        assert effectiveness(terms, 2021) == (0, 0)


def test_an_event_changes_the_figures_by_the_difference_of_contributions() -> None:
    before = facts(stage=Stage.READY_TO_SIGN, signed_on=None, effective_from=None,
                   effective_until=None, plan_year=2020)
    after = facts(plan_year=2020)
    changes = difference(contributions(before), contributions(after))
    assert changes[FigureKey(Indicator.REALIZATION, 2020, "province")] == (1, 0)
    assert changes[FigureKey(Indicator.AGREEMENTS, 2020, "stage:SIGNED")] == (1, 0)
    assert changes[FigureKey(Indicator.AGREEMENTS, 2020, "stage:READY_TO_SIGN")] == (-1, 0)
    assert FigureKey(Indicator.AGREEMENTS, 2020, "province") not in changes


def test_median_and_p90_of_signing_days() -> None:
    assert median([10, 30, 20]) == 20
    assert median([10, 20, 30, 41]) == 25.0
    assert median([1, 2]) == 1.5
    assert p90(list(range(1, 11))) == 9
    assert p90([5]) == 5


def test_a_document_sleeps_after_90_days_without_follow_up() -> None:
    quiet = facts(activity_dates=(date(2020, 7, 1),))
    assert sleeping(quiet, [], date(2020, 9, 28)) is None  # 89 days
    found = sleeping(quiet, [], date(2020, 9, 29))
    assert found is not None and found.days_without_activity == 90
    assert sleeping(quiet, [date(2020, 9, 1)], date(2020, 9, 29)) is None  # a child signed
    assert sleeping(quiet, [], date(2022, 6, 1)) is None  # no longer in force


def test_time_dependent_figures_of_a_past_year_are_taken_at_its_end() -> None:
    assert as_of(2020, date(2023, 1, 10)) == date(2020, 12, 31)
    assert as_of(2023, date(2023, 1, 10)) == date(2023, 1, 10)
    signed = facts(effective_until=date(2021, 3, 1))
    assert expiring(signed, date(2020, 12, 31))
    assert expiring(signed, date(2020, 12, 1))  # 90 days ahead
    assert not expiring(signed, date(2020, 11, 30))
    counts = timely_figures([signed], {}, [2020, 2021, 2024], date(2023, 1, 10))
    assert counts[FigureKey(Indicator.EXPIRING_90_DAYS, 2020, "province")] == 1
    assert counts[FigureKey(Indicator.SLEEPING, 2020, "opd:DISKUK")] == 1
    assert counts[FigureKey(Indicator.SLEEPING, 2021, "province")] == 0
    assert FigureKey(Indicator.SLEEPING, 2024, "province") not in counts  # the future
