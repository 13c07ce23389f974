"""What the writer accepts, every reader can process (docs/domain.md#boundaries): one business-date
domain, one-line short text, lenient reading of stored events, subjects no text can break."""

from __future__ import annotations

import json
import typing
from dataclasses import replace
from datetime import date
from email import message_from_bytes
from typing import Any
from uuid import uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from contracts.codec import UnsupportedVersion, decode
from contracts.commands import COMMAND_MODELS, ProposeAgreementBody, SignBody
from contracts.common import (
    BUSINESS_DATE_MAX,
    BUSINESS_DATE_MIN,
    LongText,
    ReasonText,
    ShortText,
    Stage,
    add_days,
    one_line,
)
from contracts.events import UnknownEvent
from contracts.examples import example_value
from contracts.kpi import KpiUpdated
from services.notifications.adapters.deliveries import Claimed
from services.notifications.adapters.email import SmtpSender
from services.notifications.adapters.templates import Renderer
from services.notifications.domain import (
    AgreementView,
    Notice,
    Policy,
    Rule,
    late_entries_digest,
)
from tests.unit.test_notifications_messages import VIEW

CONTROLS = ["\r", "\n", "\x0b", "\x0c", "\x85", "\u2028", "\u2029", "\x00", "\x1b", "\x7f",
            "\x9f"]


def _mentions(annotation: object, wanted: type) -> bool:
    if annotation is wanted:
        return True
    return any(_mentions(arg, wanted) for arg in typing.get_args(annotation))


def _fields_of(model: type[BaseModel], wanted: type) -> list[str]:
    """Every field whose type is (or may be) ``wanted``."""
    return [name for name, info in model.model_fields.items()
            if _mentions(info.annotation, wanted)]


def example(model: type[BaseModel]) -> dict[str, Any]:
    """The documented example values of a model's fields, as JSON-ready data."""
    values = {name: example_value(model, name, f) for name, f in model.model_fields.items()}
    return json.loads(json.dumps(values, default=str))


def _command_with(model: type[BaseModel], **changes: Any) -> dict[str, Any]:
    values = example(model)
    values.update(changes)
    return values


DATE_FIELDS = [(model, field) for model in COMMAND_MODELS
               for field in _fields_of(model, date)]


def test_every_date_field_of_every_command_is_a_business_date() -> None:
    names = {f"{m.__name__}.{f}" for m, f in DATE_FIELDS}
    assert {"ProposeAgreement.proposed_on", "SignAgreement.signed_on",
            "SignAgreement.effective_until", "RecordFollowUp.on",
            "DiscussAgreement.held_on", "ApproveAgreement.approved_on",
            "TerminateAgreement.on", "ExpireAgreement.on"} <= names


@pytest.mark.parametrize(("model", "field"), DATE_FIELDS,
                         ids=[f"{m.__name__}.{f}" for m, f in DATE_FIELDS])
@pytest.mark.parametrize("day", ["0001-01-01", "1900-06-01", "1979-12-31", "2100-01-01",
                                 "9999-12-31"])
def test_a_date_outside_the_domain_is_refused_naming_the_field(
        model: type[BaseModel], field: str, day: str) -> None:
    with pytest.raises(ValidationError) as refused:
        model.model_validate(_command_with(model, **{field: day}))
    assert refused.value.errors()[0]["loc"] == (field,)
    assert "business-date domain" in str(refused.value)


@pytest.mark.parametrize(("model", "field"), DATE_FIELDS,
                         ids=[f"{m.__name__}.{f}" for m, f in DATE_FIELDS])
def test_the_ends_of_the_domain_are_accepted(model: type[BaseModel], field: str) -> None:
    for day in (BUSINESS_DATE_MIN, BUSINESS_DATE_MAX):
        assert getattr(model.model_validate(_command_with(model, **{field: day})), field) == day


def test_milestone_due_dates_and_years_keep_to_the_domain() -> None:
    plan = example(COMMAND_MODELS[9])
    plan["milestones"][0]["due_on"] = "1979-12-31"
    with pytest.raises(ValidationError, match="business-date domain"):
        COMMAND_MODELS[9].model_validate(plan)
    for year in (1979, 2100):
        with pytest.raises(ValidationError, match="business-date domain"):
            ProposeAgreementBody.model_validate(_command_with(ProposeAgreementBody,
                                                              plan_year=year))
        with pytest.raises(ValidationError, match="business-date domain"):
            KpiUpdated.model_validate(example(KpiUpdated) | {"year": year})
    assert KpiUpdated.model_validate(example(KpiUpdated) | {"year": 1980}).year == 1980


SHORT_FIELDS = [(ProposeAgreementBody, "title"), (ProposeAgreementBody, "sector"),
                (SignBody, "number")]


@pytest.mark.parametrize("char", CONTROLS, ids=[f"U+{ord(c):04X}" for c in CONTROLS])
@pytest.mark.parametrize(("model", "field"), SHORT_FIELDS,
                         ids=[f"{m.__name__}.{f}" for m, f in SHORT_FIELDS])
def test_short_text_refuses_control_characters_and_separators(
        model: type[BaseModel], field: str, char: str) -> None:
    with pytest.raises(ValidationError) as refused:
        model.model_validate(_command_with(model, **{field: f"Galeri{char}UMKM"}))
    assert refused.value.errors()[0]["loc"] == (field,)
    assert f"U+{ord(char):04X}" in str(refused.value)


@pytest.mark.parametrize("char", CONTROLS, ids=[f"U+{ord(c):04X}" for c in CONTROLS])
def test_names_in_nested_objects_refuse_control_characters(char: str) -> None:
    body = _command_with(ProposeAgreementBody)
    body["partner"] = body["partner"] | {"name": f"blibli{char}com"}
    with pytest.raises(ValidationError) as refused:
        ProposeAgreementBody.model_validate(body)
    assert refused.value.errors()[0]["loc"] == ("partner", "name")
    sign = _command_with(SignBody, signatory={"name": f"Ridwan{char}Kamil", "role": "GOVERNOR"})
    with pytest.raises(ValidationError):
        SignBody.model_validate(sign)


def test_long_text_keeps_line_feeds_and_tabs_and_normalises_crlf() -> None:
    body = ProposeAgreementBody.model_validate(_command_with(
        ProposeAgreementBody, objective="Satu\r\nDua\n\tTiga  "))
    assert body.objective == "Satu\nDua\n\tTiga"


@pytest.mark.parametrize("char", ["\r", "\x0b", "\x0c", "\x85", "\u2028", "\u2029", "\x1b"])
def test_long_text_refuses_a_lone_cr_and_other_breaks(char: str) -> None:
    with pytest.raises(ValidationError) as refused:
        ProposeAgreementBody.model_validate(_command_with(ProposeAgreementBody,
                                                          objective=f"Satu{char}Dua"))
    assert refused.value.errors()[0]["loc"] == ("objective",)


def test_blank_text_is_refused_after_trimming() -> None:
    with pytest.raises(ValidationError, match="empty"):
        ProposeAgreementBody.model_validate(_command_with(ProposeAgreementBody, title="   "))


def _stored_event(**data_changes: Any) -> dict[str, Any]:
    from contracts.events import AgreementProposed

    data = example(AgreementProposed) | data_changes
    return {"specversion": "1.0", "id": str(uuid4()), "source": "/kerjasama/agreements",
            "type": AgreementProposed.event_type, "subject": data["agreement_id"],
            "time": "2021-01-11T10:00:00+07:00", "data": data, "sequence": "0000000001",
            "position": 1}


def test_a_stored_event_the_contract_now_refuses_is_still_read() -> None:
    stored = _stored_event(title="Judul\rlama", proposed_on="0001-01-01", plan_year=1901,
                           added_later="ignored")
    decoded = decode(json.dumps(stored))
    assert decoded.data.title == "Judul\rlama"  # type: ignore[attr-defined]
    assert decoded.data.proposed_on == date(1, 1, 1)  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="title"):
        decode(json.dumps(stored), strict=True)


def test_an_unknown_event_type_of_a_known_family_is_stepped_over_by_readers() -> None:
    stored = _stored_event() | {"type": "kerjasama.agreement.archived.v1"}
    assert isinstance(decode(json.dumps(stored), unknown_events=True).data, UnknownEvent)
    with pytest.raises(ValueError, match="unknown"):
        decode(json.dumps(stored))
    newer = _stored_event() | {"type": "kerjasama.agreement.proposed.v9"}
    with pytest.raises(UnsupportedVersion):
        decode(json.dumps(newer), unknown_events=True)


def test_date_arithmetic_at_the_ends_of_the_calendar_does_not_overflow() -> None:
    assert add_days(date.min, -90) == date.min
    assert add_days(date.max, 1) == date.max
    assert add_days(date(2021, 1, 1), 30) == date(2021, 1, 31)


def _email_of(view: AgreementView, rule: Rule, language: str) -> bytes:
    facts: dict[str, str | int | None] = {
        "days": 30, "semester": 1, "year": 2021, "milestone": view.title, "reason": view.title,
        "proposed_on": "2021-01-11", "signed_on": "2021-04-20", "number": view.number,
        "last_activity_on": "2021-04-20"}
    about: AgreementView | None = view
    if rule == Rule.FIGURE_RESTATED:  # about a figure, not an agreement
        about, facts = None, {
            "indicator": view.title, "year": 2021, "previous_value": view.title,
            "value": "70", "numerator": "70", "denominator": 100, "target": None,
            "revision": 2, "as_of_position": 400, "recorded_on": "2023-01-10"}
    if rule in (Rule.MAPPING_DUE, Rule.MAPPING_MISSING):  # about a year's mapping
        about, facts = None, {"year": 2021, "due_on": "2021-03-31", "opd": view.title,
                              "count": 2, "agencies": view.title}
    notice: Notice | None = Notice(rule, "x", (), due_on=date(2021, 5, 20), facts=facts)
    if rule == Rule.LATE_ENTRIES_DIGEST:  # a list: an open proposal and a signed agreement
        today = date(2026, 11, 30)
        pending = replace(view, stage=Stage.IN_REVIEW, recorded_on=date(2026, 11, 29),
                          signed_on=None, signing_recorded_on=None)
        signed = replace(view, signing_recorded_on=today, effective_until=date(2028, 1, 1))
        about, notice = None, late_entries_digest([pending, signed], today, Policy())
    assert notice is not None
    message = Renderer().render(notice, about, view.partner_name, language)
    claimed = Claimed(id=1, agreement_id=view.id, rule=rule.value, recipient="BIRO_PEM",
                      channel="email", address="biro@example.org", subject=message.subject,
                      body=message.text, payload={"title": view.title}, attempts=0)
    return SmtpSender("127.0.0.1", 25, "kerjasama@example.org").message(claimed).as_bytes()


@settings(max_examples=150, deadline=None)
@given(text=st.text(min_size=1, max_size=60), rule=st.sampled_from(list(Rule)),
       language=st.sampled_from(["id", "en"]))
def test_no_stored_text_breaks_an_email(text: str, rule: Rule, language: str) -> None:
    view = replace(VIEW, title=text, partner_name=text, number=text)
    raw = _email_of(view, rule, language)
    parsed = message_from_bytes(raw)
    headers = [key for key, _ in parsed.items()]
    assert headers[:3] == ["From", "To", "Subject"]
    assert "\n" not in str(parsed["Subject"]).replace("\n ", "")
    assert parsed.get_payload(decode=True)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_text_the_writer_accepts_is_one_line_where_it_must_be(text: str) -> None:
    for annotation in (ShortText, ReasonText):
        try:
            accepted = _validate(annotation, text)
        except ValidationError:
            continue
        assert one_line(accepted) == accepted
    try:
        long = _validate(LongText, text)
    except ValidationError:
        return
    assert "\r" not in long and all(c in "\n\t" or c.isprintable() or c.isspace()
                                    for c in long if ord(c) < 0xA0)


def _validate(annotation: Any, value: str) -> str:
    from pydantic import TypeAdapter

    result: str = TypeAdapter(annotation).validate_python(value)
    return result
