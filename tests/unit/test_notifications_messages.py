"""Message texts (Bahasa Indonesia and English), webhook signatures, the view's storage."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date
from uuid import uuid4

import pytest

from contracts.common import Stage
from services.notifications.adapters.projection import from_json, to_json
from services.notifications.adapters.templates import Renderer, format_date
from services.notifications.adapters.webhook import sign, verify
from services.notifications.domain import AgreementView, Notice, PlannedMilestone, Rule

VIEW = AgreementView(
    id=uuid4(), title="Kerja sama pembangunan dengan Chungcheongnam-do", kind="KSDPL",
    document_type="MOU", partner_name="Chungcheongnam-do", partner_country="KR",
    lead_opd="BIRO_PEM", supporting_opds=("DISPARBUD",), stage=Stage.SIGNED, version=7,
    proposed_on=date(2021, 1, 11), recorded_on=date(2021, 1, 11), number="120/15/Pem.Um",
    signed_on=date(2021, 4, 20), signing_recorded_on=date(2021, 4, 20),
    effective_from=date(2021, 4, 20), effective_until=date(2024, 4, 19),
    milestones=(PlannedMilestone("m1", "Misi budaya", date(2021, 8, 17), date(2021, 5, 1)),))
RENDERER = Renderer()


def test_every_rule_has_a_template_in_both_languages() -> None:
    RENDERER.check()
    for rule in Rule:
        if rule in (Rule.FIGURE_RESTATED, Rule.MAPPING_DUE, Rule.MAPPING_MISSING,
                    Rule.LATE_ENTRIES_DIGEST):
            continue  # about a figure, a year's mapping or many agreements: elsewhere
        facts: dict[str, str | int | None] = {
            "days": 30, "semester": 1, "year": 2021, "milestone": "Misi budaya",
            "reason": "Lengkapi kajian manfaat", "proposed_on": "2021-01-11",
            "signed_on": "2021-04-20", "number": "120/15/Pem.Um",
            "last_activity_on": "2021-04-20"}
        notice = Notice(rule, "x", (), due_on=date(2021, 5, 20), facts=facts)
        for language in ("id", "en"):
            message = RENDERER.render(notice, VIEW, "Biro Pemerintahan", language)
            assert message.subject and "\n" not in message.subject
            assert VIEW.title in message.subject + message.text
            assert "Chungcheongnam-do" in message.text and "BIRO_PEM" in message.text


def test_a_restated_figure_is_told_with_its_old_and_new_value_in_both_languages() -> None:
    from contracts.kpi import KpiUpdated
    from services.notifications.domain.rules import restatement_notice

    data = KpiUpdated(indicator="effectiveness", year=2021, scope="province", numerator=13,
                      denominator=19, value=68.42, target=60, achievement=114.03,
                      as_of_position=812, revision=9, restated=True, previous_value=63.16)
    notice = restatement_notice(data, date(2023, 1, 10))
    assert notice is not None and notice.occasion == "effectiveness/2021/province/2023-01-10"
    indonesian = RENDERER.render(notice, None, "Sekretariat TKKSD", "id")
    assert indonesian.subject == ("Koreksi angka Efektivitas Kerja Sama tahun 2021: 63.16 "
                                  "menjadi 68.42")
    assert "Sekarang: 68.42 (13 dari 19), target 60" in indonesian.text
    english = RENDERER.render(notice, None, "TKKSD secretariat", "en")
    assert english.subject == "Restated cooperation effectiveness 2021: 63.16 is now 68.42"
    assert "Dear TKKSD secretariat" in english.text
    for quiet in (data.model_copy(update={"restated": False}),
                  data.model_copy(update={"scope": "opd:DISKUK"}),
                  data.model_copy(update={"indicator": "sleeping"})):
        assert restatement_notice(quiet, date(2023, 1, 10)) is None


def test_the_expiry_texts_name_the_days_left_and_the_last_day() -> None:
    notice = Notice(Rule.EXPIRY_30_DAYS, "2024-04-19", (), due_on=date(2024, 4, 19),
                    facts={"days": 30})
    indonesian = RENDERER.render(notice, VIEW, "DISPARBUD", "id")
    assert indonesian.subject == f"Masa berlaku kerja sama berakhir dalam 30 hari: " \
                                 f"{VIEW.title} (19 April 2024)"
    english = RENDERER.render(notice, VIEW, "DISPARBUD", "en")
    assert english.subject == f"Cooperation ends in 30 days: {VIEW.title} (19 April 2024)"
    assert "Dear DISPARBUD" in english.text


@pytest.mark.parametrize(("language", "text"), [("id", "17 Agustus 2021"),
                                                 ("en", "17 August 2021")])
def test_dates_are_written_in_the_recipients_language(language: str, text: str) -> None:
    assert format_date(date(2021, 8, 17), language) == text


def test_a_webhook_signature_covers_timestamp_delivery_id_and_body() -> None:
    body = b'{"rule":"sleeping_warning"}'
    secret, at = "s3cret-s3cret-s3cret", "1618900000"
    signature = sign(secret, at, "41", body)
    assert signature.startswith("v1=") and len(signature) == 3 + 64
    assert verify(secret, at, "41", body, signature, now=1618900010)
    assert not verify("other", at, "41", body, signature, now=1618900010)
    assert not verify(secret, "1618900001", "41", body, signature, now=1618900010)
    assert not verify(secret, at, "42", body, signature, now=1618900010)
    assert not verify(secret, at, "41", body + b" ", signature, now=1618900010)
    assert not verify(secret, at, "41", body, signature, now=1618900000 + 3600)


def test_two_deliveries_of_one_body_have_different_signatures() -> None:
    body = b'{"rule":"proposal_received"}'
    assert sign("one-secret-for-both", "1618900000", "7", body) != \
        sign("one-secret-for-both", "1618900000", "8", body)


def test_the_signed_text_is_timestamp_delivery_id_and_body_joined_by_dots() -> None:
    body = b'{"a":1}'
    expected = hmac.new(b"the-receivers-secret", b'1618900000.41.{"a":1}', hashlib.sha256)
    assert sign("the-receivers-secret", "1618900000", "41", body) == \
        "v1=" + expected.hexdigest()


def test_a_receiver_accepts_a_header_listing_several_schemes() -> None:
    body = b"{}"
    signature = sign("the-receivers-secret", "1618900000", "41", body)
    assert verify("the-receivers-secret", "1618900000", "41", body,
                  f"v9=00ff, {signature}", now=1618900000)
    assert not verify("the-receivers-secret", "1618900000", "41", body,
                      "sha256=" + signature.removeprefix("v1="), now=1618900000)


def test_the_view_survives_its_storage() -> None:
    assert from_json(to_json(VIEW)) == VIEW
