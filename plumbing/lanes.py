"""Lanes: each stream's events one after another, in the broker's delivery order, while
different streams go concurrently (docs/decisions.md, "A consumer keeps each stream's
order").

Used by the consumer's ordering middleware (:mod:`plumbing.consume`)."""

from __future__ import annotations

import asyncio
import logging

log = logging.getLogger(__name__)


class Lanes:
    """One lane per key: work under the same key runs one at a time, in the order its
    places were taken (:meth:`place`, synchronous); different keys run concurrently.

    A place is left when its work ends, or earlier when the work says its order is kept
    by what it handed the work to (``release()``: a group commit that applies its events
    in the order they were queued)."""

    def __init__(self) -> None:
        self._last: dict[str, asyncio.Future[None]] = {}

    def place(self, key: str) -> Place:
        """Take a place in the lane of ``key`` now; entering it waits for the places
        taken before it under the same key to be left."""
        before = self._last.get(key)
        mine: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._last[key] = mine
        return Place(self, key, before, mine)

    def _left(self, key: str, mine: asyncio.Future[None]) -> None:
        if not mine.done():
            mine.set_result(None)
        if self._last.get(key) is mine:
            del self._last[key]

    def __len__(self) -> int:
        return len(self._last)


class Place:
    """A place in a lane (see :class:`Lanes`)."""

    def __init__(self, lanes: Lanes, key: str, before: asyncio.Future[None] | None,
                 mine: asyncio.Future[None]) -> None:
        self._lanes, self._key, self._before, self._mine = lanes, key, before, mine

    def release(self) -> None:
        """Let the next place of the lane go ahead (idempotent)."""
        self._lanes._left(self._key, self._mine)

    async def __aenter__(self) -> Place:
        try:
            if self._before is not None:
                await asyncio.shield(self._before)
        except BaseException:
            before = self._before
            if before is not None and not before.done():
                # cancelled while waiting: the places after this one still wait for the
                # ones before it
                before.add_done_callback(lambda _: self.release())
            else:
                self.release()
            raise
        return self

    async def __aexit__(self, *_: object) -> None:
        self.release()


class DeliveryOrder:
    """Lets the deliveries of one channel take their places in delivery-tag order.

    The broker numbers a channel's deliveries 1, 2, 3, ... in the order it sends them; the
    client library may hand them to the handler in another order under load. A delivery
    waits (at most ``wait_seconds``) until the one before it has taken its place, so a
    stream's events keep the broker's order. Tags that restart at 1 (a new channel, after a
    reconnection) start over.
    """

    def __init__(self, wait_seconds: float = 1.0) -> None:
        self._next: int | None = None
        self._waiting: dict[int, asyncio.Event] = {}
        self._wait_seconds = wait_seconds

    async def turn(self, tag: int) -> None:
        """Until the deliveries before ``tag`` have passed (or the wait ran out)."""
        if self._next is None or tag < self._next:
            if self._next is None or tag == 1 or self._next - tag > RESTARTED:
                self._next = tag  # the first delivery, or a new channel's
            return
        if tag == self._next:
            return
        event = self._waiting.setdefault(tag, asyncio.Event())
        try:
            await asyncio.wait_for(event.wait(), self._wait_seconds)
        except TimeoutError:
            log.debug("delivery %s went ahead of %s after %.1fs", tag, self._next,
                      self._wait_seconds)
        finally:
            self._waiting.pop(tag, None)

    def passed(self, tag: int) -> None:
        """``tag`` has taken its place: the next delivery may."""
        if self._next is None or tag >= self._next:
            self._next = tag + 1
        following = self._waiting.get(self._next)
        if following is not None:
            following.set()


RESTARTED = 10_000
"""A tag this far below the expected one belongs to a new channel."""
