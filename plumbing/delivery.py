"""What a consumer's handler is given: a decoded CloudEvent with the AMQP properties it may
need (the subscriber's FastStream decoder builds it), and the one error a handler raises
for a message it can never handle."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from faststream.rabbit.annotations import RabbitMessage

from contracts.codec import Decoded, decode
from plumbing.agreements_client import inbox_event
from plumbing.inbox import InboxEvent

GAP_FILLED = "applied_with_gap_filled"
DUPLICATE = "duplicate"


class Poison(Exception):
    """Raised by a handler when a message can never be handled; its stream is parked or
    it goes to the ``.dlq``."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(eq=False)
class Delivery:
    """A decoded message with the AMQP properties a handler may need."""

    decoded: Decoded
    routing_key: str | None = None
    message_id: str | None = None
    correlation_id: str | None = None
    reply_to: str | None = None
    user_id: str | None = None
    redelivered: bool = False
    headers: Mapping[str, Any] = field(default_factory=dict)
    body: bytes | None = None
    """The message as received (kept if its stream is parked)."""
    replay: bool = False
    """Handed in again from a parked stream by an operator's retry."""
    in_order: Callable[[], None] = field(default=lambda: None)
    """Called by a handler once this event's order is kept by what it was handed to (a
    group commit queue): the stream's next event may then start. Otherwise the next one
    starts when this one is handled. Set by the ordering middleware."""

    @property
    def stream(self) -> str:
        """The lane of this delivery: its stream (``subject``), else its own id."""
        envelope = self.decoded.envelope
        return envelope.subject or str(envelope.id)

    def inbox_event(self) -> InboxEvent:
        """The inbox's view of this delivery's stream event: id, stream, version, position,
        and the body to keep if the stream is parked."""
        try:
            return inbox_event(self.decoded, body=self.body, replay=self.replay)
        except ValueError as exc:
            raise Poison("not-a-stream-event", str(exc)) from None


Handler = Callable[[Delivery], Awaitable[str]]
"""Handles one delivery inside its own transaction(s); returns the outcome label."""


def delivery_decoder(*, events: bool) -> Callable[[RabbitMessage], Awaitable[Delivery]]:
    """The subscriber's FastStream decoder: the body as a contract message, with the AMQP
    properties beside it. A message that breaks the contract raises
    :class:`~contracts.codec.ContractError`; with ``events``, an event type this consumer
    does not know in a stream family it knows decodes to
    :class:`~contracts.events.UnknownEvent` data."""

    async def decoder(message: RabbitMessage) -> Delivery:
        raw = message.raw_message
        return Delivery(
            decoded=decode(message.body, unknown_events=events), routing_key=raw.routing_key,
            message_id=raw.message_id, correlation_id=raw.correlation_id,
            reply_to=raw.reply_to, user_id=raw.user_id, redelivered=bool(raw.redelivered),
            headers=dict(raw.headers or {}), body=message.body)

    return decoder


def dead_letter_key(queue: str) -> str:
    """Routing key on ``kerjasama.dlx`` of a queue's dead-letter queue."""
    return f"{queue}.dlq"
