"""agreement.proposed.v2: stored v1 proposals are served as stored and read as v2, with the
partner id a new proposal gets (contracts/upcasting.py, contracts/partners.py)."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts import codec, upcasting
from contracts.common import Kind, Partner, PartnerCategory
from contracts.envelope import SOURCE_AGREEMENTS, CloudEvent, sequence_of
from contracts.events import (
    EVENT_MODELS,
    SUPERSEDED_EVENT_MODELS,
    AgreementProposed,
    AgreementProposedV1,
    UnknownEvent,
)
from contracts.examples import example_of
from contracts.partners import PARTNER_NAMESPACE, normalised_partner_name, partner_id_of
from contracts.registry import KNOWN_VERSIONS, MESSAGE_TYPES
from contracts.upcasting import UPCASTERS, read_as, upcast, upcast_agreement_proposed_v1_v2
from tests.unit.test_agreement_builders import events_of, propose_cmd

NOW = datetime(2021, 1, 11, 10, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
V1 = AgreementProposedV1.event_type
V2 = AgreementProposed.event_type


def as_stored_before_v2(event: AgreementProposed) -> dict[str, Any]:
    """The data the release before v2 wrote for this proposal: everything but partner_id."""
    data: dict[str, Any] = event.model_dump(mode="json", exclude={"partner_id"})
    return data


def stored_envelope(data: dict[str, Any], message_type: str = V1) -> Any:
    return CloudEvent(
        id=uuid4(), source=SOURCE_AGREEMENTS, type=message_type, subject=data["agreement_id"],
        time=NOW, data=data, sequence=sequence_of(1), position=7, correlationid="cmd-1")


def proposed_by_the_decider(partner: Partner, kind: Kind = Kind.KSDPK) -> AgreementProposed:
    (event,) = events_of(None, propose_cmd(partner=partner, kind=kind))
    assert isinstance(event, AgreementProposed)
    return event


def read_as_stored_today(event: AgreementProposed) -> Any:
    """The event as a reader gets it once the service stored it (as v2, today)."""
    return codec.validate_data(V2, event.model_dump(mode="json"))


# --- decoding a stored v1 -------------------------------------------------------------


def test_new_proposals_are_v2_with_the_partner_id_of_name_and_country() -> None:
    event = proposed_by_the_decider(Partner(name="PT. Bank  BJB", category="THIRD_PARTY",
                                            country="ID"))
    assert event.event_type == "kerjasama.agreement.proposed.v2"
    assert event.partner_id == partner_id_of("pt bank bjb", "id")
    assert event.partner.name == "PT. Bank  BJB"  # the snapshot stays as proposed


def test_a_stored_v1_proposal_decodes_to_the_v2_event_the_decider_writes_today() -> None:
    today = proposed_by_the_decider(Partner(name="PT. Bank  BJB", category="THIRD_PARTY",
                                            country="ID"))
    body = codec.encode(stored_envelope(as_stored_before_v2(today)))
    assert b"partner_id" not in body

    decoded = codec.decode(body)

    assert type(decoded.data) is AgreementProposed
    assert decoded.data == read_as_stored_today(today)
    assert decoded.data.model_dump(mode="json") == today.model_dump(mode="json")
    assert decoded.type == V1  # what arrived, for metrics, parking and logs
    assert decoded.envelope.type == V1
    assert "partner_id" not in decoded.envelope.data


def test_the_feed_form_stays_as_stored_through_decode_and_encode() -> None:
    stored = stored_envelope(as_stored_before_v2(example_of(AgreementProposed)))
    body = codec.encode(stored)

    decoded = codec.decode(body, unknown_events=True)

    assert codec.encode(decoded.envelope) == body
    assert codec.to_amqp(decoded.envelope).routing_key == "agreement.proposed"
    assert codec.to_amqp(codec.make_envelope(
        example_of(AgreementProposed), source=SOURCE_AGREEMENTS, time=NOW)
    ).routing_key == "agreement.proposed"


def test_validate_data_reads_a_v1_body_as_v2_leniently_and_strictly() -> None:
    data = as_stored_before_v2(example_of(AgreementProposed))
    for strict in (False, True):
        read = codec.validate_data(V1, data, strict=strict)
        assert read == example_of(AgreementProposed)


def test_a_v1_body_that_already_names_a_partner_id_gets_the_derived_one() -> None:
    data = as_stored_before_v2(example_of(AgreementProposed)) | {"partner_id": str(uuid4())}
    read = codec.validate_data(V1, data)
    assert read.partner_id == partner_id_of("blibli.com", "ID")  # type: ignore[attr-defined]


def test_a_v2_body_without_partner_id_is_refused_naming_the_field() -> None:
    data = as_stored_before_v2(example_of(AgreementProposed))
    with pytest.raises(codec.InvalidData) as refused:
        codec.validate_data(V2, data)
    assert refused.value.field == "partner_id"


def test_a_v1_body_with_a_broken_partner_is_refused_naming_the_partner() -> None:
    data = as_stored_before_v2(example_of(AgreementProposed))
    data["partner"] = {"category": "THIRD_PARTY", "country": "ID"}
    with pytest.raises(codec.InvalidData) as refused:
        codec.validate_data(V1, data)
    assert refused.value.field == "partner.name"
    assert refused.value.message_type == V1  # named as stored


def test_an_unknown_version_is_still_refused_and_an_unknown_type_stepped_over() -> None:
    raw = json.loads(codec.encode(stored_envelope(
        as_stored_before_v2(example_of(AgreementProposed)))))
    with pytest.raises(codec.UnsupportedVersion, match=r"v9 .*known: v1, v2"):
        codec.decode(raw | {"type": "kerjasama.agreement.proposed.v9"}, unknown_events=True)
    archived = codec.decode(raw | {"type": "kerjasama.agreement.archived.v1"},
                            unknown_events=True)
    assert isinstance(archived.data, UnknownEvent)


# --- the upcaster and the chain -------------------------------------------------------


def test_the_upcaster_does_not_change_its_input() -> None:
    data = as_stored_before_v2(example_of(AgreementProposed))
    before = copy.deepcopy(data)

    upcast_agreement_proposed_v1_v2(data)
    upcast(V1, data)
    codec.validate_data(V1, data)

    assert data == before


def test_upcast_leaves_a_current_type_alone() -> None:
    data = example_of(AgreementProposed).model_dump(mode="json")
    assert upcast(V2, data) == (V2, data)
    assert read_as(V2) == V2 and read_as(V1) == V2


def test_every_superseded_event_reads_as_a_current_one() -> None:
    current = {m.event_type for m in EVENT_MODELS}
    assert {m.event_type for m in SUPERSEDED_EVENT_MODELS} <= set(UPCASTERS)
    for message_type in UPCASTERS:
        assert message_type in MESSAGE_TYPES
        assert read_as(message_type) in current


def test_both_versions_are_known_and_keep_their_own_schema_model() -> None:
    assert KNOWN_VERSIONS["agreement.proposed"] == {1, 2}
    assert codec.model_for(V1) is AgreementProposedV1
    assert codec.model_for(V2) is AgreementProposed
    assert "partner_id" not in AgreementProposedV1.model_fields
    # v2 added partner_id; the planning fields came later, additive within v2
    assert set(AgreementProposed.model_fields) == {
        *AgreementProposedV1.model_fields, "partner_id", "priority", "mapping_item_id",
        "value_cash", "value_in_kind"}


def test_a_next_step_is_one_entry_and_a_v1_runs_through_both(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def v2_v3(data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "partner": data["partner"]["name"]}

    monkeypatch.setitem(UPCASTERS, V2, v2_v3)
    data = as_stored_before_v2(example_of(AgreementProposed))

    message_type, read = upcasting.upcast(V1, data)

    assert message_type == "kerjasama.agreement.proposed.v3"
    assert read["partner"] == "blibli.com"
    assert read["partner_id"] == str(partner_id_of("blibli.com", "ID"))


# --- partner ids ----------------------------------------------------------------------


@pytest.mark.parametrize(("name", "normalised"), [
    ("PT. Bank  BJB", "pt bank bjb"),
    ("pt bank bjb", "pt bank bjb"),
    ("  PT Bank_BJB (Persero), Tbk. ", "pt bank bjb persero tbk"),
    ("blibli.com", "blibli com"),
    ("Straße GmbH", "strasse gmbh"),
    ("\uff2a\uff29\uff23\uff21", "jica"),  # fullwidth JICA (NFKC)
    ("Kabupaten\u00a0Bogor", "kabupaten bogor"),  # no-break space
    ("Kementerian\u2014Dalam\u2013Negeri", "kementerian dalam negeri"),  # em, en dash
    ("Provinsi 경기도", "provinsi 경기도"),
    ("Café", "café"),
    ("Cafe\u0301", "café"),  # combining acute composes (NFKC)
    ("Ⅻ Mitra", "xii mitra"),  # a roman numeral is a number
    ("\u01f0", "\u01f0"),  # casefolding decomposes it; NFKC again composes it back
    ("J\u030c", "\u01f0"),  # the same letter written as J and a combining caron
    ("...", ""),
])
def test_partner_names_are_compared_normalised(name: str, normalised: str) -> None:
    assert normalised_partner_name(name) == normalised


def test_spellings_of_one_partner_share_an_id_and_other_partners_do_not() -> None:
    assert partner_id_of("PT. Bank  BJB", "ID") == partner_id_of("pt bank bjb", "id")
    assert partner_id_of("PT. Bank  BJB", "ID") != partner_id_of("PT. Bank  BJB", "MY")
    assert partner_id_of("PT Bank BJB", "ID") != partner_id_of("PT Bank BJB Syariah", "ID")


def test_partner_ids_are_fixed_for_good() -> None:
    """A later partner registry adopts these ids: the namespace and the algorithm may not
    change."""
    assert PARTNER_NAMESPACE == uuid5(NAMESPACE_URL, "urn:kerjasama:partner")
    assert partner_id_of("blibli.com", "ID") == uuid5(PARTNER_NAMESPACE, "blibli com|ID")
    assert partner_id_of("blibli.com", "ID") == UUID("67ff4846-50bd-5f24-908f-71a2d23e8174")
    assert str(partner_id_of("blibli.com", "ID")) in \
        (AgreementProposed.model_fields["partner_id"].examples or [])


# --- properties -----------------------------------------------------------------------

COUNTRIES = st.from_regex(r"[A-Z]{2}", fullmatch=True)
ONE_LINE = st.characters(blacklist_categories=("Cc", "Cs"),
                         blacklist_characters="\u2028\u2029")
NAMES = st.text(ONE_LINE, min_size=1, max_size=80).filter(normalised_partner_name)
"""Names a command accepts: with a letter or a digit (stored events may hold any name:
the property below)."""


@settings(max_examples=200, deadline=None)
@given(name=NAMES, country=COUNTRIES)
def test_a_stored_v1_of_any_partner_reads_as_what_the_decider_writes_today(
        name: str, country: str) -> None:
    domestic = country == "ID"
    partner = Partner(name=name, country=country, category=PartnerCategory.THIRD_PARTY
                      if domestic else PartnerCategory.FOREIGN_INSTITUTION)
    today = proposed_by_the_decider(partner, Kind.KSDPK if domestic else Kind.KSDLL)
    stored = as_stored_before_v2(today)

    decoded = codec.decode(codec.encode(stored_envelope(stored)))

    assert decoded.data == read_as_stored_today(today)
    assert decoded.data.partner_id == partner_id_of(name, country)  # type: ignore[attr-defined]
    assert decoded.envelope.data == stored


@settings(max_examples=200, deadline=None)
@given(name=st.text(max_size=80), country=st.text(max_size=3))
def test_upcasting_any_stored_v1_adds_exactly_the_partner_id(name: str, country: str) -> None:
    data = as_stored_before_v2(example_of(AgreementProposed))
    data["partner"] = {**data["partner"], "name": name, "country": country}

    message_type, read = upcast(V1, data)

    assert message_type == V2
    assert read == data | {"partner_id": str(partner_id_of(name, country))}


@settings(max_examples=300, deadline=None)
@given(name=st.text(max_size=80), country=COUNTRIES)
def test_normalising_is_stable_and_ignores_case_spacing_and_punctuation(
        name: str, country: str) -> None:
    once = normalised_partner_name(name)
    assert normalised_partner_name(once) == once
    assert partner_id_of(name, country) == partner_id_of(once, country.lower())
    assert partner_id_of(f" ({name}). ", country) == partner_id_of(name, country)
