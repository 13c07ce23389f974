"""The hashes of the event log and its signed checkpoints (docs/domain.md#boundaries): what anyone
recomputes from the public feed, so the writer and every verifier share one definition.

Hₙ = SHA-256(Hₙ₋₁ ‖ position ‖ event hash), in position order over the feed, with H₀
empty; each event's own hash (its stream's chain) covers its id, stream, version, type,
data, metadata (the actor) and time, all served on the public feed. A checkpoint signs
the head (position, count of events, Hₙ) with an Ed25519 key the database never holds,
so whoever rewrites the event table cannot make a history that matches it.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

ALGORITHM = "Ed25519"


def canonical(value: Any) -> str:
    """Canonical JSON used for hashing: sorted keys, no spaces."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(prev_hash: str | None, *, event_id: UUID, stream_id: str, version: int,
               type: str, data: dict[str, Any], metadata: dict[str, Any],
               occurred_at: datetime) -> str:
    """SHA-256 over the previous event's hash and this event's content (its stream's
    chain)."""
    content = canonical({
        "event_id": str(event_id), "stream_id": stream_id, "version": version, "type": type,
        "data": data, "metadata": metadata,
        "occurred_at": occurred_at.astimezone(UTC).isoformat(),
    })
    return hashlib.sha256(f"{prev_hash or ''}|{content}".encode()).hexdigest()


def running_hash(previous: str, position: int, event_hash: str) -> str:
    """The next running hash: SHA-256 over ``previous|position|event_hash`` (hex)."""
    return hashlib.sha256(f"{previous}|{position}|{event_hash}".encode()).hexdigest()


@dataclass(frozen=True)
class Head:
    """The running hash after the event at ``position``, over ``events`` events."""

    position: int = 0
    events: int = 0
    hash: str = ""

    def after(self, position: int, event_hash: str) -> Head:
        """The head once the event at ``position`` with ``event_hash`` is added."""
        return Head(position, self.events + 1, running_hash(self.hash, position, event_hash))


@dataclass(frozen=True)
class Checkpoint:
    """A signed head: what an outside witness keeps."""

    position: int
    events: int
    hash: str
    signed_at: str
    key_id: str
    signature: str

    def message(self) -> bytes:
        """The bytes signed: canonical JSON of every field but the signature."""
        fields = {k: v for k, v in asdict(self).items() if k != "signature"}
        return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()

    def to_json(self) -> dict[str, Any]:
        """The checkpoint as served and published."""
        return asdict(self)

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Checkpoint:
        """A checkpoint from its JSON form (unknown fields ignored)."""
        return cls(int(value["position"]), int(value["events"]), str(value["hash"]),
                   str(value["signed_at"]), str(value["key_id"]), str(value["signature"]))


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_key_json(key: ed25519.Ed25519PublicKey) -> dict[str, str]:
    """The public key as an OKP JWK with its key id (the first 16 hex of its SHA-256)."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"kty": "OKP", "crv": ALGORITHM, "x": _b64(raw),
            "kid": hashlib.sha256(raw).hexdigest()[:16]}


def public_key_of(jwk: dict[str, Any]) -> ed25519.Ed25519PublicKey:
    """The Ed25519 public key of a :func:`public_key_json` document."""
    return ed25519.Ed25519PublicKey.from_public_bytes(_unb64(str(jwk["x"])))


class CheckpointSigner:
    """Signs heads with the service's Ed25519 key."""

    def __init__(self, key: ed25519.Ed25519PrivateKey) -> None:
        self._key = key
        self.public = public_key_json(key.public_key())

    @classmethod
    def from_file(cls, path: Path) -> CheckpointSigner:
        """The signer of a PEM (PKCS#8) Ed25519 private key file."""
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, ed25519.Ed25519PrivateKey):
            raise ValueError(f"{path} does not hold an Ed25519 private key")
        return cls(key)

    @classmethod
    def generate(cls) -> CheckpointSigner:
        """A signer with a fresh key (development and tests)."""
        return cls(ed25519.Ed25519PrivateKey.generate())

    def sign(self, head: Head, signed_at: str) -> Checkpoint:
        """The checkpoint of ``head``."""
        unsigned = Checkpoint(head.position, head.events, head.hash, signed_at,
                              self.public["kid"], "")
        return Checkpoint(head.position, head.events, head.hash, signed_at,
                          self.public["kid"], _b64(self._key.sign(unsigned.message())))


def write_key(path: Path) -> None:
    """Write a fresh Ed25519 private key as PEM, readable by its owner only."""
    key = ed25519.Ed25519PrivateKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    path.chmod(0o600)


def signature_holds(checkpoint: Checkpoint, key: ed25519.Ed25519PublicKey) -> bool:
    """Whether the checkpoint was signed by ``key``."""
    try:
        key.verify(_unb64(checkpoint.signature), checkpoint.message())
    except (InvalidSignature, ValueError):
        return False
    return True
