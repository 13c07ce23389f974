"""The archive's rules (services/agreements/domain/archive.py) against a model of them,
over random sequences of attachments and takedowns from every stage."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.commands import AttachDocument, SignAgreement, UnpublishDocument
from contracts.common import Stage
from contracts.documents import DocumentKind
from services.agreements.domain import DecisionContext, DomainError, decide, evolve
from services.agreements.domain.errors import (
    DocumentAlreadyAttached,
    DocumentAlreadySuperseded,
    DocumentNotFound,
    DocumentNotPublic,
    SignedTextExists,
    SignedTextMissing,
    SupersededKindMismatch,
)
from tests.unit.test_agreement_builders import CTX, agreement_in, cmd

IDS = [UUID(int=n) for n in range(1, 7)]
AFTER_SIGNING = {Stage.SIGNED, Stage.TERMINATED, Stage.EXPIRED}


@dataclass
class Doc:
    kind: DocumentKind
    public: bool
    superseded: bool = False
    down: bool = False


@dataclass
class Model:
    """What the archive should hold, kept apart from the decider."""

    stage: Stage
    docs: dict[UUID, Doc] = field(default_factory=dict)

    def attach(self, c: AttachDocument) -> type[DomainError] | None:
        if c.document_id in self.docs:
            return DocumentAlreadyAttached
        old = self.docs.get(c.supersedes) if c.supersedes else None
        if c.supersedes is not None:
            if old is None:
                return DocumentNotFound
            if old.superseded:
                return DocumentAlreadySuperseded
            if old.kind is not c.kind:
                return SupersededKindMismatch
        signed_now = any(d.kind is DocumentKind.SIGNED and not d.superseded
                         for d in self.docs.values())
        if (c.kind is DocumentKind.SIGNED and c.supersedes is None
                and self.stage in AFTER_SIGNING and signed_now):
            return SignedTextExists
        if old is not None:
            old.superseded = True
        self.docs[c.document_id] = Doc(c.kind, c.public)
        return None

    def unpublish(self, c: UnpublishDocument) -> type[DomainError] | None:
        doc = self.docs.get(c.document_id)
        if doc is None:
            return DocumentNotFound
        if not doc.public or doc.down:
            return DocumentNotPublic
        doc.down = True
        return None


def attach_cmd(document_id: UUID, kind: DocumentKind, public: bool = False,
               supersedes: UUID | None = None) -> AttachDocument:
    return cmd(AttachDocument, document_id=document_id, kind=kind, public=public,
               supersedes=supersedes)


ATTACH = st.builds(attach_cmd, st.sampled_from(IDS),
                   st.sampled_from([DocumentKind.SIGNED] * 3 + list(DocumentKind)),
                   st.booleans(), st.none() | st.sampled_from(IDS))
UNPUBLISH = st.builds(lambda i: cmd(UnpublishDocument, document_id=i, reason=None),
                      st.sampled_from(IDS))


@settings(max_examples=300, deadline=None)
@given(stage=st.sampled_from(Stage),
       commands=st.lists(st.one_of(ATTACH, ATTACH, UNPUBLISH), min_size=1, max_size=12))
def test_the_archive_follows_its_rules_in_every_stage(
        stage: Stage, commands: list[AttachDocument | UnpublishDocument]) -> None:
    state = agreement_in(stage)
    model = Model(stage)
    for command in commands:
        expected = (model.attach(command) if isinstance(command, AttachDocument)
                    else model.unpublish(command))
        try:
            [event] = decide(command, state, CTX)
        except DomainError as refusal:
            assert type(refusal) is expected, f"{command!r}: {refusal!r}"
            continue
        assert expected is None, f"{command!r} accepted, {expected} expected"
        state = evolve(state, event)
        assert (state.stage, state.version) == (stage, event.version)
    held = {d.id: d for d in state.documents}
    assert held.keys() == model.docs.keys()
    for document_id, doc in model.docs.items():
        kept = held[document_id]
        assert (kept.kind, kept.current, kept.published) == (
            doc.kind, not doc.superseded, doc.public and not doc.down)


def test_signing_requires_the_signed_text_only_when_the_province_says_so() -> None:
    ready = agreement_in(Stage.READY_TO_SIGN)
    strict = DecisionContext(today=CTX.today, require_signed_text=True)
    sign = cmd(SignAgreement)
    assert decide(sign, ready, CTX)[0].stage is Stage.SIGNED
    with pytest.raises(SignedTextMissing):
        decide(sign, ready, strict)
    draft = evolve(ready, decide(attach_cmd(IDS[0], DocumentKind.DRAFT), ready, CTX)[0])
    with pytest.raises(SignedTextMissing):
        decide(sign, draft, strict)
    with_text = evolve(draft, decide(attach_cmd(IDS[1], DocumentKind.SIGNED), draft, CTX)[0])
    assert decide(sign, with_text, strict)[0].stage is Stage.SIGNED


def test_a_superseded_signed_text_no_longer_counts_but_its_successor_does() -> None:
    state = agreement_in(Stage.SIGNED)
    for command in (attach_cmd(IDS[0], DocumentKind.SIGNED),
                    attach_cmd(IDS[1], DocumentKind.SIGNED, supersedes=IDS[0])):
        state = evolve(state, decide(command, state, CTX)[0])
    assert state.signed_text is not None and state.signed_text.id == IDS[1]
    assert date(2021, 4, 20) == state.signed_on
