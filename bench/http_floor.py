"""The HTTP floor: a minimal FastAPI + uvicorn endpoint that validates a proposal-shaped
body with pydantic and does one asyncpg insert+commit, driven by the same client as the
services' HTTP row (16 httpx clients posting the same body).

``python -m bench.http_floor serve --port P --database-url U`` is the server (run as its
own process, as the services are); :func:`measure` starts it on a scratch database,
drives it for ``seconds`` and returns requests/s.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import httpx
import uvicorn
from fastapi import FastAPI

from bench.floors import scratch_database
from contracts.commands import ProposeAgreementBody
from plumbing.db import drop_database
from tests.integration.agreements.conftest import propose_body


def serve(port: int, database_url: str) -> None:
    """Run the floor's server until killed."""
    pool: list[asyncpg.Pool] = []

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        pool.append(await asyncpg.create_pool(database_url, min_size=16, max_size=16))
        await pool[0].execute("CREATE TABLE IF NOT EXISTS rows "
                              "(id bigserial PRIMARY KEY, data jsonb)")
        yield
        await pool[0].close()

    app = FastAPI(lifespan=lifespan)

    @app.post("/agreements", status_code=201)
    async def propose(body: ProposeAgreementBody) -> dict[str, int]:
        row_id = await pool[0].fetchval("INSERT INTO rows (data) VALUES ($1::jsonb) "
                                        "RETURNING id", body.model_dump_json())
        return {"id": row_id}

    uvicorn.run(app, host="127.0.0.1", port=port, access_log=False, log_level="warning",
                loop="uvloop", http="httptools")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def drive(url: str, seconds: float, clients: int = 16) -> float:
    """Requests/s of ``clients`` posting a proposal body to ``url`` for ``seconds``."""
    done = [0]
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        deadline = time.perf_counter() + seconds

        async def client() -> None:
            while time.perf_counter() < deadline:
                answer = await http.post("/agreements", json=propose_body())
                answer.raise_for_status()
                done[0] += 1

        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        return done[0] / (time.perf_counter() - started)


async def measure(seconds: float, clients: int = 16) -> float:
    """Start the floor's server on a scratch database, drive it, stop it: requests/s."""
    url = await scratch_database("http")
    port = _free_port()
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.http_floor", "serve", "--port", str(port),
        "--database-url", url)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as probe:
            for _ in range(200):
                try:
                    await probe.get("/docs")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
        return await drive(f"http://127.0.0.1:{port}", seconds, clients)
    finally:
        server.terminate()
        await asyncio.wait_for(server.wait(), 10)
        await drop_database(url)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.http_floor")
    sub = parser.add_subparsers(dest="command", required=True)
    serving = sub.add_parser("serve")
    serving.add_argument("--port", type=int, required=True)
    serving.add_argument("--database-url", required=True)
    measuring = sub.add_parser("measure")
    measuring.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args()
    if args.command == "serve":
        serve(args.port, args.database_url)
    else:
        print(f"HTTP floor: {asyncio.run(measure(args.seconds)):.0f} requests/s")


if __name__ == "__main__":
    main()
