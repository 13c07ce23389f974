"""The dispatcher: sends pending deliveries after commit, retries with backoff.

It claims due deliveries (several replicas never take the same one), sends them
concurrently, and records each outcome as soon as it is known: ``sent``; on failure
another attempt after ``base * 2^(attempt-1)`` seconds (capped); after the last allowed
attempt ``failed``, and at once when the channel refuses the address (SendRefused:
nothing was sent).
A crash between a send and its record is the only window in which a delivery can be
sent twice (the lease ends and another attempt is made); a repeated email carries the
same Message-ID, and a repeated webhook the same delivery id.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass

from plumbing.db import Pool
from plumbing.tracing import SpanKind, span
from services.notifications.adapters import deliveries
from services.notifications.adapters.deliveries import Claimed
from services.notifications.adapters.senders import Sender, SendRefused
from services.notifications.application.metrics import (
    ATTEMPT_ERRORS,
    BACKLOG,
    FAILED,
    SEND_SECONDS,
    SENT,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a delivery is tried."""

    max_attempts: int = 8
    base_seconds: float = 30.0
    max_seconds: float = 3600.0
    lease_seconds: float = 120.0

    def delay(self, attempts: int) -> float:
        """Seconds to wait after the ``attempts``-th failed attempt."""
        return float(min(self.max_seconds, self.base_seconds * 2 ** (attempts - 1)))


class Dispatcher:
    """Sends what the event handler and the scheduler recorded."""

    def __init__(self, pool: Pool, senders: Mapping[str, Sender], retry: RetryPolicy, *,
                 batch: int = 50, concurrency: int = 8) -> None:
        self._pool = pool
        self._senders = senders
        self._retry = retry
        self._batch = batch
        self._limit = asyncio.Semaphore(concurrency)

    async def run_once(self) -> int:
        """Send every delivery due now; return how many were attempted."""
        attempted = 0
        while True:
            claimed = await deliveries.claim(self._pool, self._batch, self._retry.lease_seconds)
            if claimed:
                await asyncio.gather(*(self._attempt(d) for d in claimed))
            attempted += len(claimed)
            if len(claimed) < self._batch:
                BACKLOG.set(await deliveries.backlog(self._pool))
                return attempted

    async def _attempt(self, delivery: Claimed) -> bool:
        """Send one delivery; whether it went out (a failure is recorded here)."""
        async with self._limit:
            sender = self._senders.get(delivery.channel)
            started = time.perf_counter()
            try:
                if sender is None:
                    raise LookupError(f"no sender for channel {delivery.channel!r}")
                # in the trace of the event (or scheduler run) that recorded the notice
                with span(f"send {delivery.channel}", parent=delivery.trace,
                          kind=SpanKind.CLIENT,
                          attributes={"kerjasama.delivery": delivery.id,
                                      "kerjasama.rule": delivery.rule,
                                      "kerjasama.recipient": delivery.recipient,
                                      "kerjasama.attempt": delivery.attempts}):
                    reference = await sender.send(delivery)
            except SendRefused as exc:
                await self._failed(delivery, str(exc), final=True)
                return False
            except Exception as exc:
                await self._failed(delivery, f"{exc}" or type(exc).__name__)
                return False
            finally:
                SEND_SECONDS.labels(delivery.channel).observe(time.perf_counter() - started)
            # at once: a send not recorded goes out again
            await deliveries.mark_sent(self._pool, [delivery.id], reference)
            SENT.labels(delivery.channel, delivery.rule).inc()
            return True

    async def _failed(self, delivery: Claimed, error: str, *, final: bool = False) -> None:
        ATTEMPT_ERRORS.labels(delivery.channel, delivery.rule).inc()
        if final or delivery.attempts >= self._retry.max_attempts:
            log.error("delivery %d (%s %s to %s) failed after %d attempts: %s", delivery.id,
                      delivery.rule, delivery.channel, delivery.address, delivery.attempts,
                      error)
            await deliveries.mark_failed(self._pool, delivery.id, error)
            FAILED.labels(delivery.channel, delivery.rule).inc()
            return
        delay = self._retry.delay(delivery.attempts)
        log.warning("delivery %d (%s %s to %s), attempt %d failed, next in %.1fs: %s",
                    delivery.id, delivery.rule, delivery.channel, delivery.address,
                    delivery.attempts, delay, error)
        await deliveries.mark_retry(self._pool, delivery.id, error, delay)
