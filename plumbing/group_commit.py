"""Group commit: events handed in while a transaction runs are applied together in the next.

Deliveries are handled concurrently (up to the consumer's prefetch), so rather than one
transaction per delivery the events waiting are taken as a group and applied in one
transaction (:func:`plumbing.inbox.handle_many_in_transaction`): reporting, whose writers
of a generation wait for one lock anyway, and notifications both consume this way. Each
caller gets its own event's outcome once the group committed, and only then acks its
message. A group that fails is
tried again one event at a time, so a poison event or a stream that cannot be filled fails
alone and the others go through.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace

from plumbing.db import Conn, Pool
from plumbing.inbox import FetchMissing, InboxEvent, Outcome, handle_many_in_transaction
from plumbing.retry import is_transient, retry_transient
from plumbing.tracing import current_trace, span

RunGroup = Callable[[list[InboxEvent]], Awaitable[list[Outcome]]]


class GroupCommit:
    """Applies the events handed to :meth:`handle` in groups of at most ``max_group``."""

    def __init__(self, run: RunGroup, *, max_group: int = 256,
                 name: str = "group-commit", retry_seconds: float = 30.0) -> None:
        self._run = run
        self._name = name
        self._retry_seconds = retry_seconds
        self._max_group = max_group
        self._waiting: list[tuple[InboxEvent, asyncio.Future[Outcome]]] = []
        self._worker: asyncio.Task[None] | None = None

    async def handle(self, event: InboxEvent,
                     queued: Callable[[], None] = lambda: None) -> Outcome:
        """Apply ``event`` with the others waiting; its outcome once the group committed.

        ``queued()`` is called once the event has its place in the queue: events are
        applied in the order they were queued, so the next event of its stream may be
        handed in from then on."""
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        if trace := current_trace():  # the handing-in consumer's span: what follows is its
            event = replace(event, trace=trace)
        self._waiting.append((event, future))
        queued()
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._drain(), name=self._name)
        return await future

    async def _drain(self) -> None:
        while self._waiting:
            group = self._waiting[:self._max_group]
            del self._waiting[:self._max_group]
            try:
                await self._apply(group)
            except BaseException as exc:  # cancelled: nobody may wait forever
                for _, future in [*group, *self._waiting]:
                    if not future.done():
                        future.set_exception(exc)
                self._waiting.clear()
                raise

    async def _apply(self, group: list[tuple[InboxEvent, asyncio.Future[Outcome]]]) -> None:
        events = [event for event, _ in group]
        try:
            # one span per group: in the trace of its last event, linked to the others'
            with span(self._name, parent=events[-1].trace,
                      links=[event.trace for event in events[:-1]],
                      attributes={"kerjasama.group.events": len(events)}):
                outcomes = await retry_transient(self._retry_seconds, self._run, events)
        except Exception as exc:
            if len(group) == 1 or is_transient(exc):  # still away: each caller retries
                for _, future in group:
                    _settle(future, exc)
                return
            for event, future in group:  # one of them may be poison: each on its own
                try:
                    with span(self._name, parent=event.trace):
                        _settle(future, (await self._run([event]))[0])
                except Exception as alone:
                    _settle(future, alone)
            return
        for (_, future), outcome in zip(group, outcomes, strict=True):
            _settle(future, outcome)


def _settle(future: asyncio.Future[Outcome], result: Outcome | Exception) -> None:
    if future.done():  # the caller was cancelled
        return
    if isinstance(result, Exception):
        future.set_exception(result)
    else:
        future.set_result(result)


def inbox_groups(pool: Pool, apply_one: Callable[[Conn, InboxEvent], Awaitable[None]],
                 fetch_missing: FetchMissing, *, name: str, retry_seconds: float,
                 max_group: int = 64) -> GroupCommit:
    """A group commit of stream events through the inbox: each group in one transaction of
    a connection of ``pool``, its new events applied one by one with ``apply_one`` (gaps
    filled with ``fetch_missing``)."""

    async def apply_each(conn: Conn, events: list[InboxEvent]) -> None:
        for event in events:  # what each event causes continues its own trace
            with span("apply event", parent=event.trace,
                      attributes={"kerjasama.stream": event.stream_id,
                                  "kerjasama.version": event.version}):
                await apply_one(conn, event)

    async def run_group(events: list[InboxEvent]) -> list[Outcome]:
        async with pool.acquire() as conn, conn.transaction():
            return await handle_many_in_transaction(conn, events, apply_each, fetch_missing)

    return GroupCommit(run_group, max_group=max_group, name=name, retry_seconds=retry_seconds)
