"""Verify the public feed against signed checkpoints, as an outside witness would (domain.md).

Reads nothing but CloudEvents of ``GET /events`` and checkpoints: each stream's hash
chain is recomputed from what the feed serves (``hash``, ``prevhash``, ``metadata``), the
running hash is recomputed in position order and compared with every checkpoint. A
change, deletion or truncation at or below a checkpoint makes it fail even when every
per-stream hash was recomputed; the report names the first checkpoint that fails and the
range of positions (after the last checkpoint that holds) where history first differs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric import ed25519

from plumbing.ledger import Checkpoint, Head, event_hash, signature_holds


@dataclass
class FeedVerification:
    """What a verification of the feed read and found."""

    events: int = 0
    streams: int = 0
    checkpoints_held: int = 0
    broken_chains: list[str] = field(default_factory=list)
    refused_checkpoints: list[str] = field(default_factory=list)
    checkpoint_failure: str | None = None
    first_differing_after: int | None = None
    """History first differs after this position (the last checkpoint that held, or 0)."""
    first_differing_at_most: int | None = None
    """… and at or before this one (the first checkpoint that failed)."""

    @property
    def holds(self) -> bool:
        """Whether nothing was found."""
        return not (self.broken_chains or self.refused_checkpoints or self.checkpoint_failure)

    @property
    def problems(self) -> list[str]:
        """What was found, a line each."""
        return [*self.refused_checkpoints, *self.broken_chains,
                *([self.checkpoint_failure] if self.checkpoint_failure else [])]

    def summary(self, checkpoints: int) -> str:
        """What held, for people (of ``checkpoints`` checkpoints given)."""
        return (f"verified {self.events} events in {self.streams} streams from the public "
                f"feed: every chain holds; the running hash matches {self.checkpoints_held} "
                f"of {checkpoints} checkpoints")


def _own_hash(event: dict[str, Any]) -> str:
    return event_hash(event.get("prevhash"), event_id=UUID(event["id"]),
                      stream_id=event["subject"], version=int(event["sequence"]),
                      type=event["type"], data=event["data"],
                      metadata=event.get("metadata", {}),
                      occurred_at=datetime.fromisoformat(event["time"]))


class _Checker:
    def __init__(self, checkpoints: list[Checkpoint], result: FeedVerification) -> None:
        self.pending = sorted(checkpoints, key=lambda c: c.position)
        self.result = result
        self.last_held = 0

    def fail(self, checkpoint: Checkpoint, why: str) -> None:
        self.result.checkpoint_failure = (
            f"checkpoint at position {checkpoint.position} ({checkpoint.events} events, "
            f"signed {checkpoint.signed_at}) does not hold: {why}; history first differs "
            f"after position {self.last_held} and at or before position "
            f"{checkpoint.position}")
        self.result.first_differing_after = self.last_held
        self.result.first_differing_at_most = checkpoint.position
        self.pending = []

    def before(self, position: int) -> None:
        if self.pending and self.pending[0].position < position:
            self.fail(self.pending[0], f"the feed has no event at position "
                      f"{self.pending[0].position}")

    def after(self, head: Head) -> None:
        if not self.pending or self.pending[0].position != head.position:
            return
        checkpoint = self.pending.pop(0)
        if checkpoint.hash != head.hash or checkpoint.events != head.events:
            self.fail(checkpoint, f"the feed's running hash there is {head.hash[:16]}… over "
                      f"{head.events} events")
        else:
            self.result.checkpoints_held += 1
            self.last_held = checkpoint.position

    def end(self, head: Head) -> None:
        if self.pending:
            self.fail(self.pending[0], f"the feed ends at position {head.position}")


def verify_feed(events: Iterable[dict[str, Any]], checkpoints: Iterable[Checkpoint],
                key: ed25519.Ed25519PublicKey) -> FeedVerification:
    """Check the feed (in position order) against checkpoints signed by ``key``."""
    result = FeedVerification()
    good: list[Checkpoint] = []
    for checkpoint in checkpoints:
        if signature_holds(checkpoint, key):
            good.append(checkpoint)
        else:
            result.refused_checkpoints.append(
                f"checkpoint at position {checkpoint.position} refused: its signature does "
                "not hold for the service's public key")
    checker = _Checker(good, result)
    streams: dict[str, tuple[int, str]] = {}
    failed: set[str] = set()
    head = Head()
    for event in events:
        position = int(event["position"])
        checker.before(position)
        stream = event["subject"]
        result.events += 1
        version, last_hash = streams.get(stream, (0, None))
        if stream not in streams:
            result.streams += 1
        reason = None
        if int(event["sequence"]) != version + 1:
            reason = f"version {version + 1} is missing"
        elif event.get("prevhash") != last_hash:
            reason = "its prevhash is not the previous event's hash"
        elif event.get("hash") != _own_hash(event):
            reason = "its content does not match its hash"
        if reason is not None and stream not in failed:
            failed.add(stream)
            result.broken_chains.append(
                f"hash chain broken in stream {stream} at version {int(event['sequence'])} "
                f"(position {position}): {reason}")
        streams[stream] = (int(event["sequence"]), str(event.get("hash")))
        head = head.after(position, str(event.get("hash")))
        checker.after(head)
    checker.end(head)
    return result
