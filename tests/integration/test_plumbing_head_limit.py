"""A real server caps the request head while reading it: a 431 problem, not a 1.3 MB read."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI, Request

from plumbing.http import serve
from plumbing.limits import LimitsSettings
from plumbing.settings import load_settings
from tests.integration.test_plumbing_http_serve import free_port, wait_until_up

MiB = 1024 * 1024


CALLS: list[int] = []
"""The sizes of the bodies /echo received, in order."""


@pytest.fixture
async def server(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[int]:
    monkeypatch.delenv("KERJASAMA_MAX_HEADER_BYTES", raising=False)
    app = FastAPI()
    CALLS.clear()

    @app.get("/who")
    async def who() -> dict[str, str]:
        return {"ok": "yes"}

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, int]:
        size = len(await request.body())
        CALLS.append(size)
        return {"size": size}

    port, stop = free_port(), asyncio.Event()
    task = asyncio.create_task(serve(app, "127.0.0.1", port, stop=stop, log_level="critical"))
    await wait_until_up(f"http://127.0.0.1:{port}/who")
    yield port
    stop.set()
    await asyncio.wait_for(task, 10)


async def answer_of(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines if line)
    body = await reader.readexactly(int(headers["content-length"]))
    return int(status_line.split()[1]), headers, body


async def test_a_megabyte_bearer_header_is_refused_before_it_is_read_whole(server: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server)
    writer.write(b"GET /who HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer ")
    sent = 0
    answer = asyncio.ensure_future(answer_of(reader))
    try:  # the head never ends: only a server that stops reading can answer
        while sent < 1.3 * MiB and not answer.done():
            writer.write(b"A" * 16384)
            await writer.drain()
            sent += 16384
            await asyncio.sleep(0.001)
    except ConnectionError:
        pass
    status, headers, body = await answer
    assert status == 431
    assert headers["content-type"] == "application/problem+json"
    problem = json.loads(body)
    assert problem["status"] == 431 and problem["max_bytes"] == 16384
    assert sent < 1.3 * MiB, "the server read the whole header"
    writer.close()


async def test_a_client_that_writes_its_whole_head_before_reading_sees_the_431(
        server: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server)
    writer.write(b"GET /who HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + b"A" * int(1.3 * MiB)
                 + b"\r\n\r\n")
    await writer.drain()  # the server reads the rest and throws it away before closing
    status, _, body = await answer_of(reader)
    assert status == 431 and json.loads(body)["title"] == "Request Header Fields Too Large"
    writer.close()


async def test_a_head_over_the_cap_in_one_piece_is_a_431_and_one_under_it_is_served(
        server: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server)
    for _ in range(2):  # one connection keeps serving heads under the cap
        writer.write(b"GET /who HTTP/1.1\r\nHost: t\r\nX-Pad: " + b"p" * 12000 + b"\r\n\r\n")
        assert (await answer_of(reader))[0] == 200
    writer.write(b"GET /who HTTP/1.1\r\nHost: t\r\nX-Pad: " + b"p" * 17000 + b"\r\n\r\n")
    status, headers, _ = await answer_of(reader)
    assert (status, headers["connection"]) == (431, "close")
    writer.close()


async def test_a_small_head_with_a_large_body_in_one_read_is_served_once(server: int) -> None:
    """The body is no part of the head, even when the whole request (or two) arrives in
    one read: such a request is answered, not refused after it was carried out."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server)
    for size in (17_000, 40_000):
        writer.write(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\n"
                     + f"Content-Length: {size}\r\n\r\n".encode() + b"b" * size)
        await writer.drain()
        status, _, body = await answer_of(reader)
        assert (status, json.loads(body)) == (200, {"size": size})
    two = b"".join(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 20000\r\n\r\n"
                   + b"c" * 20_000 for _ in range(2))
    writer.write(two)  # pipelined, in one write
    await writer.drain()
    assert [(await answer_of(reader))[0] for _ in range(2)] == [200, 200]
    assert CALLS == [17_000, 40_000, 20_000, 20_000]
    writer.close()


def test_the_cap_is_kerjasama_max_header_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KERJASAMA_MAX_HEADER_BYTES", "32768")
    assert load_settings(LimitsSettings).max_header_bytes == 32768
