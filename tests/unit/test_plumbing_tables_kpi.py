"""The KPI table says what each figure is about: counted over the year, taken on one day,
or the year's agreements and items as they stand (contracts.kpi.Period)."""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from contracts.kpi import Period, period_of
from plumbing import clock
from plumbing.tables import KpiPoint, kpi_table
from services.cli.kpis import kpi

TODAY = date(2026, 11, 30)


def figure(indicator: str, numerator: int, scope: str = "province", year: int = 2021,
           denominator: int | None = None) -> dict[str, Any]:
    return {"indicator": indicator, "year": year, "scope": scope, "numerator": numerator,
            "denominator": denominator, "value": float(numerator), "target": None,
            "achievement": None, "as_of_position": 281}


def figures_of(year: int) -> list[dict[str, Any]]:
    return [figure("sleeping", 15, year=year), figure("items_mapped", 14, year=year),
            figure("realization", 9, year=year, denominator=13),
            figure("expiring_90_days", 1, year=year), figure("agreements", 13, year=year),
            figure("agreements", 4, "stage:SIGNED", year=year),
            figure("signing_days_median", 116, year=year)]


def sections(text: str) -> dict[str, list[str]]:
    """Heading → the indicators listed under it (with their scope)."""
    found: dict[str, list[str]] = {}
    for block in text.split("\n\n"):
        heading, header, rule, *rows = block.splitlines()
        assert header.startswith("indicator") and set(rule) == {"-", " "}
        found[heading] = [" ".join(row.split()[:2]) for row in rows]
    return found


def test_a_past_years_figures_of_the_year_stand_apart_from_its_last_day_and_from_today(
) -> None:
    text = kpi_table(figures_of(2021), None, KpiPoint(TODAY))
    assert sections(text) == {
        "2021, counted over the year:": [
            "realization province", "signing_days_median province", "agreements province"],
        "On 2021-12-31, the last day of 2021:": [
            "sleeping province", "expiring_90_days province"],
        "As of 2026-11-30 (today):": ["agreements stage:SIGNED", "items_mapped province"],
    }


def test_the_current_years_figures_of_one_day_are_todays() -> None:
    text = kpi_table(figures_of(2026), "province", KpiPoint(TODAY))
    assert sections(text) == {
        "2026 so far, counted from 1 January to 2026-11-30 (today):": [
            "realization province", "signing_days_median province", "agreements province"],
        "As of 2026-11-30 (today):": [
            "sleeping province", "expiring_90_days province", "items_mapped province"],
    }


def test_a_year_planned_ahead_is_labelled_as_not_begun() -> None:
    text = kpi_table(figures_of(2027), "province", KpiPoint(TODAY))
    assert list(sections(text)) == ["2027, not begun by 2026-11-30 (today):",
                                    "As of 2026-11-30 (today):"]


def test_figures_as_recorded_by_an_earlier_day_are_labelled_with_that_day() -> None:
    point = KpiPoint(date(2021, 6, 30), today=False, position=120)
    text = kpi_table(figures_of(2021), "province", point)
    assert list(sections(text)) == [
        "2021 so far, counted from 1 January to the end of 2021-06-30, position 120:",
        "As of the end of 2021-06-30, position 120:"]


def test_the_sections_columns_line_up() -> None:
    blocks = kpi_table(figures_of(2021), None, KpiPoint(TODAY)).split("\n\n")
    headers = {block.splitlines()[1] for block in blocks}
    assert len(headers) == 1


def test_without_a_point_the_table_is_one_block() -> None:
    text = kpi_table(figures_of(2021))
    assert text.splitlines()[0].startswith("indicator") and "\n\n" not in text


def test_what_each_figure_is_about() -> None:
    assert period_of("realization", "province") == Period.YEAR
    assert period_of("agreements", "opd:DISKUK") == Period.YEAR
    assert period_of("agreements", "stage:SIGNED") == Period.STANDING  # the stage now
    assert period_of("items_mapped_realised", "province") == Period.STANDING
    assert period_of("sleeping", "kind:KSDD") == Period.DAY
    assert period_of("expiring_90_days", "province") == Period.DAY


class Reporting:
    """The reporting service as the CLI reads it: ``GET /kpis``."""

    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.items = items

    async def get_json(self, path: str, **params: Any) -> Any:
        assert path == "/kpis"
        return self.items


def table_args(**given: Any) -> argparse.Namespace:
    return argparse.Namespace(**{"action": "table", "year": 2021, "scope": "province",
                                 "all": False, "as_of": None, "as_of_position": None,
                                 "output": "text", **given})


async def test_kerjasama_kpi_table_labels_the_figures_by_today() -> None:
    reporting: Any = Reporting(figures_of(2021))
    with clock.frozen(TODAY):
        text = await kpi(table_args(), reporting)
    assert text.startswith("KPI 2021 (province):\n\n2021, counted over the year:\n")
    assert "\n\nOn 2021-12-31, the last day of 2021:\n" in text
    assert "\n\nAs of 2026-11-30 (today):\n" in text


async def test_kerjasama_kpi_table_as_of_a_day_labels_the_figures_by_that_day() -> None:
    reporting: Any = Reporting(figures_of(2021))
    with clock.frozen(TODAY):
        text = await kpi(table_args(as_of=date(2021, 6, 30)), reporting)
    assert text.startswith("KPI 2021 as recorded by the end of 2021-06-30 (position 281) "
                           "(province):\n\n2021 so far, counted from 1 January to the end of "
                           "2021-06-30, position 281:\n")
    assert "\n\nAs of the end of 2021-06-30, position 281:\nindicator" in text
