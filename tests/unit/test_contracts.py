"""The public contract: every message round-trips, bad ones are refused by name."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from pydantic import BaseModel

from contracts import codec, generate
from contracts.commands import SignAgreement, command_type
from contracts.envelope import SOURCE_AGREEMENTS, routing_key_of, sequence_of
from contracts.events import EVENT_MODELS, AgreementSigned
from contracts.examples import example_of
from contracts.kpi import KpiUpdated, kpi_routing_key
from contracts.registry import MESSAGE_TYPES
from contracts.upcasting import read_as

WIB = ZoneInfo("Asia/Jakarta")
NOW = datetime(2021, 2, 18, 10, 0, tzinfo=WIB)


def _envelope(message_type: str, model: type[BaseModel]) -> Any:
    data = example_of(model)
    return codec.make_envelope(data, source=SOURCE_AGREEMENTS, time=NOW, subject="s-1",
                               message_type=message_type, sequence=sequence_of(3), position=42,
                               correlationid="cmd-1", causationid="cmd-1")


@pytest.mark.parametrize("message_type", sorted(MESSAGE_TYPES))
def test_every_message_type_round_trips_through_the_envelope(message_type: str) -> None:
    """A superseded version keeps its envelope and reads as the current version's data."""
    model, current = MESSAGE_TYPES[message_type], MESSAGE_TYPES[read_as(message_type)]
    envelope = _envelope(message_type, model)
    decoded = codec.decode(codec.encode(envelope))
    assert decoded.envelope == envelope
    assert decoded.type == message_type
    assert decoded.data == example_of(current)
    assert type(decoded.data) is current


@pytest.mark.parametrize("model", list(MESSAGE_TYPES.values()))
def test_every_field_is_described_with_an_example(model: type[BaseModel]) -> None:
    for name, field in model.model_fields.items():
        assert field.description, f"{model.__name__}.{name} has no description"
        assert field.examples, f"{model.__name__}.{name} has no example"


@pytest.mark.parametrize("model", EVENT_MODELS)
def test_every_event_carries_stage_and_version(model: type[BaseModel]) -> None:
    assert {"stage", "version"} <= set(model.model_fields)


def test_routing_keys_follow_the_type() -> None:
    assert routing_key_of(AgreementSigned.event_type) == "agreement.signed"
    assert command_type(SignAgreement) == "kerjasama.agreement.sign.v1"
    assert routing_key_of(command_type(SignAgreement)) == SignAgreement.routing_key
    kpi = example_of(KpiUpdated, scope="opd:DISKUK")
    assert kpi_routing_key(kpi) == "kpi.realization.2021.opd:DISKUK"


def test_sequence_is_a_zero_padded_decimal() -> None:
    assert sequence_of(7) == "0000000007"
    assert sorted([sequence_of(10), sequence_of(9)]) == [sequence_of(9), sequence_of(10)]


def _raw(**changes: Any) -> dict[str, Any]:
    raw = json.loads(codec.encode(_envelope(AgreementSigned.event_type, AgreementSigned)))
    raw.update(changes)
    return dict(raw)


def test_an_unknown_type_is_refused_by_name() -> None:
    with pytest.raises(codec.UnknownMessageType, match=r"kerjasama\.agreement\.teleported\.v1"):
        codec.decode(_raw(type="kerjasama.agreement.teleported.v1"))


def test_a_wrong_version_is_refused_with_the_known_ones() -> None:
    with pytest.raises(codec.UnsupportedVersion, match=r"v7 .*known: v1") as err:
        codec.decode(_raw(type="kerjasama.agreement.signed.v7"))
    assert err.value.message_type == "kerjasama.agreement.signed.v7"


def test_an_invalid_field_is_refused_naming_type_and_field() -> None:
    raw = _raw()
    raw["data"]["signatory"]["role"] = "MAYOR"
    with pytest.raises(codec.InvalidData) as err:
        codec.decode(raw)
    assert err.value.message_type == "kerjasama.agreement.signed.v1"
    assert err.value.field == "signatory.role"
    assert "signatory.role" in str(err.value)


def test_a_missing_field_is_refused_naming_it() -> None:
    raw = _raw()
    del raw["data"]["effective_until"]
    with pytest.raises(codec.InvalidData, match="effective_until"):
        codec.decode(raw)


def test_an_unexpected_event_field_is_ignored_and_an_unexpected_command_field_refused() -> None:
    raw = _raw()
    raw["data"]["surprise"] = 1
    assert "surprise" not in codec.decode(raw).data.model_dump()
    command = _raw(type="kerjasama.agreement.review.v1",
                   data={"command_id": "c1", "agreement_id": str(uuid4()), "surprise": 1})
    with pytest.raises(codec.InvalidData, match="surprise"):
        codec.decode(command)


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b"\xff\xfe"])
def test_a_body_that_is_not_a_json_object_is_refused(body: bytes) -> None:
    with pytest.raises(codec.NotJson):
        codec.decode(body)


def test_a_malformed_envelope_is_refused_naming_the_attribute() -> None:
    with pytest.raises(codec.InvalidEnvelope) as err:
        codec.decode(_raw(id="not-a-uuid"))
    assert err.value.field == "id"
    with pytest.raises(codec.InvalidEnvelope, match="specversion"):
        codec.decode(_raw(specversion="0.3"))


def test_unknown_cloudevent_extensions_are_tolerated() -> None:
    decoded = codec.decode(_raw(traceparent="00-abc-def-01"))
    assert decoded.type == AgreementSigned.event_type


def test_agency_codes_cannot_break_routing_keys() -> None:
    with pytest.raises(codec.InvalidData, match="scope"):
        codec.validate_data(KpiUpdated.event_type,
                            example_of(KpiUpdated).model_dump() | {"scope": "opd:A.B"})


def test_committed_schemas_and_asyncapi_are_current() -> None:
    assert generate.stale_files() == [], "run: python -m contracts.generate"


def test_a_model_change_without_regenerating_is_detected(monkeypatch: pytest.MonkeyPatch) -> None:
    class ChangedSigned(AgreementSigned):
        """The signed event with a new field."""

        witness: str | None = None

    monkeypatch.setitem(MESSAGE_TYPES, AgreementSigned.event_type, ChangedSigned)
    stale = generate.stale_files()
    assert generate.SCHEMAS / "kerjasama.agreement.signed.v1.json" in stale


def test_amqp_parts_are_structured_mode() -> None:
    envelope = _envelope(AgreementSigned.event_type, AgreementSigned)
    parts = codec.to_amqp(envelope)
    assert parts.content_type == "application/cloudevents+json"
    assert parts.routing_key == "agreement.signed"
    assert parts.message_id == str(envelope.id)
    assert codec.decode(parts.body).envelope == envelope


def test_make_envelope_needs_a_type_for_models_without_one() -> None:
    with pytest.raises(ValueError, match="event_type"):
        codec.make_envelope(example_of(SignAgreement, agreement_id=uuid4()),
                            source=SOURCE_AGREEMENTS, time=NOW)
