"""The ``ledger.checkpointed`` message of the agreements service (docs/domain.md#boundaries)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from contracts.common import RecordModel

LEDGER_SUBJECT = "ledger"
"""The CloudEvents ``subject`` of every ledger message."""


class LedgerCheckpointed(RecordModel):
    """A signed checkpoint of the running hash over the agreements feed: anyone holding it
    can prove that the feed up to ``position`` was not changed later."""

    event_type: ClassVar[str] = "kerjasama.ledger.checkpointed.v1"
    position: int = Field(ge=1, description="Position of the last event the checkpoint "
                          "covers.", examples=[1234])
    events: int = Field(ge=1, description="How many events of the feed it covers.",
                        examples=[1180])
    hash: str = Field(pattern="^[0-9a-f]{64}$", description="The running hash after the "
                      "event at position: H(n) = SHA-256 of H(n-1), '|', the position, '|' "
                      "and the event's hash (hex; H(0) is empty).",
                      examples=["5b0c3f" + "0" * 58])
    signed_at: str = Field(description="When it was signed (ISO 8601).",
                           examples=["2021-04-20T10:00:00+07:00"])
    key_id: str = Field(description="Id of the signing key (`kid` of "
                        "GET /checkpoints/public-key).", examples=["3f2a9c0d1e4b5a6c"])
    signature: str = Field(description="Ed25519 signature (base64url, unpadded) over the "
                           "canonical JSON (sorted keys, no spaces) of the other fields.",
                           examples=["q1x0…"])
