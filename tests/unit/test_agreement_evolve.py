"""Folding events: pure, in stream order, and only events of the same stream."""

from __future__ import annotations

from uuid import uuid4

import pytest

from contracts.commands import StartReview
from contracts.common import Stage
from contracts.events import AgreementReviewStarted
from services.agreements.domain import decide, evolve, replay
from tests.unit.test_agreement_builders import CTX, agreement_in, cmd, propose_cmd


def test_replay_of_no_events_is_no_agreement() -> None:
    assert replay([]) is None


def test_replay_gives_the_state_built_step_by_step() -> None:
    proposed = decide(propose_cmd(), None, CTX)
    state = evolve(None, proposed[0])
    reviewed = decide(cmd(StartReview), state, CTX)
    assert replay([*proposed, *reviewed]) == evolve(state, reviewed[0])


def test_evolve_does_not_change_the_state_it_is_given() -> None:
    state = agreement_in(Stage.PROPOSED)
    (event,) = decide(cmd(StartReview), state, CTX)
    after = evolve(state, event)
    assert (state.stage, state.version) == (Stage.PROPOSED, 1)
    assert (after.stage, after.version) == (Stage.IN_REVIEW, 2)


def test_stream_must_start_with_a_proposal() -> None:
    event = AgreementReviewStarted(agreement_id=uuid4(), version=1, stage=Stage.IN_REVIEW)
    with pytest.raises(ValueError, match="cannot start a stream"):
        evolve(None, event)


def test_events_apply_only_in_version_order() -> None:
    state = agreement_in(Stage.PROPOSED)
    skipped = AgreementReviewStarted(agreement_id=state.id, version=3, stage=Stage.IN_REVIEW)
    with pytest.raises(ValueError, match="event version 3 does not follow 1"):
        evolve(state, skipped)


def test_events_of_another_agreement_are_refused() -> None:
    state = agreement_in(Stage.PROPOSED)
    other = AgreementReviewStarted(agreement_id=uuid4(), version=2, stage=Stage.IN_REVIEW)
    with pytest.raises(ValueError, match="applied to"):
        evolve(state, other)


def test_a_second_proposal_cannot_be_applied() -> None:
    state = agreement_in(Stage.PROPOSED)
    (proposed,) = decide(propose_cmd(), None, CTX)
    with pytest.raises(ValueError, match="already proposed"):
        evolve(state, proposed)
