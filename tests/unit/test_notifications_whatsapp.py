"""WhatsApp: E.164 numbers, the provider's settings, the texts in both languages, and the
request each provider is sent (its outcome sorted into sent, retried or failed)."""

from __future__ import annotations

import json
import logging
import shutil
from datetime import date
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest

from plumbing.errors import ConfigError
from plumbing.settings import load_settings
from services.notifications.adapters.deliveries import Claimed
from services.notifications.adapters.senders import SendFailed, SendRefused
from services.notifications.adapters.templates import TEMPLATES, Renderer, template_name
from services.notifications.adapters.webhook_address import Destinations
from services.notifications.adapters.whatsapp import (
    RecordingWhatsApp,
    WhatsAppChannel,
    whatsapp_provider_from,
)
from services.notifications.adapters.whatsapp_cloud import CloudApiSender
from services.notifications.adapters.whatsapp_gateway import GatewaySender
from services.notifications.adapters.whatsapp_http import Endpoint, shown
from services.notifications.domain import Notice, Rule
from services.notifications.domain.addresses import AddressRules
from services.notifications.domain.whatsapp import (
    MAX_TEXT,
    NumberInvalid,
    WhatsAppMessage,
    check_number,
    fit,
    parameter,
)
from services.notifications.settings import NotificationsSettings

from .test_notifications_messages import RENDERER, VIEW

FACTS: dict[str, str | int | None] = {
    "days": 30, "semester": 1, "year": 2021, "milestone": "Misi budaya",
    "reason": "Lengkapi kajian manfaat", "proposed_on": "2021-01-11",
    "signed_on": "2021-04-20", "number": "120/15/Pem.Um", "last_activity_on": "2021-04-20"}
MESSAGE = WhatsAppMessage(
    delivery_id=42, rule="follow_up_plan_requested", to="+6281234567890", language="id",
    text="*Permintaan rencana tindak lanjut*\n\nYth. Biro Pemerintahan,\n",
    parameters=("Biro Pemerintahan", "Permintaan rencana tindak lanjut: Kerja sama "
                "(paling lambat 20 Mei 2021)"))


# --- numbers ------------------------------------------------------------------------------

@pytest.mark.parametrize("number", ["+6281234567890", "+12345678", "+123456789012345",
                                    "+6222123456"])
def test_an_e164_number_is_accepted_as_written(number: str) -> None:
    assert check_number(number) == number


@pytest.mark.parametrize("number", [
    "081234567890",  # a local number: the country code is missing
    "6281234567890",  # no +
    "+0812345678",  # a leading 0 after +
    "+1234567",  # 7 digits
    "+1234567890123456",  # 16 digits
    "+62 812 3456 7890", "+62-812-3456-7890", "+62812345678x", "", "+",
    "+6281234567890\n",  # `$` matches before a final line feed: a second copy of a number
    "+6281234567890\r\n", "\n+6281234567890",
])
def test_anything_but_an_e164_number_is_refused_naming_it(number: str) -> None:
    with pytest.raises(NumberInvalid) as refused:
        check_number(number)
    assert repr(number) in str(refused.value) and "E.164" in str(refused.value)


# --- settings -----------------------------------------------------------------------------

CLOUD = {"whatsapp_provider": "cloud", "whatsapp_cloud_token": "EAAG-token",
         "whatsapp_cloud_phone_number_id": "106540352242922"}
GATEWAY = {"whatsapp_provider": "gateway", "whatsapp_gateway_url": "https://api.fonnte.com/send",
           "whatsapp_gateway_token": "fonnte-token"}


def test_without_a_provider_nothing_is_needed_and_nothing_is_sent() -> None:
    settings = load_settings(NotificationsSettings)
    assert settings.whatsapp_provider == "none"
    assert whatsapp_provider_from(settings) is None


@pytest.mark.parametrize(("values", "says"), [
    ({"whatsapp_provider": "cloud"}, "KERJASAMA_WHATSAPP_CLOUD_TOKEN (or "
     "KERJASAMA_WHATSAPP_CLOUD_TOKEN_FILE); KERJASAMA_WHATSAPP_CLOUD_PHONE_NUMBER_ID"),
    ({**CLOUD, "whatsapp_cloud_token_file": "/run/secrets/wa"},
     "KERJASAMA_WHATSAPP_CLOUD_TOKEN or KERJASAMA_WHATSAPP_CLOUD_TOKEN_FILE, not both"),
    ({**CLOUD, "whatsapp_cloud_templates": {"follow_up_plan_requested": "Tindak-Lanjut"}},
     "'Tindak-Lanjut' (for follow_up_plan_requested) is not a template name"),
    ({**CLOUD, "whatsapp_cloud_templates": {"expiry_7_days": "masa_berlaku_7\n"}},
     "'masa_berlaku_7\\n' (for expiry_7_days) is not a template name"),
    ({**CLOUD, "whatsapp_cloud_templates": {"signed": "kerjasama_signed"}},
     "'signed' is not a rule"),
    ({**CLOUD, "environment": "production",
      "whatsapp_cloud_base_url": "http://graph.facebook.com/v21.0"},
     "KERJASAMA_WHATSAPP_CLOUD_BASE_URL to start with https://"),
    ({"whatsapp_provider": "gateway"},
     "KERJASAMA_WHATSAPP_GATEWAY_URL; KERJASAMA_WHATSAPP_GATEWAY_TOKEN (or "
     "KERJASAMA_WHATSAPP_GATEWAY_TOKEN_FILE)"),
    ({**GATEWAY, "environment": "production",
      "whatsapp_gateway_url": "http://10.1.2.3/send"},
     "KERJASAMA_WHATSAPP_GATEWAY_URL to start with https:// (plain http only when "
     "development is declared)"),
    ({"whatsapp_provider": "twilio"}, "KERJASAMA_WHATSAPP_PROVIDER"),
])
def test_a_provider_without_its_settings_is_a_configuration_error_naming_them(
        values: dict[str, Any], says: str) -> None:
    with pytest.raises(ConfigError, match="KERJASAMA_WHATSAPP") as refused:
        load_settings(NotificationsSettings, **values)
    assert says in str(refused.value)


def test_the_token_may_come_from_a_file_and_is_never_in_an_error(tmp_path: Path) -> None:
    token = tmp_path / "whatsapp-token"
    token.write_text("fonnte-token-from-a-file\n")
    settings = load_settings(NotificationsSettings, whatsapp_provider="gateway",
                             whatsapp_gateway_url="https://api.fonnte.com/send",
                             whatsapp_gateway_token_file=str(token))
    factory = whatsapp_provider_from(settings)
    assert factory is not None
    sender = factory(httpx.AsyncClient())
    assert isinstance(sender, GatewaySender)
    assert sender._headers == {"Authorization": "fonnte-token-from-a-file"}
    assert "fonnte-token" not in repr(settings)

    token.write_text("  \n")
    with pytest.raises(ConfigError, match=r"KERJASAMA_WHATSAPP_GATEWAY_TOKEN_FILE: .* is empty"):
        whatsapp_provider_from(settings)
    token.unlink()
    with pytest.raises(ConfigError, match="KERJASAMA_WHATSAPP_GATEWAY_TOKEN_FILE: cannot read"):
        whatsapp_provider_from(settings)


@pytest.mark.parametrize("url", [
    "http://gateway.example.go.id/send?token=s3cr3t-gateway-token",
    "http://user:s3cr3t-gateway-token@gateway.example.go.id/send",
    "http://gateway.example.go.id/send#token=s3cr3t-gateway-token",
    "ftp://gateway.example.go.id/send?token=s3cr3t-gateway-token&x=1",
])
def test_a_refused_provider_url_is_named_without_its_query_or_credentials(url: str) -> None:
    with pytest.raises(ConfigError, match="KERJASAMA_WHATSAPP_GATEWAY_URL to start with "
                       "https://") as refused:
        load_settings(NotificationsSettings, **{**GATEWAY, "environment": "production",
                                                "whatsapp_gateway_url": url})
    assert "s3cr3t-gateway-token" not in str(refused.value)
    assert "gateway.example.go.id/send" in str(refused.value)


@pytest.mark.parametrize(("url", "seen"), [
    ("https://api.fonnte.com/send?token=abc", "https://api.fonnte.com/send"),
    ("https://u:p@api.fonnte.com:8443/send#abc", "https://api.fonnte.com:8443/send"),
    ("https://[::1/send?token=abc", "https://[::1/send"),  # no parse: cut by hand
    ("https://u:p@[::1/send?token=abc", "https://[::1/send"),
])
def test_a_url_is_shown_without_query_fragment_or_credentials(url: str, seen: str) -> None:
    assert shown(url) == seen


def test_a_provider_url_with_credentials_is_refused_at_start() -> None:
    settings = load_settings(NotificationsSettings, **{
        **GATEWAY, "whatsapp_gateway_url": "https://user:pass@api.fonnte.com/send"})
    with pytest.raises(ConfigError, match="KERJASAMA_WHATSAPP_GATEWAY_URL: credentials"):
        whatsapp_provider_from(settings)


# --- texts --------------------------------------------------------------------------------

WRITTEN = ("proposal_received", "revision_requested", "proposal_rejected",
           "follow_up_plan_requested", "follow_up_plan_missing", "milestone_due_soon",
           "milestone_overdue", "sleeping_warning", "sleeping_escalation", "expiry",
           "evaluation_due", "figure_restated", "mapping_due", "mapping_missing",
           "late_entries_digest")
"""The WhatsApp texts: one per template, every rule has one."""
ABOUT_NO_AGREEMENT = (Rule.FIGURE_RESTATED, Rule.MAPPING_DUE, Rule.MAPPING_MISSING,
                      Rule.LATE_ENTRIES_DIGEST)


@pytest.mark.parametrize("language", ["id", "en"])
def test_every_rule_has_a_short_whatsapp_text_in_both_languages(language: str) -> None:
    directory = TEMPLATES / language / "whatsapp"
    assert {p.name.removesuffix(".txt.j2") for p in directory.glob("[!_]*")} == set(WRITTEN)
    assert {template_name(rule) for rule in Rule} == set(WRITTEN)
    facts = {**FACTS, "indicator": "realization", "previous_value": "63.16", "value": "68.42",
             "numerator": 13, "denominator": 19, "target": 60, "opd": "DISKUK", "count": 2,
             "agencies": "DISKUK, DISPARBUD", "recorded_on": "2023-01-10", "revision": 9,
             "as_of_position": 812, "day": "2026-11-30", "late_days": 30,
             "expiring_soon_days": 90, "proposals": 0}
    for rule in Rule:
        notice = Notice(rule, "x", (), due_on=date(2021, 5, 20), facts=facts)
        view = None if rule in ABOUT_NO_AGREEMENT else VIEW
        email = RENDERER.render(notice, view, "Biro Pemerintahan", language)
        text = RENDERER.render_whatsapp(notice, view, "Biro Pemerintahan", language)
        assert text.startswith(f"*{email.subject}*\n\n"), (rule, text)
        assert len(text) < len(email.text) and len(text) < 1000, (rule, len(text))
        assert "\n\n\n" not in text and text.endswith("._\n"), (rule, text)
        assert ("Yth. " if language == "id" else "Dear ") + "Biro Pemerintahan," in text
        if view is not None:
            assert VIEW.title in text and str(VIEW.id) in text, rule


def test_the_plan_request_reads_well_in_bahasa_indonesia_and_in_english() -> None:
    notice = Notice(Rule.FOLLOW_UP_PLAN_REQUESTED, "x", (), due_on=date(2021, 5, 20),
                    facts=FACTS)
    assert RENDERER.render_whatsapp(notice, VIEW, "Biro Pemerintahan", "id") == (
        "*Permintaan rencana tindak lanjut: Kerja sama pembangunan dengan Chungcheongnam-do "
        "(paling lambat 20 Mei 2021)*\n\nYth. Biro Pemerintahan,\n\nNaskah kerja sama "
        "\"Kerja sama pembangunan dengan Chungcheongnam-do\" dengan Chungcheongnam-do telah "
        "ditandatangani pada 20 April 2021 dengan nomor 120/15/Pem.Um. Agar kerja sama ini "
        "tidak menjadi dokumen tidur, Perangkat Daerah diminta segera menyusun rencana "
        "tindak lanjut dengan timeline yang jelas (tahapan kegiatan dan tanggal targetnya) "
        "dan mencatatnya dalam sistem paling lambat 20 Mei 2021.\n\n"
        f"ID kerja sama: {VIEW.id}\n_Pesan otomatis dari Sekretariat TKKSD Provinsi Jawa "
        "Barat._\n")
    english = RENDERER.render_whatsapp(notice, VIEW, "Biro Pemerintahan", "en")
    assert english.startswith("*Follow-up plan requested: ")
    assert "please draw up a follow-up plan" in english and f"Agreement ID: {VIEW.id}" in english


def test_the_service_does_not_start_without_every_whatsapp_text_in_both_languages(
        tmp_path: Path) -> None:
    source = Path(__file__).resolve().parents[2] / "services/notifications/templates"
    templates = tmp_path / "templates"
    shutil.copytree(source, templates)
    Renderer(templates).check()
    # a misnamed text (a typo) and one not written in English
    whatsapp = templates / "id/whatsapp"
    (whatsapp / "proposal_received.txt.j2").rename(whatsapp / "proposal_recieved.txt.j2")
    (templates / "en/whatsapp/late_entries_digest.txt.j2").unlink()
    with pytest.raises(ConfigError, match="message texts missing") as refused:
        Renderer(templates).check()
    assert str(refused.value).endswith(": id/whatsapp/proposal_received.txt.j2, "
                                       "en/whatsapp/late_entries_digest.txt.j2")


def _mapping_missing(agencies: int) -> Notice:
    codes = ", ".join(f"DINAS_{n:03}_KABUPATEN" for n in range(agencies))
    return Notice(Rule.MAPPING_MISSING, "x", (), due_on=date(2021, 3, 31),
                  facts={"year": 2021, "count": agencies, "agencies": codes})


@pytest.mark.parametrize("language", ["id", "en"])
def test_a_whatsapp_text_over_4096_characters_is_cut_at_a_line_and_ends_with_an_ellipsis(
        language: str) -> None:
    whole = RENDERER.render(_mapping_missing(400), None, "Sekretariat TKKSD", language).text
    assert len(whole) > 2 * MAX_TEXT
    text = RENDERER.render_whatsapp(_mapping_missing(400), None, "Sekretariat TKKSD", language)
    assert len(text) <= MAX_TEXT
    head, last = text.removesuffix("\n").rsplit("\n", 1)
    assert last == "\u2026" and text.startswith("*") and text.count("*") == 2
    assert head.splitlines()[-1] == f"- DINAS_{head.count('- DINAS_') - 1:03}_KABUPATEN"
    short = RENDERER.render_whatsapp(_mapping_missing(3), None, "Sekretariat TKKSD", language)
    assert "\u2026" not in short and short.endswith("._\n")


def test_a_text_is_cut_to_fit_at_a_line_else_at_a_space_and_never_exceeds_the_limit() -> None:
    assert fit("abc\n", 10) == "abc\n"
    assert fit("*bold*\nline two\nline three\n", 20) == "*bold*\nline two\n\u2026\n"
    assert fit("one long line of words", 12) == "one long\n\u2026\n"
    assert fit("x" * 30, 12) == "x" * 9 + "\n\u2026\n"
    for size in range(1, 60):
        text = "\n".join(f"line {n} " * (n % 4) for n in range(size)) + "\n"
        assert len(fit(text, 40)) <= 40


async def test_a_gateway_sends_at_most_4096_characters_of_a_text_recorded_longer() -> None:
    sender, seen = _gateway(lambda _: httpx.Response(200, json={"status": True}))
    long = WhatsAppMessage(9, "mapping_missing", "+6281234567890", "id",
                           "*Pemetaan*\n\n" + "- DINAS_KABUPATEN\n" * 400, ("a", "b"))
    await sender.send(long)
    message = dict(httpx.QueryParams(seen[0].content.decode()))["message"]
    assert len(message) <= MAX_TEXT and message.endswith("- DINAS_KABUPATEN\n\u2026\n")


def test_template_parameters_are_one_line_without_runs_of_spaces() -> None:
    assert parameter("Kerja sama\n\tdengan    Chungcheongnam-do ") == \
        "Kerja sama dengan Chungcheongnam-do"
    assert parameter("  \n") == "-"


# --- requests -----------------------------------------------------------------------------

LOCAL = Destinations(AddressRules(allow_http=True, allow_private=True))


def _endpoint(handler: Any) -> tuple[Endpoint, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer: httpx.Response = handler(request)
        return answer

    client = httpx.AsyncClient(transport=httpx.MockTransport(record))
    return Endpoint(client, LOCAL, 5.0), seen


def _cloud(handler: Any, templates: dict[str, str] | None = None) -> tuple[
        CloudApiSender, list[httpx.Request]]:
    endpoint, seen = _endpoint(handler)
    return CloudApiSender(endpoint, "http://127.0.0.1:9/v21.0/", "106540352242922",
                          "EAAG-token", templates or {}), seen


def _gateway(handler: Any) -> tuple[GatewaySender, list[httpx.Request]]:
    endpoint, seen = _endpoint(handler)
    return GatewaySender(endpoint, "http://127.0.0.1:9/send", "fonnte-token"), seen


async def test_the_cloud_api_is_sent_the_rules_template_with_its_body_parameters() -> None:
    sender, seen = _cloud(lambda _: httpx.Response(200, json={
        "messaging_product": "whatsapp", "contacts": [{"input": "6281234567890",
                                                       "wa_id": "6281234567890"}],
        "messages": [{"id": "wamid.HBgLNjI4MTIzNDU2Nzg5MBUCABEYEjBBRkM"}]}))
    assert await sender.send(MESSAGE) == "wamid.HBgLNjI4MTIzNDU2Nzg5MBUCABEYEjBBRkM"
    [request] = seen
    assert (request.method, request.url.path) == ("POST", "/v21.0/106540352242922/messages")
    assert request.headers["authorization"] == "Bearer EAAG-token"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {
        "messaging_product": "whatsapp", "recipient_type": "individual",
        "to": "6281234567890", "type": "template",
        "template": {"name": "kerjasama_follow_up_plan_requested", "language": {"code": "id"},
                     "components": [{"type": "body", "parameters": [
                         {"type": "text", "text": "Biro Pemerintahan"},
                         {"type": "text", "text": MESSAGE.parameters[1]}]}]}}


def test_a_cloud_template_parameter_has_no_line_breaks_runs_of_spaces_or_excess_length(
) -> None:
    sender, _ = _cloud(lambda _: httpx.Response(200))
    spaced = WhatsAppMessage(1, "follow_up_plan_requested", "+6281234567890", "id", "t",
                             ("Biro\tPemerintahan\n dan     Otonomi", "x" * 2000))
    first, second = (p["text"] for p in
                     sender.body(spaced)["template"]["components"][0]["parameters"])
    assert first == "Biro Pemerintahan dan Otonomi"
    assert len(second) == 1024 and second.endswith("…")


def test_template_names_come_from_the_rule_unless_the_operator_renames_them() -> None:
    sender, _ = _cloud(lambda _: httpx.Response(200), {"expiry_7_days": "masa_berlaku_7"})
    english = WhatsAppMessage(1, "expiry_30_days", "+6281234567890", "en", "t", ("a", "b"))
    assert sender.body(english)["template"]["name"] == "kerjasama_expiry"
    assert sender.body(english)["template"]["language"] == {"code": "en"}
    renamed = WhatsAppMessage(1, "expiry_7_days", "+6281234567890", "id", "t", ("a", "b"))
    assert sender.body(renamed)["template"]["name"] == "masa_berlaku_7"


@pytest.mark.parametrize(("status", "outcome"), [
    (400, SendRefused), (401, SendRefused), (404, SendRefused), (429, SendFailed),
    (500, SendFailed), (503, SendFailed), (408, SendFailed)])
async def test_a_4xx_is_refused_for_good_and_429_or_5xx_is_retried(
        status: int, outcome: type[Exception]) -> None:
    sender, _ = _cloud(lambda _: httpx.Response(status, json={"error": {
        "message": "(#131030) Recipient phone number not in allowed list", "code": 131030}}))
    with pytest.raises(SendFailed) as failed:
        await sender.send(MESSAGE)
    assert type(failed.value) is outcome
    assert f"answered {status}" in str(failed.value) and "EAAG-token" not in str(failed.value)


@pytest.mark.parametrize("answer", [
    httpx.Response(200, json={"messaging_product": "whatsapp"}),
    httpx.Response(201, json={"messages": []}),
    httpx.Response(202, text="accepted"),
])
async def test_a_cloud_2xx_without_a_message_id_is_sent_with_no_id_and_a_warning(
        answer: httpx.Response, caplog: pytest.LogCaptureFixture) -> None:
    sender, seen = _cloud(lambda _: answer)
    with caplog.at_level(logging.WARNING, "services.notifications.adapters.whatsapp_cloud"):
        assert await sender.send(MESSAGE) is None  # sent: not retried, no provider id
    assert len(seen) == 1
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "delivery 42 (follow_up_plan_requested)" in warning.getMessage()
    assert f"answered {answer.status_code} without messages[0].id" in warning.getMessage()
    assert "EAAG-token" not in warning.getMessage()


async def test_a_timeout_is_retried() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    sender, _ = _gateway(slow)
    with pytest.raises(SendFailed, match="ReadTimeout") as failed:
        await sender.send(MESSAGE)
    assert type(failed.value) is SendFailed


async def test_a_gateway_is_sent_the_token_the_number_and_the_text_as_a_form() -> None:
    sender, seen = _gateway(lambda _: httpx.Response(200, json={
        "detail": "success! message in queue", "id": ["80367170"], "process": "pending",
        "status": True, "target": ["6281234567890"]}))
    assert await sender.send(MESSAGE) == "80367170"
    [request] = seen
    assert (request.method, request.url.path) == ("POST", "/send")
    assert request.headers["authorization"] == "fonnte-token"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    form = dict(httpx.QueryParams(request.content.decode()))
    assert form == {"target": "6281234567890", "message": MESSAGE.text}


async def test_a_gateway_that_says_status_false_did_not_send_and_says_why() -> None:
    sender, _ = _gateway(lambda _: httpx.Response(200, json={"status": False,
                                                            "reason": "device disconnected"}))
    with pytest.raises(SendFailed, match="the gateway did not send: device disconnected"):
        await sender.send(MESSAGE)
    plain, _ = _gateway(lambda _: httpx.Response(200, text="OK"))
    assert await plain.send(MESSAGE) is None


async def test_the_channel_sends_what_was_recorded_with_the_delivery() -> None:
    provider = RecordingWhatsApp()
    delivery = Claimed(id=7, agreement_id=uuid4(), rule="milestone_overdue",
                       recipient="DISKUK", channel="whatsapp", address="+6281234567890",
                       subject="s", body="*Tahapan terlambat*\n", attempts=1,
                       payload={"type": "kerjasama.whatsapp.v1", "language": "en",
                                "parameters": ["Dinas KUK", "Milestone overdue"]})
    assert await WhatsAppChannel(provider).send(delivery) == "recorded.1"
    assert provider.sent == [WhatsAppMessage(7, "milestone_overdue", "+6281234567890", "en",
                                             "*Tahapan terlambat*\n",
                                             ("Dinas KUK", "Milestone overdue"))]
