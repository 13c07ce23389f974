"""The secretariat's daily digest of late-entered agreements that need attention (pure)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from uuid import UUID, uuid4

from contracts.common import Stage
from services.notifications.adapters.templates import Renderer
from services.notifications.domain import (
    AgreementView,
    Audience,
    Policy,
    Rule,
    late_entries_digest,
)

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
