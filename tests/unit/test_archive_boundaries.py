"""What the archive accepts, every consumer can process: any file name a client sends
becomes one the contract allows, and every document event the decider makes crosses the
wire and folds into reporting's, notifications' and the portal's views."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from contracts import codec
from contracts.commands import AttachDocument, UnpublishDocument
from contracts.common import Stage
from contracts.documents import MEDIA_TYPES, DocumentKind, FileName
from contracts.events import AgreementEventData, AgreementProposed
from services.agreements.adapters.content import safe_filename
from services.notifications.domain import evolve as notifications_evolve
from services.portal.domain.register import evolve as portal_evolve
from services.reporting.domain.facts import evolve as reporting_evolve
from tests.unit.test_agreement_builders import cmd, with_commands

FILE_NAME = TypeAdapter(FileName)
IDS = [UUID(int=n) for n in range(1, 5)]


@settings(max_examples=500)
@given(raw=st.one_of(st.text(), st.text(alphabet=st.characters(codec="utf-8"), max_size=400),
                     st.just("../../etc/passwd"), st.just("C:\\Windows\\x.pdf")),
       media_type=st.sampled_from(sorted(MEDIA_TYPES)))
def test_any_file_name_becomes_one_the_contract_allows(raw: str, media_type: str) -> None:
    name = safe_filename(raw, media_type)
    assert FILE_NAME.validate_python(name) == name
    assert "/" not in name and "\\" not in name and not name.startswith(".")
    assert safe_filename(name, media_type) == name


def _wire(event: AgreementEventData, stream: str) -> AgreementEventData:
    """The event as a consumer decodes it off the wire."""
    envelope = codec.make_envelope(event, source="urn:test", subject=stream,
                                   time=datetime(2022, 2, 1, tzinfo=UTC),
                                   sequence=f"{event.version:010d}")
    data = codec.decode(codec.encode(envelope)).data
    assert isinstance(data, AgreementEventData)
    return data


COMMANDS = st.lists(st.one_of(
    st.builds(lambda i, k, p, s: cmd(AttachDocument, document_id=i, kind=k, public=p,
                                     supersedes=s),
              st.sampled_from(IDS), st.sampled_from(DocumentKind), st.booleans(),
              st.none() | st.sampled_from(IDS)),
    st.builds(lambda i: cmd(UnpublishDocument, document_id=i, reason=None),
              st.sampled_from(IDS))), min_size=1, max_size=10)


@settings(max_examples=100, deadline=None)
@given(stage=st.sampled_from([Stage.PROPOSED, Stage.READY_TO_SIGN, Stage.SIGNED,
                              Stage.TERMINATED]), commands=COMMANDS)
def test_every_consumer_folds_the_document_events(
        stage: Stage, commands: list[AttachDocument | UnpublishDocument]) -> None:
    events, state = with_commands(stage, commands)
    stream = str(state.id)
    wired = [_wire(e, stream) for e in events]
    assert isinstance(wired[0], AgreementProposed)
    reporting = notifications = portal = None
    for event in wired:
        reporting = reporting_evolve(reporting, event)
        notifications = notifications_evolve(notifications, event, date(2022, 2, 1))
        portal = portal_evolve(portal, event)
    assert reporting is not None and notifications is not None and portal is not None
    assert reporting.version == notifications.version == portal.version == state.version
    assert reporting.stage == notifications.stage == state.stage
