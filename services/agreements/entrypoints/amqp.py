"""Commands over AMQP: ``agreements.commands`` → the use case → a reply to ``reply_to``.

Outside systems publish a command as a CloudEvent (type ``kerjasama.<routing key>.v1``,
data with ``command_id``) to ``kerjasama.commands`` with the command's routing key. The
same use case as HTTP runs it, so rules, idempotency and checks are the same; the reply
(``kerjasama.command.replied.v1``) carries the new version and stage, or the problem
with the status, title and detail HTTP would give, and goes to ``reply_to`` with the
request's correlation id. A message that cannot be parsed is dead-lettered by the shared
consumer; when it names a ``reply_to``, the sender also gets a 422 problem.

The broker trusts no caller's addressing (docs/domain.md#boundaries): a reply goes only to a queue
the broker named (``amq.gen-…``, a server-named exclusive queue of the sender) or to Direct Reply-to
(``amq.rabbitmq.reply-to``, which reaches the service as ``amq.rabbitmq.reply-to.<token>``). A
command whose ``reply_to`` names anything else — a service's queue, a dead-letter queue, another
system's queue — is dead-lettered as ``reply-to-refused`` before it runs, and nothing is sent to
that name.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from faststream.rabbit import RabbitBroker, RabbitRouter
from faststream.rabbit.annotations import RabbitMessage

from contracts.codec import encode, make_envelope
from contracts.commands import Command
from contracts.envelope import SOURCE_AGREEMENTS
from contracts.replies import CommandOutcome, CommandReply, Problem
from contracts.topology import AGREEMENTS_COMMANDS
from plumbing import clock
from plumbing.amqp import CLOUDEVENTS_JSON
from plumbing.consumer import QueueConsumer
from plumbing.delivery import Delivery, Handler, Poison
from plumbing.tracing import current_trace
from services.agreements.application.service import AgreementService
from services.agreements.domain import DomainError, Forbidden

log = logging.getLogger(__name__)

AMQP_ACTOR = "amqp"
REPLY_PREFIXES = ("amq.gen-", "amq.rabbitmq.reply-to.")
"""The only ``reply_to`` names a reply goes to: broker-named queues and Direct Reply-to."""


def reply_allowed(reply_to: str) -> bool:
    """Whether a reply may be sent to ``reply_to`` (see :data:`REPLY_PREFIXES`)."""
    return reply_to.startswith(REPLY_PREFIXES) and reply_to.isprintable()


class ReplyFailed(ConnectionError):
    """Raised when the reply could not be published (transient: the command is retried,
    and its command id makes the retry answer the first result)."""


def actor_of(delivery: Delivery) -> str:
    """The acting user of an AMQP command: the broker user that sent it, when validated."""
    return f"{AMQP_ACTOR}:{delivery.user_id}" if delivery.user_id else AMQP_ACTOR


def roles_of(delivery: Delivery, user_roles: Mapping[str, Sequence[str]]) -> frozenset[str]:
    """The roles of the broker user that sent a command (RabbitMQ validates ``user_id``).

    A message without ``user_id``, or from a user with no configured roles, may do
    nothing: its commands are refused with 403.
    """
    if not delivery.user_id:
        return frozenset()
    return frozenset(user_roles.get(delivery.user_id, ()))


def problem_of(exc: DomainError) -> Problem:
    """The problem HTTP answers for a refusal, as reply data."""
    return Problem(type=f"urn:kerjasama:problem:{exc.problem_type}", title=exc.title,
                   status=exc.status, detail=exc.detail, **exc.extensions)


class CommandReplies:
    """Publishes replies to ``reply_to`` through the default exchange."""

    def __init__(self, broker: RabbitBroker) -> None:
        self._broker = broker

    async def send(self, reply_to: str | None, correlation_id: str | None,
                   reply: CommandReply) -> None:
        """Publish ``reply``; nothing when the sender asked for no reply or named a queue
        a reply may not go to (:func:`reply_allowed`)."""
        if not reply_to:
            return
        if not reply_allowed(reply_to):
            log.warning("no reply to %r: replies go only to amq.gen-* queues or Direct "
                        "Reply-to", reply_to)
            return
        envelope = make_envelope(reply, source=SOURCE_AGREEMENTS, time=clock.now(),
                                 subject=reply.command_id, correlationid=correlation_id)
        try:
            await self._broker.publish(encode(envelope), routing_key=reply_to,
                                       correlation_id=correlation_id, persist=True,
                                       mandatory=False, content_type=CLOUDEVENTS_JSON,
                                       message_id=str(envelope.id),
                                       headers=dict(current_trace()) or None)
        except Exception as exc:
            raise ReplyFailed(f"cannot reply to {reply_to}: {exc!r}") from exc

    async def invalid(self, message: RabbitMessage, reason: str, detail: str) -> None:
        """Tell the sender of an unparseable command why it was dead-lettered (422)."""
        raw = message.raw_message
        reply = CommandReply(command_id=_command_id(raw.body), accepted=False,
                             problem=Problem(type=f"urn:kerjasama:problem:{reason}",
                                             title="Invalid command message", status=422,
                                             detail=detail))
        await self.send(raw.reply_to, raw.correlation_id, reply)


def _command_id(body: bytes) -> str:
    try:
        parsed: Any = json.loads(body)
        command_id = parsed["data"]["command_id"]
    except (ValueError, TypeError, KeyError):
        return ""
    return command_id if isinstance(command_id, str) else ""


def command_handler(service: AgreementService, replies: CommandReplies,
                    user_roles: Mapping[str, Sequence[str]]) -> Handler:
    """The handler of ``agreements.commands`` deliveries."""

    async def handle(delivery: Delivery) -> str:
        if delivery.reply_to and not reply_allowed(delivery.reply_to):
            raise Poison("reply-to-refused", f"reply_to {delivery.reply_to!r} is neither a "
                         "broker-named queue (amq.gen-*) nor Direct Reply-to "
                         "(amq.rabbitmq.reply-to)")
        command = delivery.decoded.data
        if not isinstance(command, Command):
            raise Poison("not-a-command", f"{delivery.decoded.type} is not a command")
        if delivery.routing_key and delivery.routing_key != command.routing_key:
            raise Poison("routing-key-mismatch", f"{delivery.decoded.type} was sent with "
                         f"routing key {delivery.routing_key}, not {command.routing_key}")
        correlation_id = delivery.correlation_id or str(delivery.decoded.envelope.id)
        try:
            roles = roles_of(delivery, user_roles)
            if not roles:
                raise Forbidden(
                    f"broker user {delivery.user_id or '(none: set the user_id property)'} "
                    "has no roles for commands (KERJASAMA_AMQP_USER_ROLES)")
            accepted = await service.handle(command, actor=actor_of(delivery), roles=roles)
        except DomainError as exc:
            await replies.send(delivery.reply_to, correlation_id, CommandReply(
                command_id=command.command_id, accepted=False, problem=problem_of(exc)))
            return "refused"
        await replies.send(delivery.reply_to, correlation_id, CommandReply(
            command_id=command.command_id, accepted=True,
            outcome=CommandOutcome(id=accepted.id, version=accepted.version,
                                   stage=accepted.stage)))
        return "accepted"

    return handle


def build_router(broker: RabbitBroker, service: AgreementService, *,
                 user_roles: Mapping[str, Sequence[str]],
                 transient_timeout: float = 300.0) -> RabbitRouter:
    """The AMQP entrypoints of the agreements service."""
    router = RabbitRouter()
    replies = CommandReplies(broker)
    QueueConsumer(broker, AGREEMENTS_COMMANDS, command_handler(service, replies, user_roles),
                  transient_timeout=transient_timeout,
                  on_dead_letter=replies.invalid).subscribe(router)
    return router
