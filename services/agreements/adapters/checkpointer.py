"""The checkpointer: signs the feed's head every N events or T seconds (docs/domain.md#boundaries).

It runs after each round of the outbox relay (:data:`plumbing.relay.AfterRound`), so the
replica elected to relay is the one that checkpoints. Each checkpoint is published as
``kerjasama.ledger.checkpointed.v1`` (routing key ``ledger.checkpointed``) with publisher
confirms, then stored and served at ``GET /checkpoints``. A crash between the two leaves
a published checkpoint unstored (still a true, signed statement); the next round signs
the head again.
"""

from __future__ import annotations

import time
from typing import Any
from uuid import uuid4

import aio_pika
import aio_pika.abc
import asyncpg
from prometheus_client import Counter

from contracts.codec import encode
from contracts.envelope import SOURCE_AGREEMENTS, CloudEvent, routing_key_of, schema_uri
from contracts.ledger import LEDGER_SUBJECT, LedgerCheckpointed
from plumbing import clock
from plumbing.amqp import CLOUDEVENTS_JSON
from plumbing.clock import WIB
from plumbing.errors import ConfigError
from plumbing.ledger import Checkpoint, CheckpointSigner, write_key
from plumbing.settings import env_name
from services.agreements.adapters import checkpoints
from services.agreements.settings import AgreementsSettings

CHECKPOINTED = LedgerCheckpointed.event_type
ROUTING_KEY = routing_key_of(CHECKPOINTED)

SIGNED = Counter("kerjasama_checkpoints_total", "Checkpoints signed and published.")


def checkpoint_event(checkpoint: Checkpoint) -> CloudEvent:
    """The CloudEvent that publishes a checkpoint."""
    return CloudEvent(id=uuid4(), source=SOURCE_AGREEMENTS, type=CHECKPOINTED,
                      subject=LEDGER_SUBJECT, time=clock.now().astimezone(WIB),
                      dataschema=schema_uri(CHECKPOINTED),
                      data=LedgerCheckpointed(**checkpoint.to_json()).model_dump(mode="json"))


class Checkpointer:
    """Signs, publishes and stores a checkpoint when ``every_events`` events were added
    since the last one, or ``every_seconds`` passed and at least one was."""

    def __init__(self, signer: CheckpointSigner, every_events: int,
                 every_seconds: float) -> None:
        self._signer = signer
        self._every_events = every_events
        self._every_seconds = every_seconds
        self._last_time = time.monotonic()

    async def __call__(self, conn: asyncpg.Connection[Any],
                       exchange: aio_pika.abc.AbstractExchange) -> None:
        """One look: checkpoint when due."""
        last = await checkpoints.latest(conn)
        waiting = await conn.fetchval(
            "SELECT count(*) FROM (SELECT 1 FROM events WHERE position > $1 LIMIT $2) AS e",
            0 if last is None else last.position, self._every_events)
        due = waiting >= self._every_events or (
            waiting > 0 and time.monotonic() - self._last_time >= self._every_seconds)
        if not due:
            return
        head = await checkpoints.head_since(conn, last)
        if head.events == 0 or (last is not None and head.position == last.position):
            return
        checkpoint = self._signer.sign(head, clock.now().isoformat())
        envelope = checkpoint_event(checkpoint)
        await exchange.publish(
            aio_pika.Message(encode(envelope), content_type=CLOUDEVENTS_JSON,
                             delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                             message_id=str(envelope.id)), ROUTING_KEY)
        await checkpoints.store(conn, checkpoint)
        self._last_time = time.monotonic()
        SIGNED.inc()


def checkpoint_signer_from(settings: AgreementsSettings) -> CheckpointSigner:
    """The signer of the checkpoints (see ``KERJASAMA_CHECKPOINT_KEY_FILE``).

    Outside development the key file is required and must exist: a key made at start
    would sign checkpoints no witness can check after a restart or on another replica.
    """
    path = settings.checkpoint_key_file
    setting = env_name(type(settings), "checkpoint_key_file")
    if path is None:
        if not settings.development:
            raise ConfigError(f"{setting} must be set: the checkpoints are signed with one "
                              "key that every replica shares (kerjasama keys init makes it)")
        return CheckpointSigner.generate()
    if not path.exists():
        if not settings.development:
            raise ConfigError(f"{setting}: {path} does not exist (kerjasama keys init "
                              "makes it)")
        write_key(path)
    try:
        return CheckpointSigner.from_file(path)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{setting}: cannot use {path}: {exc}") from None
