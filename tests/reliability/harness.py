"""Fuzzing harness: a service app hosted on its own event loop, and the checks of each request.

Hypothesis runs synchronously, one ``@given`` per operation; the app, its database pool
and the fingerprint connection live on an event loop in a thread of their own
(:class:`Hosted`), so each drawn request is sent there and awaited.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

import asyncpg
import httpx
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings

from tests.auth import auth_headers
from tests.reliability.openapi_fuzz import Hints, Operation, Request, operations, requests
from tests.reliability.stored import changes, fingerprint

T = TypeVar("T")
PROBLEM_JSON = "application/problem+json"


class Hosted:
    """``app`` with its lifespan run on an event loop in a thread; :meth:`call` runs there."""

    def __init__(self, make_app: Callable[[], FastAPI], database_url: str) -> None:
        self.make_app = make_app
        self.database_url = database_url
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="fuzzed-app",
                                       daemon=True)
        self._stop: asyncio.Event | None = None
        self._host: asyncio.Future[None] | None = None

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 120) -> T:
        """Run ``coro`` on the app's loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def status(self, method: str, url: str, **kwargs: Any) -> int:
        """The status of one request; an exception that escaped the app counts as a 500."""
        async def send() -> int:
            try:
                return (await self.client.request(method, url, **kwargs)).status_code
            except Exception:
                return 500

        return self.call(send())

    def __enter__(self) -> Hosted:
        self.thread.start()
        started: asyncio.Future[None] = self.loop.create_future()

        async def host() -> None:
            self._stop = asyncio.Event()
            app = self.make_app()
            try:
                async with app.router.lifespan_context(app):
                    transport = httpx.ASGITransport(app=app)
                    async with httpx.AsyncClient(headers=auth_headers(), transport=transport,
                                                 base_url="http://fuzzed") as client:
                        self.client = client
                        for _ in range(300):  # fuzz a service that is ready (its broker
                            if (await client.get("/readyz")).status_code == 200:  # link up)
                                break
                            await asyncio.sleep(0.1)
                        self.conn = await asyncpg.connect(self.database_url)
                        started.set_result(None)
                        await self._stop.wait()
                        await self.conn.close()
            except BaseException as exc:
                if not started.done():
                    started.set_exception(exc)
                raise

        async def start() -> None:
            self._host = asyncio.ensure_future(host())
            await started

        try:
            self.call(start())
        except BaseException:
            self._close_loop()
            raise
        return self

    def _close_loop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=30)
        self.loop.close()

    def __exit__(self, *_: object) -> None:
        async def stop() -> None:
            assert self._stop is not None and self._host is not None
            self._stop.set()
            await self._host

        try:
            self.call(stop())
        finally:
            self._close_loop()


@dataclass
class Target:
    """A hosted service under fuzzing and what its requests gave."""

    hosted: Hosted
    hints: Hints
    skip: tuple[str, ...] = ("/metrics",)
    ignore: frozenset[str] = frozenset()
    """Tables that change by themselves (background jobs), left out of the fingerprint."""
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    valid_drawn: Counter[str] = field(default_factory=Counter)

    def operations(self) -> list[Operation]:
        spec = self.hosted.call(self.hosted.client.get("/openapi.json")).json()
        return operations(spec, skip=self.skip)

    async def check(self, request: Request) -> None:
        """Send ``request``: never a 5xx; a 4xx is a problem document and stores nothing."""
        conn, client = self.hosted.conn, self.hosted.client
        before = await fingerprint(conn, ignore=self.ignore)
        try:
            response = await client.request(request.operation.method, request.url,
                                             headers=[(k.encode(), v)
                                                      for k, v in request.headers],
                                             content=request.content)
        except Exception as exc:
            raise AssertionError(f"{request!r}: the app raised {exc!r}") from exc
        status = response.status_code
        self.statuses[(str(request.operation), status)] += 1
        self.valid_drawn[str(request.operation)] += request.valid
        assert status < 500, f"{request!r} -> {status} {response.text[:800]}"
        if 400 <= status < 500:
            kind = response.headers.get("content-type", "")
            assert kind.startswith(PROBLEM_JSON), f"{request!r} -> {status} {kind}"
            assert response.json()["status"] == status, f"{request!r} -> {response.text}"
            after = await fingerprint(conn, ignore=self.ignore)
            assert after == before, (f"{request!r} -> {status} {response.text[:300]}, "
                                     f"yet stored: {changes(before, after)}")

    def fuzz(self, examples: int) -> None:
        """``examples`` requests per operation; fails naming every operation that broke."""
        failures: dict[str, str] = {}
        for operation in self.operations():
            @settings(max_examples=examples, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            @given(request=requests(operation, self.hints))
            def run(request: Request) -> None:
                self.hosted.call(self.check(request))

            try:
                run()
            except AssertionError as exc:
                failures[str(operation)] = str(exc)
        assert not failures, "\n\n".join(f"{op}:\n{why}" for op, why in failures.items())

    def answered(self, operation: str, status: Callable[[int], bool]) -> int:
        """How many requests of ``operation`` were answered with a matching status."""
        return sum(n for (op, code), n in self.statuses.items()
                   if op == operation and status(code))

    def summary(self) -> str:
        by_class: Counter[str] = Counter()
        for (_, code), n in self.statuses.items():
            by_class[f"{code // 100}xx"] += n
        operations = len({op for op, _ in self.statuses})
        return (f"{sum(self.statuses.values())} requests over {operations} operations: "
                f"{dict(sorted(by_class.items()))}")

