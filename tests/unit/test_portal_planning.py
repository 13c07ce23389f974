"""The portal's planning side (pure): rupiah as each language writes them, the year's
priorities from the work program, the dashboard's planning section built from the figures
kept, and an agreement's priority, value and revenue in its public view."""

from __future__ import annotations

from typing import Any, cast

from contracts.events import (
    AgreementFollowUpRecorded,
    AgreementProposed,
    AgreementSigned,
    WorkProgramAdopted,
)
from contracts.examples import example_of
from plumbing.db import Pool
from plumbing.tables import rupiah
from services.portal.domain.planning import Priority, YearPriorities, adopted, name_of
from services.portal.domain.register import PublicAgreement, evolve, from_json, to_json
from services.portal.entrypoints.pages import Pages
from services.portal.entrypoints.planning import planning

RECOVERY = {"code": "PEMULIHAN_EKONOMI", "name": "Pemulihan ekonomi daerah"}
COVID = {"code": "COVID19", "name": "Penanganan Covid-19"}
ASSETS = {"code": "OPTIMASI_ASET", "name": "Optimalisasi aset"}


def figure(indicator: str, scope: str, numerator: int, denominator: int | None = None, *,
           year: int = 2021, complete: bool = True) -> dict[str, Any]:
    value = numerator if denominator is None else round(numerator * 100 / denominator, 2)
    return {"indicator": indicator, "year": year, "scope": scope, "numerator": numerator,
            "denominator": denominator, "value": value, "target": None,
            "achievement": None, "revision": 1, "complete": complete}


def test_rupiah_are_written_with_dots_in_indonesian_and_commas_in_english() -> None:
    assert rupiah(1_250_000_000, "id") == "Rp 1.250.000.000"
    assert rupiah(1_250_000_000, "en") == "IDR 1,250,000,000"
    assert rupiah(999, "id") == "Rp 999" and rupiah(0, "en") == "IDR 0"
    assert rupiah(75_000_000.0, "id") == "Rp 75.000.000"  # a JSON number read as float
    assert rupiah(None, "id") == "-"


def test_an_adopted_work_program_gives_exactly_its_priorities_in_its_order() -> None:
    first = example_of(WorkProgramAdopted, priorities=[RECOVERY, COVID, ASSETS])
    assert adopted(first) == YearPriorities(2021, (
        Priority("PEMULIHAN_EKONOMI", "Pemulihan ekonomi daerah"),
        Priority("COVID19", "Penanganan Covid-19"), Priority("OPTIMASI_ASET",
                                                             "Optimalisasi aset")))
    again = example_of(WorkProgramAdopted, version=2, priorities=[COVID])
    assert adopted(again).priorities == (Priority("COVID19", "Penanganan Covid-19"),)
    assert adopted(example_of(WorkProgramAdopted, priorities=[])).priorities == ()
    assert name_of("COVID19", adopted(first).priorities) == "Penanganan Covid-19"
    assert name_of("UNKNOWN", adopted(first).priorities) == "UNKNOWN"


def test_the_section_lists_the_years_priorities_by_name_with_the_figures_received() -> None:
    priorities = adopted(example_of(WorkProgramAdopted, priorities=[COVID, RECOVERY])).priorities
    items = [figure("items_mapped", "priority:PEMULIHAN_EKONOMI", 3),
             figure("items_mapped_realised", "priority:PEMULIHAN_EKONOMI", 1),
             figure("realization", "priority:PEMULIHAN_EKONOMI", 1, 2),
             figure("value_cash", "priority:LAMA", 5_000_000),  # a code no program names
             figure("items_mapped", "priority:COVID19", 2, year=2020),
             figure("items_mapped", "province", 5), figure("revenue", "province", 75_000_000),
             figure("items_mapped", "opd:DISKUK", 3), figure("realization", "opd:DISHUB", 1, 1)]
    plan = planning(2021, items, priorities)
    assert [(r.label, r.code) for r in plan.priorities.rows] == [
        ("Penanganan Covid-19", "COVID19"), ("Pemulihan ekonomi daerah", "PEMULIHAN_EKONOMI"),
        ("LAMA", "LAMA")]
    assert plan.priorities.columns == ("realization", "items_mapped", "items_mapped_realised",
                                       "value_cash")
    assert plan.priorities.rows[0].cells["items_mapped"] is None  # 2020's is not 2021's
    assert [r.code for r in plan.agencies.rows] == ["DISKUK"]  # a realization alone is not
    assert plan.agencies.columns == ("items_mapped",)
    assert [ind for ind, _ in plan.province] == ["items_mapped", "revenue"]
    assert not plan.empty and planning(2022, items, []).empty


def section(lang: str, items: list[dict[str, Any]], priorities: list[Priority]) -> str:
    pages = Pages(cast(Pool, None))
    return pages.render("planning.html", lang, year=2021,
                        plan=planning(2021, items, priorities)).decode()


def test_the_section_shows_rupiah_and_names_in_both_languages() -> None:
    priorities = [Priority("PEMULIHAN_EKONOMI", "Pemulihan ekonomi daerah")]
    items = [figure("value_cash", "province", 1_250_000_000),
             figure("value_in_kind", "priority:PEMULIHAN_EKONOMI", 300_000_000),
             figure("items_mapped", "opd:DISKUK", 4, complete=False),
             figure("items_mapped", "province", 4)]
    indonesian, english = section("id", items, priorities), section("en", items, priorities)
    assert "Rp 1.250.000.000" in indonesian and "Rp 300.000.000" in indonesian
    assert "IDR 1,250,000,000" in english and "IDR 300,000,000" in english
    assert "Pemulihan ekonomi daerah" in indonesian and "Nilai barang dan jasa" in indonesian
    assert "Value in kind" in english and "Items mapped" in english
    assert "(sementara)" in indonesian and "(provisional)" in english
    assert "Belum ada pemetaan" not in indonesian
    assert "Belum ada pemetaan untuk tahun ini." in section("id", [], [])
    assert "No mapping for this year yet." in section("en", [], [])
    assert "IDR" not in section("en", [], [])


def test_the_view_keeps_the_priority_the_values_and_the_summed_revenue() -> None:
    proposed = example_of(AgreementProposed, priority="COVID19", value_cash=250_000_000,
                          value_in_kind=40_000_000)
    aid = proposed.agreement_id
    view = evolve(evolve(None, proposed), example_of(AgreementSigned, agreement_id=aid,
                                                     version=6))
    assert view.revenue is None
    for version, revenue in ((7, 50_000_000), (8, None), (9, 25_000_000)):
        view = evolve(view, example_of(AgreementFollowUpRecorded, agreement_id=aid,
                                       version=version, milestone_id=None, revenue=revenue))
    assert (view.priority, view.value_cash, view.value_in_kind, view.revenue) == (
        "COVID19", 250_000_000, 40_000_000, 75_000_000)
    assert from_json(to_json(view)) == view


def test_a_view_stored_before_the_planning_side_still_loads() -> None:
    view = evolve(None, example_of(AgreementProposed, priority=None, value_cash=None))
    stored = to_json(view)
    for key in ("priority", "value_cash", "value_in_kind", "revenue"):
        del stored[key]
    loaded: PublicAgreement = from_json(stored)
    assert (loaded.priority, loaded.value_cash, loaded.revenue) == (None, None, None)
