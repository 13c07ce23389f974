"""The worked scenarios of docs/domain.md#kpi-formulas, end to end: agreements service → broker →
reporting."""

from __future__ import annotations

from typing import Any

from contracts.kpi import Indicator
from services.reporting.app import Reporting
from services.reporting.domain import FigureKey
from tests.integration.reporting.support import (
    AgreementsService,
    FeedRelay,
    ReportingFactory,
    wait_applied,
)


async def figure(service: Reporting, indicator: str, year: int,
                 scope: str = "province") -> dict[str, Any]:
    found = await service.queries.figure(FigureKey(Indicator(indicator), year, scope))
    assert found is not None, f"no {indicator} {year} {scope}"
    return found.model_dump(mode="json")


def ratio(item: dict[str, Any]) -> tuple[Any, ...]:
    return (item["numerator"], item["denominator"], item["value"], item["target"],
            item["achievement"])


async def test_63_planned_documents_of_which_53_signed_in_the_year_give_84_13(
        agreements: AgreementsService, feed: FeedRelay,
        reporting_factory: ReportingFactory) -> None:
    await agreements.work_program(2020, 80, 60)
    for i in range(53):
        await agreements.sign(f"2020-{1 + i % 12:02d}-{10 + i % 15}", "2022-12-31",
                              plan_year=2020, lead_opd="DISKUK" if i < 40 else "DISHUB")
    await agreements.sign("2021-02-01", "2023-12-31", plan_year=2020)  # signed a year late
    rejected = await agreements.propose(plan_year=2020)
    await agreements.post(f"/agreements/{rejected}/review")
    await agreements.post(f"/agreements/{rejected}/reject", {"reason": "Tidak prioritas"})
    withdrawn = await agreements.propose(plan_year=2020, lead_opd="DISHUB")
    await agreements.post(f"/agreements/{withdrawn}/withdraw", {"reason": "Batal"})
    for _ in range(7):
        await agreements.propose(plan_year=2020)  # still in the pipeline
    await agreements.sign("2020-05-05", "2022-12-31", plan_year=2021)  # another year's plan
    await agreements.sign("2020-05-06", "2022-12-31")  # outside any plan

    reporting = await reporting_factory(agreements.client)
    published = await feed.relay()
    await wait_applied(reporting, len(published))

    assert ratio(await figure(reporting, "realization", 2020)) == (53, 63, 84.13, 80, 105.16)
    assert ratio(await figure(reporting, "realization", 2020, "opd:DISHUB")) == (
        13, 14, 92.86, 80, 116.08)
    assert ratio(await figure(reporting, "realization", 2021)) == (0, 1, 0.0, None, None)
    assert (await figure(reporting, "agreements", 2020, "stage:SIGNED"))["numerator"] == 55
    assert (await figure(reporting, "agreements", 2020, "stage:REJECTED"))["numerator"] == 1


async def test_effectiveness_counts_agreements_in_force_and_followed_up_in_the_year(
        agreements: AgreementsService, feed: FeedRelay,
        reporting_factory: ReportingFactory) -> None:
    await agreements.work_program(2021, 80, 60)
    # signed last year, followed up this year: in force and followed up
    last_year = await agreements.sign("2020-06-01", "2022-05-31", lead_opd="DISKOMINFO")
    await agreements.follow_up(last_year, "2021-03-01")
    # expired before the year: not in force in 2021 at all
    expired = await agreements.sign("2018-01-15", "2020-12-31", lead_opd="DISPERKIM")
    await agreements.follow_up(expired, "2019-04-01")
    await agreements.post(f"/agreements/{expired}/expire", {})
    # terminated mid-year: in force during 2021, not followed up
    terminated = await agreements.sign("2020-07-01", "2023-06-30", lead_opd="DISHUB")
    await agreements.post(f"/agreements/{terminated}/terminate",
                          {"on": "2021-06-30", "reason": "Mitra mundur"})
    # a parent followed up only by a child PKS signed in 2021
    parent = await agreements.sign("2020-02-03", "2024-02-02", lead_opd="DISKUK")
    await agreements.sign("2021-05-04", "2023-05-03", document_type="PKS", parent_id=parent,
                          lead_opd="DISKUK")
    # an LOI followed up in 2021: never counted by effectiveness
    loi = await agreements.sign("2021-01-20", "2022-01-19", document_type="LOI",
                                lead_opd="DISKOMINFO")
    await agreements.follow_up(loi, "2021-02-20")

    reporting = await reporting_factory(agreements.client)
    published = await feed.relay()
    await wait_applied(reporting, len(published))

    # in force in 2021: last_year, terminated, parent, child; followed up: last_year, parent
    assert ratio(await figure(reporting, "effectiveness", 2021)) == (2, 4, 50.0, 60, 83.33)
    assert ratio(await figure(reporting, "effectiveness", 2021, "opd:DISKUK")) == (
        1, 2, 50.0, 60, 83.33)
    assert ratio(await figure(reporting, "effectiveness", 2021, "opd:DISHUB")) == (
        0, 1, 0.0, 60, 0.0)
    assert ratio(await figure(reporting, "effectiveness", 2021, "opd:DISKOMINFO")) == (
        1, 1, 100.0, 60, 166.67)
    assert ratio(await figure(reporting, "effectiveness", 2021, "type:PKS")) == (
        0, 1, 0.0, 60, 0.0)
    # 2019 has no work program: null target and achievement
    assert ratio(await figure(reporting, "effectiveness", 2019)) == (1, 1, 100.0, None, None)
    # after the termination the agreement is no longer in force
    assert ratio(await figure(reporting, "effectiveness", 2022, "opd:DISHUB")) == (
        0, 0, None, None, None)
    kinds = {item.scope for item in await reporting.queries.figures(2021)
             if item.indicator == "effectiveness"}
    assert "type:LOI" not in kinds
