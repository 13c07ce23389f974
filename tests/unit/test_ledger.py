"""The running hash, checkpoint signatures and the feed check, without I/O."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from plumbing.feed_verify import verify_feed
from plumbing.ledger import (
    CheckpointSigner,
    Head,
    event_hash,
    public_key_of,
    running_hash,
    signature_holds,
)
from services.agreements.adapters.checkpointer import checkpoint_signer_from
from services.agreements.adapters.cloudevents import to_json
from services.agreements.adapters.event_store import StoredEvent

WHEN = datetime(2021, 4, 20, 3, 0, tzinfo=UTC)


def _feed(streams: int = 3, events: int = 4) -> list[dict[str, Any]]:
    """A feed of interleaved streams as the service serves it, positions with a gap."""
    last: dict[str, str | None] = {}
    feed = []
    position = 0
    for version in range(1, events + 1):
        for s in range(streams):
            stream = f"stream-{s}"
            position += 2 if position == 5 else 1  # a rolled-back append leaves a hole
            event_id, data = uuid4(), {"n": version}
            metadata = {"actor": "tkksd-1", "command_id": f"c-{position}"}
            digest = event_hash(last.get(stream), event_id=event_id, stream_id=stream,
                                version=version, type="kerjasama.agreement.drafted.v1",
                                data=data, metadata=metadata, occurred_at=WHEN)
            feed.append(to_json(StoredEvent(position, event_id, stream, version,
                                            "kerjasama.agreement.drafted.v1", data, metadata,
                                            WHEN, last.get(stream), digest)))
            last[stream] = digest
    return feed


def _head(feed: list[dict[str, Any]]) -> Head:
    head = Head()
    for event in feed:
        head = head.after(event["position"], event["hash"])
    return head


def test_the_running_hash_chains_position_and_event_hash() -> None:
    first = running_hash("", 1, "a" * 64)
    assert Head().after(1, "a" * 64) == Head(1, 1, first)
    assert running_hash(first, 2, "b" * 64) != running_hash(first, 3, "b" * 64)


def test_a_checkpoint_holds_only_for_its_key_and_its_content() -> None:
    signer = CheckpointSigner.generate()
    checkpoint = signer.sign(Head(7, 6, "c" * 64), "2021-04-20T10:00:00+07:00")
    key = public_key_of(signer.public)
    assert signature_holds(checkpoint, key)
    assert not signature_holds(replace(checkpoint, events=5), key)
    assert not signature_holds(checkpoint, public_key_of(CheckpointSigner.generate().public))


def test_the_served_feed_holds_against_its_checkpoints() -> None:
    feed = _feed()
    signer = CheckpointSigner.generate()
    middle = signer.sign(_head(feed[:6]), "t1")
    end = signer.sign(_head(feed), "t2")
    result = verify_feed(feed, [end, middle], public_key_of(signer.public))
    assert result.holds and result.checkpoints_held == 2 and result.streams == 3


def test_a_lost_event_is_placed_between_the_checkpoints_around_it() -> None:
    feed = _feed()
    signer = CheckpointSigner.generate()
    checkpoints = [signer.sign(_head(feed[:n]), f"t{n}") for n in (3, 6, 9, 12)]
    lost = feed[7]
    tampered = [e for e in feed if e is not lost]
    result = verify_feed(tampered, checkpoints, public_key_of(signer.public))
    assert not result.holds and result.checkpoints_held == 2
    assert result.first_differing_after == feed[5]["position"]
    assert result.first_differing_at_most == feed[8]["position"]


def test_outside_development_the_checkpoint_key_is_required_and_never_made(
        tmp_path: Path) -> None:
    from plumbing.errors import ConfigError
    from services.agreements.settings import AgreementsSettings

    production = AgreementsSettings(environment="production")
    with pytest.raises(ConfigError, match="KERJASAMA_CHECKPOINT_KEY_FILE must be set"):
        checkpoint_signer_from(production)
    missing = tmp_path / "checkpoint.pem"
    with pytest.raises(ConfigError, match="does not exist"):
        checkpoint_signer_from(AgreementsSettings(environment="production",
                                                  checkpoint_key_file=missing))
    assert not missing.exists()
    made = checkpoint_signer_from(AgreementsSettings(environment="development",
                                                     checkpoint_key_file=missing))
    again = checkpoint_signer_from(AgreementsSettings(environment="production",
                                                      checkpoint_key_file=missing))
    assert made.public == again.public  # the same key after a restart
