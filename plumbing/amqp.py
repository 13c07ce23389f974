"""Connecting to RabbitMQ and publishing persistent messages with publisher confirms."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, NoReturn

import aio_pika
import aio_pika.abc
import aiormq.abc
import aiormq.exceptions
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from plumbing.errors import BrokerUnavailable
from plumbing.retry import error_of
from plumbing.urls import redact

log = logging.getLogger(__name__)

CLOUDEVENTS_JSON = "application/cloudevents+json"


class Unroutable(Exception):
    """Raised when a mandatory message matched no queue and the broker returned it."""


async def connect(
    url: str, *, attempts: int = 5, delay: float = 0.5
) -> aio_pika.abc.AbstractRobustConnection:
    """Open a robust connection (it reconnects by itself once established).

    The first connection is tried ``attempts`` times, ``delay`` seconds apart, doubling;
    then BrokerUnavailable names the URL (without its password) and the last error.
    """

    def warn(state: RetryCallState) -> None:
        log.warning("cannot connect to %s (attempt %d/%d): %r", redact(url),
                    state.attempt_number, attempts, error_of(state))

    def unavailable(state: RetryCallState) -> NoReturn:
        last = error_of(state)
        raise BrokerUnavailable(
            f"cannot connect to RabbitMQ at {redact(url)} after {attempts} attempts: {last!r}"
        ) from last

    retrying = AsyncRetrying(
        retry=retry_if_exception_type((TimeoutError, OSError, aiormq.exceptions.AMQPError)),
        stop=stop_after_attempt(attempts), wait=wait_exponential(multiplier=delay),
        after=warn, retry_error_callback=unavailable)
    connection: aio_pika.abc.AbstractRobustConnection = await retrying(
        aio_pika.connect_robust, url)
    return connection


async def publish_persistent(
    target: aio_pika.abc.AbstractChannel | aio_pika.abc.AbstractExchange,
    exchange_name: str,
    routing_key: str,
    body: bytes,
    headers: Mapping[str, Any] | None = None,
    content_type: str = CLOUDEVENTS_JSON,
    message_id: str | None = None,
    correlation_id: str | None = None,
    reply_to: str | None = None,
    *,
    mandatory: bool = False,
    user_id: str | None = None,
) -> None:
    """Publish a persistent message and wait for the broker's confirm.

    ``target`` is a channel opened with publisher confirms (aio-pika's default) or an
    exchange of such a channel (then ``exchange_name`` must be its name; ``""`` is the
    default exchange). Raises :class:`aio_pika.exceptions.DeliveryError` when the broker
    refuses the message (a nack, e.g. a full queue with ``x-overflow: reject-publish``).
    An unroutable message (no bound queue) is dropped by the broker, as for any topic
    exchange without subscribers, unless ``mandatory``: then Unroutable is raised.
    """
    if isinstance(target, aio_pika.abc.AbstractExchange):
        if target.name != exchange_name:
            raise ValueError(f"exchange {target.name!r} given for {exchange_name!r}")
        exchange = target
        channel: aio_pika.abc.AbstractChannel = getattr(target, "channel")  # noqa: B009
    else:
        channel = target
        exchange = (
            channel.default_exchange
            if exchange_name == ""
            else await channel.get_exchange(exchange_name, ensure=False)
        )
    if not channel.publisher_confirms:
        raise ValueError("publish_persistent needs a channel with publisher confirms")
    message = aio_pika.Message(
        body,
        headers=dict(headers or {}),
        content_type=content_type,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        message_id=message_id,
        correlation_id=correlation_id,
        reply_to=reply_to,
        user_id=user_id,
    )
    result = await exchange.publish(message, routing_key, mandatory=mandatory)
    if isinstance(result, aiormq.abc.DeliveredMessage):  # returned by the broker
        raise Unroutable(f"no queue bound to {exchange_name!r} for {routing_key!r}")
