"""The secretariat's daily digest of late-entered agreements that need attention (pure)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from uuid import UUID, uuid4

import pytest

from contracts.common import TERMINAL_STAGES, Stage
from services.notifications.adapters.templates import Renderer
from services.notifications.domain import (
    AgreementView,
    Audience,
    Policy,
    Rule,
    late_entries_digest,
)
from services.notifications.domain.digest import CANDIDATE_STAGES, OPEN_STAGES

TODAY = date(2026, 11, 30)
POLICY = Policy()


def agreement(title: str, *, signed_on: date = date(2021, 4, 20),
              recorded_on: date = TODAY, until: date = date(2028, 1, 1),
              lead_opd: str = "DISKUK", **changes: object) -> AgreementView:
    """A signed agreement, entered late by default (recorded today), with a plan and a
    follow-up last month, so that it needs no attention unless a test says so."""
    base = AgreementView(
        id=uuid4(), title=title, kind="KSDPK", document_type="MOU",
        partner_name="blibli.com", partner_country="ID", lead_opd=lead_opd,
        supporting_opds=(), stage=Stage.SIGNED, version=6, proposed_on=signed_on,
        recorded_on=recorded_on, number=f"027/{title[:3]}", signed_on=signed_on,
        signing_recorded_on=recorded_on, effective_from=signed_on, effective_until=until,
        has_plan=True, last_follow_up_on=TODAY - timedelta(days=30))
    return replace(base, **changes)  # type: ignore[arg-type]


def listed(*views: AgreementView, today: date = TODAY,
           policy: Policy = POLICY) -> dict[str, dict[str, object]]:
    notice = late_entries_digest(views, today, policy)
    return {} if notice is None else {str(i["title"]): dict(i) for i in notice.items}


def test_late_entered_agreements_are_listed_when_sleeping_without_plan_or_ending_soon(
) -> None:
    sleeping = agreement("Sleeping", signed_on=date(2024, 1, 10), until=date(2028, 1, 9),
                         last_follow_up_on=date(2024, 3, 1))
    no_plan = agreement("No plan", signed_on=date(2025, 6, 2), until=date(2028, 6, 1),
                        has_plan=False)
    ending = agreement("Ending", signed_on=date(2022, 1, 3), until=TODAY + timedelta(days=90))
    fine = agreement("Fine", signed_on=date(2024, 1, 10), until=date(2028, 1, 9))
    found = listed(sleeping, no_plan, ending, fine)
    assert set(found) == {"Sleeping", "No plan", "Ending"}
    assert (found["Sleeping"]["sleeping_days"], found["Sleeping"]["last_activity_on"]) == (
        (TODAY - date(2024, 3, 1)).days, "2024-03-01")
    assert found["Sleeping"]["no_plan"] == 0 and found["Sleeping"]["expires_in_days"] is None
    assert found["No plan"]["no_plan"] == 1 and found["No plan"]["sleeping_days"] is None
    assert found["Ending"]["expires_in_days"] == 90
    assert found["Ending"]["effective_until"] == (TODAY + timedelta(days=90)).isoformat()


def test_only_agreements_whose_signing_was_recorded_more_than_the_late_days_after() -> None:
    signed_on = TODAY - timedelta(days=200)
    for recorded_after, shown in ((30, False), (31, True)):
        view = agreement("Quiet", signed_on=signed_on, until=date(2029, 1, 1),
                         recorded_on=signed_on + timedelta(days=recorded_after),
                         last_follow_up_on=None)
        assert bool(listed(view)) == shown  # sleeping either way, told when timely


def test_ended_agreements_and_those_ending_later_are_not_listed() -> None:
    ended = [agreement("Terminated", stage=Stage.TERMINATED, has_plan=False),
             agreement("Expired", stage=Stage.EXPIRED, has_plan=False),
             agreement("Out of force", until=TODAY - timedelta(days=1), has_plan=False)]
    later = agreement("Ends in 91 days", until=TODAY + timedelta(days=91))
    assert late_entries_digest([*ended, later], TODAY, POLICY) is None
    # the window follows the earliest expiry notice of the settings
    assert "Ends in 91 days" not in listed(later, policy=Policy(expiry_notice_days=(60, 0)))
    assert "Ends in 91 days" in listed(
        agreement("Ends in 91 days", until=TODAY + timedelta(days=60)),
        policy=Policy(expiry_notice_days=(60, 0)))


def test_a_childs_signing_is_activity() -> None:
    quiet = agreement("Parent", signed_on=date(2023, 1, 2), until=date(2028, 1, 1),
                      last_follow_up_on=None)
    assert "Parent" in listed(quiet)
    assert listed(replace(quiet, last_child_signed_on=TODAY - timedelta(days=10))) == {}


def test_one_notice_a_day_to_the_secretariat_listing_by_agency_and_title() -> None:
    views = [agreement("B", lead_opd="DISKUK", has_plan=False),
             agreement("A", lead_opd="DISPARBUD", has_plan=False),
             agreement("A", lead_opd="DISKUK", has_plan=False)]
    notice = late_entries_digest(views, TODAY, POLICY)
    assert notice is not None
    assert (notice.rule, notice.occasion, notice.audiences) == (
        Rule.LATE_ENTRIES_DIGEST, "late-entries/2026-11-30", (Audience.SECRETARIAT,))
    assert notice.skipped is None and notice.facts["count"] == 3
    assert [(i["lead_opd"], i["title"]) for i in notice.items] == [
        ("DISKUK", "A"), ("DISKUK", "B"), ("DISPARBUD", "A")]
    tomorrow = late_entries_digest(views, TODAY + timedelta(days=1), POLICY)
    assert tomorrow is not None and tomorrow.occasion == "late-entries/2026-12-01"


def test_the_digest_reads_in_both_languages_with_title_number_agency_why_and_id() -> None:
    aid = UUID("6f1c2a9e-4a53-4b43-9d51-0d7f4f0b1c11")
    view = agreement("Galeri UMKM Juara di blibli.com", id=aid, number="027/88/DISKUK",
                     signed_on=date(2021, 12, 20), until=date(2026, 12, 19), has_plan=False,
                     last_follow_up_on=None)
    notice = late_entries_digest([view], TODAY, POLICY)
    assert notice is not None
    renderer = Renderer()
    indonesian = renderer.render(notice, None, "Sekretariat TKKSD", "id")
    assert indonesian.subject == ("Kerja sama yang dicatat terlambat dan perlu perhatian: "
                                  "1 naskah (30 November 2026)")
    for fact in ("Yth. Sekretariat TKKSD", "1. Galeri UMKM Juara di blibli.com",
                 "Nomor: 027/88/DISKUK; Perangkat Daerah pelaksana: DISKUK",
                 "Ditandatangani 20 Desember 2021, dicatat 30 November 2026",
                 "Dokumen tidur: 1806 hari tanpa tindak lanjut",
                 "Belum ada rencana tindak lanjut",
                 "Berakhir 19 Desember 2026 (19 hari lagi)", str(aid)):
        assert fact in indonesian.text, fact
    english = renderer.render(notice, None, "TKKSD secretariat", "en")
    assert english.subject == "Agreements entered late that need attention: 1 (30 November 2026)"
    for fact in ("Dear TKKSD secretariat", "Number: 027/88/DISKUK; lead agency: DISKUK",
                 "Sleeping document: 1806 days without follow-up", "No follow-up plan yet",
                 "Ends 19 December 2026 (in 19 days)", f"GET /agreements/{aid}"):
        assert fact in english.text, fact


def test_nothing_to_list_gives_no_notice() -> None:
    assert late_entries_digest([], TODAY, POLICY) is None
    timely = agreement("Timely", recorded_on=date(2021, 4, 20), has_plan=False)
    assert late_entries_digest([timely], TODAY, POLICY) is None


YESTERDAY = TODAY - timedelta(days=1)


def proposal(title: str, stage: Stage = Stage.IN_REVIEW, *,
             proposed_on: date = date(2021, 9, 1), recorded_on: date = YESTERDAY,
             lead_opd: str = "DISKUK", **changes: object) -> AgreementView:
    """A proposal not yet signed, entered late by default (recorded yesterday)."""
    base = AgreementView(
        id=uuid4(), title=title, kind="KSDPK", document_type="PKS",
        partner_name="blibli.com", partner_country="ID", lead_opd=lead_opd,
        supporting_opds=(), stage=stage, version=2, proposed_on=proposed_on,
        recorded_on=recorded_on)
    return replace(base, **changes)  # type: ignore[arg-type]


def test_every_stage_is_open_signed_or_an_end() -> None:
    assert OPEN_STAGES | {Stage.SIGNED} | TERMINAL_STAGES == set(Stage)
    assert not OPEN_STAGES & TERMINAL_STAGES and Stage.SIGNED not in OPEN_STAGES
    assert CANDIDATE_STAGES == OPEN_STAGES | {Stage.SIGNED}


def test_a_late_entered_proposal_is_listed_in_every_open_stage_and_not_once_ended() -> None:
    for stage in OPEN_STAGES:
        found = listed(proposal("Open", stage))
        assert found["Open"]["stage"] == stage.value, stage
        assert (found["Open"]["proposed_on"], found["Open"]["recorded_on"]) == (
            "2021-09-01", "2026-11-29")
        assert found["Open"]["signed_on"] is None and found["Open"]["no_plan"] == 0
    for stage in (Stage.REJECTED, Stage.WITHDRAWN):
        assert listed(proposal("Ended", stage)) == {}


def test_only_proposals_recorded_more_than_the_late_days_after_their_date_are_listed(
) -> None:
    for recorded_after, shown in ((30, False), (31, True)):
        view = proposal("Pending", Stage.PROPOSED, proposed_on=TODAY - timedelta(days=200),
                        recorded_on=TODAY - timedelta(days=200 - recorded_after))
        assert bool(listed(view)) == shown  # told when timely: proposal_received was sent
    assert listed(proposal("Pending", Stage.PROPOSED),
                  policy=Policy(notice_late_days=2000)) == {}


def test_a_proposal_entered_late_today_is_listed_from_tomorrow_on() -> None:
    # entered with its whole history in one sitting, it is open for moments only: a
    # digest recorded meanwhile must not list it as pending
    today = proposal("Entered today", Stage.PROPOSED, recorded_on=TODAY)
    assert listed(today) == {}
    assert "Entered today" in listed(today, today=TODAY + timedelta(days=1))


def test_a_late_proposal_signed_in_time_leaves_the_list() -> None:
    # signed a week ago, recorded the same day: its plan was asked for the usual way
    signed = agreement("Signed in time", signed_on=TODAY - timedelta(days=7),
                       recorded_on=TODAY - timedelta(days=7), has_plan=False)
    late_proposal = replace(signed, proposed_on=date(2021, 9, 1))
    assert late_proposal.proposal_entered_late(30) and not late_proposal.entered_late(30)
    assert late_entries_digest([late_proposal], TODAY, POLICY) is None


def test_open_proposals_are_counted_and_sorted_with_the_signed_ones() -> None:
    notice = late_entries_digest(
        [proposal("B proposal", lead_opd="DISKUK"), agreement("A signed", has_plan=False),
         proposal("C proposal", Stage.REVISION_REQUESTED, lead_opd="BAPPEDA")],
        TODAY, POLICY)
    assert notice is not None
    assert (notice.facts["count"], notice.facts["proposals"]) == (3, 2)
    assert [i["title"] for i in notice.items] == ["C proposal", "A signed", "B proposal"]
    assert {frozenset(i) for i in notice.items} == {frozenset(notice.items[0])}  # same keys


def test_an_open_proposal_reads_proposed_entered_and_still_its_stage_in_both_languages(
) -> None:
    aid = UUID("0b9d3c57-2f61-4f0e-8f3a-5f2c8e0d7a21")
    notice = late_entries_digest(
        [proposal("Pelatihan UMKM ekspor", id=aid),
         proposal("Promosi wisata Jabar", Stage.REVISION_REQUESTED, lead_opd="DISPARBUD")],
        TODAY, POLICY)
    assert notice is not None
    renderer = Renderer()
    indonesian = renderer.render(notice, None, "Sekretariat TKKSD", "id")
    for fact in ("1. Pelatihan UMKM ekspor", "Perangkat Daerah pelaksana: DISKUK",
                 "- Usulan belum selesai: diusulkan 1 September 2021, dicatat 29 November "
                 "2026, masih dalam penelaahan",
                 "masih menunggu perbaikan usulan dari Perangkat Daerah", str(aid)):
        assert fact in indonesian.text, fact
    assert "Nomor:" not in indonesian.text and "Ditandatangani" not in indonesian.text
    english = renderer.render(notice, None, "TKKSD secretariat", "en")
    for fact in ("Lead agency: DISKUK", "- Proposal still open: proposed 1 September 2021, "
                 "entered 29 November 2026, still in review",
                 "still awaiting the agency's revision", f"GET /agreements/{aid}"):
        assert fact in english.text, fact
    assert english.subject == "Agreements entered late that need attention: 2 (30 November 2026)"


@pytest.mark.parametrize(("language", "more", "see"), [
    ("id", "... dan 3 lainnya.", "Daftar lengkap, dengan ID setiap kerja sama, ada di email "
     "hari ini dan di log pengiriman (GET /deliveries?rule=late_entries_digest"),
    ("en", "... and 3 more.", "The full list, with each agreement's id, is in today's email "
     "and in the delivery log (GET /deliveries?rule=late_entries_digest")])
def test_the_whatsapp_digest_gives_the_count_the_first_five_and_where_the_rest_is(
        language: str, more: str, see: str) -> None:
    views = [proposal(f"Usulan {n}", lead_opd=f"OPD{n}") for n in range(3)]
    views += [agreement(f"Naskah {n}", lead_opd=f"OPD{n}", has_plan=False,
                        signed_on=date(2023, 1, 2), last_follow_up_on=None,
                        until=TODAY + timedelta(days=10)) for n in range(3, 8)]
    notice = late_entries_digest(views, TODAY, POLICY)
    assert notice is not None
    text = Renderer().render_whatsapp(notice, None, "Sekretariat TKKSD", language)
    email = Renderer().render(notice, None, "Sekretariat TKKSD", language)
    assert text.startswith(f"*{email.subject}*\n\n") and "8" in email.subject
    lines = text.splitlines()
    entries = [line for line in lines if line[:2] in {f"{n}." for n in range(1, 10)}]
    assert [line.split(" (")[0] for line in entries] == [
        "1. Usulan 0", "2. Usulan 1", "3. Usulan 2", "4. Naskah 3", "5. Naskah 4"]
    if language == "id":
        assert entries[0] == "1. Usulan 0 (OPD0): usulan masih dalam penelaahan."
        assert entries[3] == ("4. Naskah 3 (OPD3): dokumen tidur 1428 hari; belum ada rencana "
                              "tindak lanjut; berakhir 10 Desember 2026.")
    else:
        assert entries[0] == "1. Usulan 0 (OPD0): proposal still in review."
        assert entries[3] == ("4. Naskah 3 (OPD3): sleeping for 1428 days; no follow-up plan; "
                              "ends 10 December 2026.")
    assert more in lines and see in text
    assert len(text) < len(email.text) and text.endswith("._\n")


def test_the_whatsapp_digest_stays_within_4096_characters_with_the_longest_titles() -> None:
    views = [proposal(f"{n} " + "Kerja sama " * 27, lead_opd="DINAS_KOMUNIKASI_DAN_INFORMATIKA")
             for n in range(40)]
    notice = late_entries_digest(views, TODAY, POLICY)
    assert notice is not None
    for language in ("id", "en"):
        text = Renderer().render_whatsapp(notice, None, "Sekretariat TKKSD", language)
        assert len(text) <= 4096 and "\u2026" not in text  # five entries fit whole
