"""A service's link to RabbitMQ: topology checked, subscribers started, outages waited out.

:class:`Messaging` starts in the background so that a service whose broker is down at
start-up still serves HTTP (commands go to the outbox) and reports not ready; once the
broker answers, it checks that the exchanges and queues the service uses exist (loaded at
deploy time; the service declares nothing), then starts the FastStream broker with the
service's subscribers. FastStream's robust connection reconnects by itself later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from faststream.rabbit import RabbitBroker
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, wait_fixed

from plumbing.consumer import create_broker
from plumbing.errors import TopologyError
from plumbing.retry import error_of
from plumbing.topology import check_topology
from plumbing.urls import redact

log = logging.getLogger(__name__)

Register = Callable[[RabbitBroker], object]
"""Adds a service's subscribers (or routers) to its broker."""


class Messaging:
    """Owns the FastStream broker of one service process."""

    def __init__(self, amqp_url: str, register: Register, *,
                 uses: tuple[tuple[str, ...], tuple[str, ...]] = ((), ()),
                 prefetch: int = 32, retry_delay: float = 2.0) -> None:
        """``uses``: the exchanges and the queues the service needs (checked at start)."""
        self._amqp_url = amqp_url
        self._exchanges, self._queues = uses
        self.broker = create_broker(amqp_url, prefetch=prefetch)
        register(self.broker)
        self._retry_delay = retry_delay
        self._task: asyncio.Task[None] | None = None
        self.started = asyncio.Event()

    def start(self) -> None:
        """Begin connecting in the background."""
        self._task = asyncio.create_task(self._connect(), name="messaging-connect")

    async def _connect(self) -> None:
        def failed(state: RetryCallState) -> None:
            exc = error_of(state)
            if isinstance(exc, TopologyError):
                log.error("%s; retrying in %.0fs", exc, self._retry_delay)
            else:
                log.warning("RabbitMQ at %s not usable yet (%r); retrying in %.0fs",
                            redact(self._amqp_url), exc, self._retry_delay)

        async def attempt() -> None:
            await check_topology(self._amqp_url, exchanges=self._exchanges,
                                 queues=self._queues)
            try:
                await self.broker.start()
            except Exception:
                with contextlib.suppress(Exception):
                    await self.broker.stop()
                raise

        # until it works or the service stops (the task is cancelled)
        await AsyncRetrying(retry=retry_if_exception_type(Exception),
                            wait=wait_fixed(self._retry_delay), before_sleep=failed,
                            reraise=True)(attempt)
        self.started.set()
        log.info("connected to RabbitMQ at %s", redact(self._amqp_url))

    async def ready(self) -> bool:
        """Whether the broker is connected now (for ``/readyz``)."""
        return self.started.is_set() and await self.broker.ping(timeout=1.0)

    async def close(self) -> None:
        """Stop consuming (in-flight messages finish or are requeued) and disconnect."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        try:
            await self.broker.stop()
        except Exception as exc:  # the broker went away: unacked messages are requeued by it
            log.warning("RabbitMQ link closed with errors (%r); unacknowledged messages "
                        "go back to their queues", exc)
