"""A local WhatsApp provider for the tests: a real HTTP server on 127.0.0.1 that records
each request as it arrived (method, path, headers, raw body) and answers from a script."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx
from fastapi import FastAPI, Request, Response

from plumbing.http import serve

from .conftest import eventually, free_port

PHONE_NUMBER_ID = "106540352242922"
CLOUD_TOKEN = "EAAGtesttoken-cloud-0123456789"
GATEWAY_TOKEN = "gateway-token-0123456789"


@dataclass
class Seen:
    """One request as the receiver saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode(), keep_blank_values=True))


@dataclass
class WhatsAppReceiver:
    """Answers each request with the next scripted ``(status, body)``, then ``ok``."""

    port: int
    seen: list[Seen] = field(default_factory=list)
    script: list[tuple[int, Any]] = field(default_factory=list)
    ok: tuple[int, Any] = (200, {})

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cloud_settings(self) -> dict[str, Any]:
        return {"whatsapp_provider": "cloud", "whatsapp_cloud_base_url": f"{self.base}/v21.0",
                "whatsapp_cloud_phone_number_id": PHONE_NUMBER_ID,
                "whatsapp_cloud_token": CLOUD_TOKEN}

    def gateway_settings(self) -> dict[str, Any]:
        return {"whatsapp_provider": "gateway", "whatsapp_gateway_url": f"{self.base}/send",
                "whatsapp_gateway_token": GATEWAY_TOKEN}


async def run_receiver() -> AsyncIterator[WhatsAppReceiver]:
    """Serve a receiver until the generator is closed."""
    receiver = WhatsAppReceiver(free_port())
    app = FastAPI()

    @app.post("/{path:path}")
    async def anything(path: str, request: Request) -> Response:
        receiver.seen.append(Seen(request.method, request.url.path, dict(request.headers),
                                  await request.body()))
        status, body = receiver.script.pop(0) if receiver.script else receiver.ok
        if callable(body):
            body = body(len(receiver.seen))
        return Response(json.dumps(body), status_code=status, media_type="application/json")

    stop = asyncio.Event()
    task = asyncio.create_task(serve(app, "127.0.0.1", receiver.port, stop=stop,
                                     log_level="warning"))

    async def listening() -> bool:
        try:
            async with httpx.AsyncClient(trust_env=False) as client:
                await client.get(f"{receiver.base}/")
            return True
        except httpx.TransportError:
            return False

    await eventually(listening, what="WhatsApp receiver listening")
    try:
        yield receiver
    finally:
        stop.set()
        await task
