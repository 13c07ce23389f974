"""The mapping reminder (pure): agencies that have not mapped by the work program's due date
are asked, and the TKKSD secretariat gets one list."""

from __future__ import annotations

import random
from datetime import date, timedelta
from uuid import UUID, uuid4

from hypothesis import given
from hypothesis import strategies as st

from contracts.events import MappingItemAdded, MappingItemRevised, MappingItemWithdrawn
from contracts.planning import MappingStage
from services.notifications.adapters.templates import Renderer
from services.notifications.domain import (
    Audience,
    MappingDue,
    Notice,
    Rule,
    adopted,
    mapping_reminders,
)
from services.notifications.domain.mapping import MappingItem, item_after, mapped_agencies

DUE = date(2021, 3, 31)
ADOPTED_ON = date(2021, 1, 10)
AGENCIES = ("DISPARBUD", "BAPPEDA", "DISKUK", "DISKOMINFO")


def program(due_on: date | None = DUE, on: date = ADOPTED_ON,
            before: MappingDue | None = None) -> MappingDue:
    due = adopted(before, 2021, due_on, on)
    assert due is not None
    return due


def told(notices: list[Notice]) -> dict[str, list[str]]:
    """Who is told what: rule → recipients (agency codes, or "secretariat")."""
    found: dict[str, list[str]] = {}
    for n in notices:
        who = list(n.agencies) if Audience.NAMED_AGENCIES in n.audiences else ["secretariat"]
        found.setdefault(n.rule.value, []).extend(who)
    return found


def test_on_the_due_date_each_agency_without_mapping_is_asked_and_the_tkksd_gets_one_list(
) -> None:
    notices = mapping_reminders(program(), DUE, AGENCIES, {"BAPPEDA"})
    assert told(notices) == {"mapping_due": ["DISKOMINFO", "DISKUK", "DISPARBUD"],
                             "mapping_missing": ["secretariat"]}
    [summary] = [n for n in notices if n.rule == Rule.MAPPING_MISSING]
    assert summary.facts["agencies"] == "DISKOMINFO, DISKUK, DISPARBUD"
    assert summary.facts["count"] == 3
    assert summary.occasion == "mapping/2021/2021-03-31"
    assert {n.occasion for n in notices if n.rule == Rule.MAPPING_DUE} == {
        "mapping/2021/2021-03-31/DISKOMINFO", "mapping/2021/2021-03-31/DISKUK",
        "mapping/2021/2021-03-31/DISPARBUD"}
    assert {n.due_on for n in notices} == {DUE}


def test_nothing_before_the_due_date() -> None:
    assert mapping_reminders(program(), DUE - timedelta(days=1), AGENCIES, set()) == []


def test_asking_again_later_gives_the_same_occasions_so_nobody_is_told_twice() -> None:
    first = mapping_reminders(program(), DUE, AGENCIES, set())
    later = mapping_reminders(program(), date(2021, 5, 2), AGENCIES, set())
    assert [(n.rule, n.occasion) for n in later] == [(n.rule, n.occasion) for n in first]


def test_an_agency_that_mapped_before_the_due_date_gets_nothing() -> None:
    notices = mapping_reminders(program(), DUE, ["DISKUK"], {"DISKUK"})
    assert notices == []


def test_the_mapping_of_a_year_gone_by_is_not_asked_for() -> None:
    assert mapping_reminders(program(), date(2021, 12, 31), AGENCIES, set()) != []
    assert mapping_reminders(program(), date(2022, 1, 1), AGENCIES, set()) == []


def test_a_program_adopted_after_its_mapping_due_date_sends_nothing() -> None:
    late = program(on=DUE + timedelta(days=1))
    assert mapping_reminders(late, DUE + timedelta(days=1), AGENCIES, set()) == []
    assert mapping_reminders(late, date(2021, 6, 1), AGENCIES, set()) == []
    on_the_day = program(on=DUE)
    assert told(mapping_reminders(on_the_day, DUE, ["DISKUK"], set()))["mapping_due"] == [
        "DISKUK"]


def test_adopting_again_with_the_same_due_date_keeps_the_day_it_became_known() -> None:
    again = program(on=DUE + timedelta(days=5), before=program())
    assert again == program()
    assert mapping_reminders(again, DUE + timedelta(days=5), ["DISKUK"], set()) != []


def test_a_due_date_moved_later_is_a_new_occasion_reminded_on_the_new_date() -> None:
    first = program()
    moved = program(date(2021, 4, 30), on=date(2021, 4, 5), before=first)
    assert moved.known_on == date(2021, 4, 5)
    assert mapping_reminders(moved, date(2021, 4, 29), AGENCIES, set()) == []
    new = mapping_reminders(moved, date(2021, 4, 30), AGENCIES, set())
    old = mapping_reminders(first, DUE, AGENCIES, set())
    assert {n.occasion for n in new}.isdisjoint({n.occasion for n in old})
    assert {n.due_on for n in new} == {date(2021, 4, 30)}


def test_a_due_date_moved_into_the_past_by_a_late_adoption_is_not_reminded() -> None:
    moved = program(date(2021, 3, 15), on=date(2021, 3, 20), before=program())
    assert mapping_reminders(moved, date(2021, 3, 20), AGENCIES, set()) == []


def test_a_program_without_a_due_date_clears_the_reminder() -> None:
    assert adopted(program(), 2021, None, date(2021, 2, 1)) is None


def _added(item: UUID, opd: str, version: int = 1) -> MappingItemAdded:
    return MappingItemAdded(
        item_id=item, year=2021, opd=opd, version=version, stage=MappingStage.ACTIVE,
        affair="Pariwisata", description="Promosi wisata bersama",
        rpjmd_target="Meningkatnya kunjungan wisatawan")


def test_an_agency_whose_only_item_was_withdrawn_has_not_mapped() -> None:
    kept, withdrawn = uuid4(), uuid4()
    items = {kept: item_after(_added(kept, "DISKUK")),
             withdrawn: item_after(_added(withdrawn, "DISPARBUD"))}
    items[withdrawn] = item_after(MappingItemWithdrawn(
        item_id=withdrawn, year=2021, opd="DISPARBUD", version=2,
        stage=MappingStage.WITHDRAWN, reason="Digabung"))
    mapped = mapped_agencies(items.values(), 2021)
    assert mapped == {"DISKUK"}
    assert mapped_agencies(items.values(), 2022) == set()
    assert told(mapping_reminders(program(), DUE, ["DISKUK", "DISPARBUD"], mapped)) == {
        "mapping_due": ["DISPARBUD"], "mapping_missing": ["secretariat"]}


@given(st.lists(st.sampled_from(AGENCIES), min_size=1, max_size=12), st.randoms())
def test_items_arriving_in_any_order_across_streams_give_the_same_mapped_agencies(
        opds: list[str], rnd: random.Random) -> None:
    streams = []
    for opd in opds:
        item = uuid4()
        revised = MappingItemRevised(**{**_added(item, opd).model_dump(), "version": 2})
        streams.append([_added(item, opd), revised])
    in_order = {e.item_id: item_after(e) for stream in streams for e in stream}
    shuffled = list(streams)
    rnd.shuffle(shuffled)
    latest: dict[UUID, MappingItem] = {}
    for stream in shuffled:  # each stream in its own order (the inbox keeps it), twice
        for event in stream + stream:
            latest[event.item_id] = item_after(event)
    assert mapped_agencies(latest.values(), 2021) == mapped_agencies(in_order.values(), 2021)
    assert mapped_agencies(latest.values(), 2021) == set(opds)


def test_the_texts_say_what_is_due_by_when_in_both_languages() -> None:
    renderer = Renderer()
    notices = mapping_reminders(program(), DUE, ["DISKUK", "DISPARBUD"], set())
    ask = next(n for n in notices if n.rule == Rule.MAPPING_DUE)
    assert renderer.render(ask, None, "Dinas KUK", "id").subject == (
        "Mohon kirimkan pemetaan kerja sama tahun 2021 (batas 31 Maret 2021)")
    assert renderer.render(ask, None, "Dinas KUK", "en").subject == (
        "Please send your cooperation mapping for 2021 (due 31 March 2021)")
    summary = next(n for n in notices if n.rule == Rule.MAPPING_MISSING)
    indonesian = renderer.render(summary, None, "Sekretariat TKKSD", "id")
    assert indonesian.subject == ("Pemetaan kerja sama tahun 2021: 2 Perangkat Daerah belum "
                                  "menyampaikan (batas 31 Maret 2021)")
    assert "- DISKUK\n- DISPARBUD\n" in indonesian.text
    english = renderer.render(summary, None, "TKKSD secretariat", "en")
    assert "- DISKUK\n- DISPARBUD\n" in english.text and "Dear TKKSD secretariat" in english.text
