"""Dead-lettered messages: list them with their reasons, and requeue them.

Listing reads through the management API without taking the messages (they are
requeued at once). Requeueing takes each message from ``<queue>.dlq`` and publishes it,
persistent and confirmed, straight back to the queue it came from (its
``x-original-queue`` header, or the broker's ``x-death`` record), without the error
headers; only then is it acknowledged, so nothing is lost if the command is interrupted.
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any
from urllib.parse import quote

import aio_pika
import aio_pika.abc

from contracts.topology import CONSUMER_QUEUES
from plumbing.amqp import CLOUDEVENTS_JSON, Unroutable, connect, publish_persistent
from plumbing.delivery import dead_letter_key
from plumbing.rabbitadmin import ManagementApiError, RabbitAdmin
from plumbing.service_client import CliError
from plumbing.tables import table
from plumbing.urls import vhost_of

DROPPED_HEADERS = ("x-error", "x-error-reason", "x-original-exchange",
                   "x-original-routing-key", "x-original-queue", "x-death",
                   "x-first-death-exchange", "x-first-death-queue", "x-first-death-reason",
                   "x-delivery-count")


def amqp_url() -> str:
    """The broker the CLI works on (``KERJASAMA_AMQP_URL``; by default the local run's
    vhost as the operators' user of deploy/rabbitmq)."""
    return os.environ.get("KERJASAMA_AMQP_URL",
                          "amqp://kerjasama-admin:admin-dev@127.0.0.1:5672/kerjasama")


def management_url() -> str:
    """The management API (``KERJASAMA_RABBITMQ_MANAGEMENT_URL``)."""
    return os.environ.get("KERJASAMA_RABBITMQ_MANAGEMENT_URL",
                          "http://kerjasama-admin:admin-dev@127.0.0.1:15672")


def dead_letter_queues(queue: str | None) -> list[str]:
    """The ``.dlq`` queues asked for: one (by service queue or dlq name) or all."""
    known = [q.name for q in CONSUMER_QUEUES]
    if queue is None:
        return [dead_letter_key(q) for q in known]
    name = queue.removesuffix(".dlq")
    if name not in known:
        raise CliError(f"unknown queue {queue!r}; known: {', '.join(known)}")
    return [dead_letter_key(name)]


def origin_queue(headers: dict[str, Any], dlq: str) -> str:
    """The queue a dead letter came from."""
    original = headers.get("x-original-queue")
    if isinstance(original, bytes):
        original = original.decode()
    if isinstance(original, str) and original:
        return original
    deaths = headers.get("x-death")
    if isinstance(deaths, list) and deaths and isinstance(deaths[0], dict):
        queue = deaths[0].get("queue")
        if queue:
            return queue.decode() if isinstance(queue, bytes) else str(queue)
    return dlq.removesuffix(".dlq")


def reason_of(headers: dict[str, Any]) -> str:
    """Why a message was dead-lettered."""
    error = headers.get("x-error")
    if error:
        return error.decode() if isinstance(error, bytes) else str(error)
    deaths = headers.get("x-death")
    if isinstance(deaths, list) and deaths and isinstance(deaths[0], dict):
        return f"broker: {deaths[0].get('reason')} (count {deaths[0].get('count')})"
    return "(no reason recorded)"


async def list_dead_letters(args: argparse.Namespace) -> str:
    """The dead letters of one queue or all, with type, id and reason."""
    vhost = vhost_of(amqp_url())
    rows: list[tuple[str, Any, Any, str]] = []
    async with RabbitAdmin(management_url()) as admin:
        for dlq in dead_letter_queues(args.queue):
            path = f"/queues/{quote(vhost, safe='')}/{quote(dlq, safe='')}/get"
            try:
                messages = await admin.request("POST", path, {
                    "count": args.limit, "ackmode": "ack_requeue_true", "encoding": "auto",
                    "truncate": 20000})
            except ManagementApiError as exc:
                raise CliError(str(exc)) from None
            for message in messages or []:
                headers = (message.get("properties") or {}).get("headers") or {}
                try:
                    body = json.loads(message.get("payload") or "")
                except ValueError:
                    body = {}
                body = body if isinstance(body, dict) else {}
                rows.append((dlq, body.get("type", "-"), body.get("id", "-"),
                             reason_of(headers)))
    if not rows:
        return "no dead letters"
    return table(("queue", "type", "id", "reason"), rows)


async def requeue(args: argparse.Namespace) -> str:
    """Move dead letters back to their queue; how many."""
    moved = 0
    connection = await connect(amqp_url(), attempts=1)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        for dlq in dead_letter_queues(args.queue):
            queue = await channel.declare_queue(dlq, passive=True)
            # only what is there now: a message dead-lettered again waits for the next run
            pending = queue.declaration_result.message_count or 0
            for _ in range(pending):
                if args.limit is not None and moved >= args.limit:
                    break
                message = await queue.get(fail=False, no_ack=False)
                if message is None:
                    break
                await _republish(channel, message, dlq)
                moved += 1
    return f"requeued {moved} message(s)"


async def _republish(channel: aio_pika.abc.AbstractChannel,
                     message: aio_pika.abc.AbstractIncomingMessage, dlq: str) -> None:
    """Publish a dead letter back to its queue (mandatory: an unroutable one raises and
    stays dead-lettered), keeping the sender's validated ``user_id``; then ack it."""
    headers = dict(message.headers or {})
    target = origin_queue(headers, dlq)
    clean = {k: v for k, v in headers.items() if k not in DROPPED_HEADERS}
    try:
        await publish_persistent(channel, "", target, message.body, clean,
                                 content_type=message.content_type or CLOUDEVENTS_JSON,
                                 message_id=message.message_id,
                                 correlation_id=message.correlation_id,
                                 reply_to=message.reply_to, mandatory=True,
                                 user_id=message.user_id)
    except Unroutable:
        await message.nack(requeue=True)
        raise CliError(f"{dlq}: queue {target} does not exist; the message stays "
                       "dead-lettered") from None
    await message.ack()


def add_parsers(sub: Any) -> None:
    """Register ``dlq list`` and ``dlq requeue``."""
    dlq = sub.add_parser("dlq", help="dead-lettered messages").add_subparsers(
        dest="dlq_command", required=True, metavar="{list,requeue}")
    p = dlq.add_parser("list", help="list dead letters with their reasons")
    p.add_argument("queue", nargs="?", help="reporting.events, notifications.events or "
                   "agreements.commands (default: all)")
    p.add_argument("--limit", type=int, default=100, help="at most this many per queue")
    p.set_defaults(run_direct=list_dead_letters)
    p = dlq.add_parser("requeue", help="send dead letters back to their queue")
    p.add_argument("queue", help="the service queue (or its .dlq)")
    p.add_argument("--limit", type=int, help="at most this many (default: all)")
    p.set_defaults(run_direct=requeue)
