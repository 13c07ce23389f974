"""The portal's view of an agreement's documents (pure): only public, current documents
not taken down are on the register; views stored before documents still load; sizes and
file types as readers see them."""

from __future__ import annotations

from uuid import UUID, uuid4

from hypothesis import given, settings

from contracts.commands import AttachDocument, UnpublishDocument
from contracts.common import Stage
from contracts.events import (
    AgreementDocumentAttached,
    AgreementDocumentUnpublished,
    AgreementEventData,
    AgreementProposed,
    AgreementSigned,
)
from contracts.examples import example_of
from services.portal.domain.register import PublicAgreement, evolve, from_json, to_json
from services.portal.entrypoints.pages import file_type, human_size
from tests.unit.test_agreement_builders import with_commands
from tests.unit.test_archive_boundaries import COMMANDS

PROPOSED = example_of(AgreementProposed)
AID = PROPOSED.agreement_id


def signed_view() -> PublicAgreement:
    return evolve(evolve(None, PROPOSED), example_of(AgreementSigned, agreement_id=AID,
                                                     version=6))


def attached(version: int, *, kind: str = "SIGNED", public: bool = True,
             supersedes: UUID | None = None, sha: str = "a") -> AgreementDocumentAttached:
    return example_of(AgreementDocumentAttached, agreement_id=AID, version=version,
                      document_id=uuid4(), kind=kind, public=public, supersedes=supersedes,
                      sha256=sha * 64, filename=f"dokumen-{version}.pdf")


def fold(view: PublicAgreement, *events: AgreementEventData) -> PublicAgreement:
    for event in events:
        view = evolve(view, event)
    return view


def test_only_public_documents_not_taken_down_are_on_the_register() -> None:
    public, private, minutes = (attached(7), attached(8, kind="DRAFT", public=False),
                                attached(9, kind="MINUTES", sha="b"))
    down = example_of(AgreementDocumentUnpublished, agreement_id=AID, version=10,
                      document_id=minutes.document_id)
    view = fold(signed_view(), public, private, minutes, down)
    assert [d.id for d in view.documents] == [public.document_id] and view.version == 10
    assert view.documents[0].filename == "dokumen-7.pdf"


def test_a_new_version_replaces_the_old_one_and_a_private_one_hides_it() -> None:
    first = attached(7)
    second = attached(8, supersedes=first.document_id, sha="b")
    study = attached(9, kind="STUDY_PRE", sha="c")
    private = attached(10, kind="STUDY_PRE", public=False, supersedes=study.document_id)
    view = fold(signed_view(), first, second, study, private)
    assert [d.id for d in view.documents] == [second.document_id]
    taken_down = evolve(view, example_of(AgreementDocumentUnpublished, agreement_id=AID,
                                         version=11, document_id=second.document_id))
    assert taken_down.documents == ()  # the older version does not come back


@settings(max_examples=200, deadline=None)
@given(commands=COMMANDS)
def test_the_register_lists_what_the_archive_holds_published_and_current(
        commands: list[AttachDocument | UnpublishDocument]) -> None:
    events, state = with_commands(Stage.SIGNED, commands)
    view = None
    for event in events:
        view = evolve(view, event)
    assert view is not None
    assert [(d.id, d.sha256) for d in view.documents] == [
        (d.id, d.sha256) for d in state.documents if d.published and d.current]


def test_documents_survive_storage_and_views_stored_before_them_still_load() -> None:
    view = fold(signed_view(), attached(7), attached(8, kind="OTHER", sha="d"))
    assert from_json(to_json(view)) == view
    old = to_json(signed_view())
    del old["documents"]
    assert from_json(old) == signed_view() and from_json(old).documents == ()


def test_sizes_and_file_types_read_as_people_write_them() -> None:
    assert [human_size(n, "id") for n in (583, 1000, 482_133, 1_234_567, 20_971_520)] == [
        "583 bita", "1 kB", "482,1 kB", "1,2 MB", "21 MB"]
    assert human_size(482_133, "en") == "482.1 kB" and human_size(9, "en") == "9 bytes"
    assert file_type("application/pdf") == "PDF"
    assert file_type("application/vnd.openxmlformats-officedocument.wordprocessingml."
                     "document") == "DOCX"
    assert file_type("application/x-unknown") == "application/x-unknown"
