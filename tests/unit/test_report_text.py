"""The yearly report's words: both languages say the same things, with the same blanks,
and write numbers and dates their own way."""

from __future__ import annotations

import string
from datetime import date, datetime

from contracts.common import Recommendation
from plumbing.clock import WIB
from services.reporting.adapters.report_words import Words
from services.reporting.domain.evaluation import Reason
from services.reporting.entrypoints.report_text import LANGUAGES, TEXT


def _blanks(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_languages_have_every_text_with_the_same_blanks() -> None:
    indonesian, english = TEXT["id"], TEXT["en"]
    assert set(indonesian) == set(english)
    assert {k: _blanks(v) for k, v in indonesian.items()} == {
        k: _blanks(v) for k, v in english.items()}
    assert set(TEXT) == set(LANGUAGES)


def test_every_reason_and_recommendation_is_said_in_words() -> None:
    for language in LANGUAGES:
        for code in (*Reason, *Recommendation):
            assert TEXT[language][code.value] != code.value


def test_numbers_and_dates_are_written_the_way_of_each_language() -> None:
    indonesian, english = Words(TEXT["id"]), Words(TEXT["en"])
    assert (indonesian.number(84.13), english.number(84.13)) == ("84,13", "84.13")
    assert (indonesian.number(12345), english.number(12345)) == ("12.345", "12,345")
    assert indonesian.number(None) == "-"
    assert indonesian.day(date(2021, 8, 17)) == "17 Agustus 2021"
    assert english.short(date(2021, 8, 17)) == "2021-08-17"
    assert indonesian.short(date(2021, 8, 17)) == "17/08/2021"
    assert indonesian.moment(datetime(2022, 1, 3, 9, 5, tzinfo=WIB)) == \
        "3 Januari 2022, pukul 09:05 WIB"
    assert english.event("kerjasama.agreement.follow_up_recorded.v1") == "Follow-up"
    assert english.event("kerjasama.agreement.document_attached.v1") == "document_attached"
