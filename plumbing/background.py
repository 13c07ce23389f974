"""Background loops with one stop convention.

Every loop of a service is a coroutine function taking a :class:`Stop`: it returns soon
after the stop is set (between two rounds, never in the middle of one). :class:`Background`
starts the loops of a service, and on shutdown sets the stop, waits for them to return and
cancels what is still running after a grace period.

Most loops do one thing now and again: :func:`every` runs a round every ``interval``
seconds, or sooner when woken, and logs a failed round without ending the loop::

    background.add("scheduler", every(scheduler.run_once, interval=60, wake=schedule_now))
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from plumbing.retry import is_transient

log = logging.getLogger(__name__)


class Stop:
    """Set once, when the service shuts down; loops look at it between rounds."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self._wakes: set[asyncio.Event] = set()

    def set(self) -> None:
        """Ask every loop to return (and wake those sleeping on a wake-up event)."""
        self._event.set()
        for wake in self._wakes:
            wake.set()

    def is_set(self) -> bool:
        """Whether the service is shutting down."""
        return self._event.is_set()

    async def wait(self) -> None:
        """Until the stop is set."""
        await self._event.wait()

    async def sleep(self, seconds: float, wake: asyncio.Event | None = None) -> bool:
        """Sleep ``seconds``, less when ``wake`` or the stop is set; true while running.

        ``wake`` is left as it is: the caller clears it when it starts the work it asks
        for, so a wake-up that arrives during that work shortens the next sleep. (The
        stop sets every wake-up event it has slept on, so one event is awaited.)
        """
        event = self._event
        if wake is not None:
            self._wakes.add(wake)
            if self.is_set():
                wake.set()
            event = wake
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), seconds)
        return not self.is_set()


Loop = Callable[[Stop], Coroutine[Any, Any, None]]
"""A background loop: runs until the stop is set."""


def every(round_: Callable[[], Awaitable[Any]], *, interval: float,
          wake: asyncio.Event | None = None, name: str | None = None,
          after: Callable[[Any], None] | None = None) -> Loop:
    """A loop that awaits ``round_()`` now and every ``interval`` seconds (sooner when
    ``wake`` is set); ``after`` gets each round's result. A failed round is logged and the
    loop goes on: a transient outage as a warning, but the very first round's as a note
    (what it needs may simply start after it: services of one deployment start in any
    order), so only an outage that outlasts a round is a warning."""
    label = name or getattr(round_, "__qualname__", "loop")

    async def loop(stop: Stop) -> None:
        first = True
        while not stop.is_set():
            if wake is not None:
                wake.clear()
            try:
                result = await round_()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if is_transient(exc):
                    log.log(logging.INFO if first else logging.WARNING,
                            "%s: unavailable%s, next round in %.0fs: %r", label,
                            " at start" if first else "", interval, exc)
                else:
                    log.exception("%s: round failed, next round in %.0fs", label, interval)
            else:
                if after is not None:
                    after(result)
            first = False
            await stop.sleep(interval, wake)

    return loop


class Background:
    """The loops of one service process, started together and stopped together."""

    def __init__(self, grace_seconds: float = 15.0) -> None:
        self.stop = Stop()
        self._grace = grace_seconds
        self._loops: list[tuple[str, Loop]] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._started = False

    def add(self, name: str, loop: Loop) -> None:
        """Run ``loop`` once the service starts (or now, when it has started)."""
        self._loops.append((name, loop))
        if self._started:
            self._start(name, loop)

    def _start(self, name: str, loop: Loop) -> None:
        self._tasks.append(asyncio.create_task(loop(self.stop), name=name))

    def start(self) -> None:
        """Start every loop added so far."""
        self._started = True
        for name, loop in self._loops:
            self._start(name, loop)

    async def close(self) -> None:
        """Set the stop, wait up to the grace period, then cancel what still runs."""
        self.stop.set()
        tasks, self._tasks = self._tasks, []
        if not tasks:
            return
        done, pending = await asyncio.wait(tasks, timeout=self._grace)
        for task in pending:
            log.warning("background loop %s did not stop within %.0fs; cancelled",
                        task.get_name(), self._grace)
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                log.error("background loop %s ended with %r", task.get_name(),
                          task.exception())
