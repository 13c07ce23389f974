"""``kpi.updated`` as an outside system receives it, against reporting's ``GET /kpis``.

docs/domain.md#messages: a ``kpi.updated`` is published when a figure's numerator, denominator,
target or completeness changes, with a revision per figure that increases, so a subscriber that
keeps the highest revision of each figure holds what ``GET /kpis`` says.
"""

from __future__ import annotations

import json
from typing import Any

import aio_pika
import aio_pika.abc

from plumbing.amqp import connect
from tests.broker_users import KPI_QUEUE
from tests.model.oracle import Key

COMPARED = ("numerator", "denominator", "value", "target", "achievement", "revision",
            "complete")


class KpiSubscriber:
    """An outside system's queue on ``kerjasama.kpi``: the latest revision of each figure."""

    def __init__(self) -> None:
        self.latest: dict[Key, dict[str, Any]] = {}
        self.reported: set[Key] = set()
        self._connection: aio_pika.abc.AbstractRobustConnection | None = None

    async def start(self, amqp_url: str) -> None:
        self._connection = await connect(amqp_url)
        channel = await self._connection.channel()
        queue = await channel.get_queue(KPI_QUEUE, ensure=False)  # from the definitions
        await queue.consume(self._received)

    async def stop(self) -> None:
        if self._connection is not None:
            await self._connection.close()

    async def _received(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        async with message.process():
            data = json.loads(message.body)["data"]
            key = (data["indicator"], data["year"], data["scope"])
            if data["revision"] > self.latest.get(key, {}).get("revision", 0):
                self.latest[key] = data

    def differences(self, figures: dict[Key, dict[str, Any]]) -> dict[Key, str]:
        """Figures whose latest ``kpi.updated`` is not what ``GET /kpis`` says (the ones
        reported before left out)."""
        latest = dict(self.latest)  # filled on the event loop's thread
        found = {}
        for key in (figures.keys() | latest.keys()) - self.reported:
            mine, published = figures.get(key), latest.get(key)
            if mine is None or published is None or any(
                    mine.get(f) != published.get(f) for f in COMPARED):
                found[key] = (f"GET /kpis {_fields(mine)}; latest kpi.updated "
                              f"{_fields(published)}")
        return found


def _fields(figure: dict[str, Any] | None) -> str:
    if figure is None:
        return "none"
    return ", ".join(f"{f}={figure.get(f)}" for f in COMPARED)
