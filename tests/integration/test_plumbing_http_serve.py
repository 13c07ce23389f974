"""serve() runs uvicorn inside the running loop, with the app's lifespan."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI

from plumbing.http import health_router, serve


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_until_up(url: str) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        for _ in range(600):
            try:
                return await client.get(url)
            except httpx.ConnectError:
                await asyncio.sleep(0.05)
    raise AssertionError(f"{url} never answered")


async def test_serve_runs_lifespan_and_stops_gracefully_when_asked() -> None:
    events: list[str] = []

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        events.append("started")
        yield
        events.append("stopped")

    async def ready() -> bool:
        return True

    app = FastAPI(lifespan=lifespan)
    app.include_router(health_router({"always": ready}))
    port, stop = free_port(), asyncio.Event()
    server = asyncio.create_task(serve(app, "127.0.0.1", port, stop=stop, log_level="warning"))
    response = await wait_until_up(f"http://127.0.0.1:{port}/readyz")
    assert response.json() == {"status": "ok", "checks": {"always": "ok"}}
    assert events == ["started"]
    stop.set()
    await asyncio.wait_for(server, 10)
    assert events == ["started", "stopped"]


async def test_a_taken_port_is_a_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(RuntimeError, match=f"127.0.0.1:{port} failed to start"):
            await serve(FastAPI(), "127.0.0.1", port, stop=asyncio.Event(), log_level="critical")
