"""Oversized bodies and over-long fields are refused (413/422) and nothing is stored.

The body limit (plumbing/limits.py, ``KERJASAMA_MAX_BODY_BYTES``, default 1 MiB) is checked
on the agreements POST routes and notifications ``PUT /contacts/{opd}``, in-process and
through a real uvicorn server (a declared Content-Length and a chunked body); field and
list bounds come from the contract models.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from plumbing.errors import ConfigError
from plumbing.http import install_problem_handlers, serve
from plumbing.limits import DEFAULT_MAX_BODY_BYTES, BodySizeLimit, install_body_limit
from plumbing.settings import load_settings
from services.agreements.app import create_app as create_agreements
from services.agreements.settings import AgreementsSettings
from services.notifications.app import create_app as create_notifications
from services.notifications.settings import NotificationsSettings
from tests.auth import auth_headers
from tests.conftest import MANAGEMENT_URL
from tests.integration.agreements.conftest import propose_body, to_ready_to_sign
from tests.reliability.stored import fingerprint

MiB = 1024 * 1024
PROBLEM_JSON = "application/problem+json"


class Service:
    """An in-process client of a service app and a fingerprint of its database."""

    def __init__(self, client: httpx.AsyncClient, database_url: str) -> None:
        self.client, self.database_url = client, database_url

    async def stored(self) -> dict[str, tuple[int, str]]:
        conn = await asyncpg.connect(self.database_url)
        try:
            return await fingerprint(conn)
        finally:
            await conn.close()

    async def refused(self, status: int, send: Callable[[], Awaitable[httpx.Response]]
                      ) -> dict[str, Any]:
        """Send; expect a ``status`` problem and nothing stored; return the problem."""
        before = await self.stored()
        response = await send()
        assert response.status_code == status, response.text[:500]
        assert response.headers["content-type"].startswith(PROBLEM_JSON)
        problem: dict[str, Any] = response.json()
        assert problem["status"] == status
        assert await self.stored() == before, "a refused request stored something"
        return problem


async def in_process(app: FastAPI, database_url: str) -> AsyncIterator[Service]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
                headers=auth_headers(), transport=transport, base_url="http://service") as client:
            yield Service(client, database_url)


@pytest.fixture
async def agreements(database_url: str) -> AsyncIterator[Service]:
    settings = load_settings(AgreementsSettings, agreements_database_url=database_url,
                             messaging=False)
    async for service in in_process(create_agreements(settings), database_url):
        yield service


@pytest.fixture
async def notifications(database_url: str, fresh_topology: str) -> AsyncIterator[Service]:
    settings = load_settings(NotificationsSettings, notifications_database_url=database_url,
                             amqp_url=fresh_topology, rabbitmq_management_url=MANAGEMENT_URL)
    async for service in in_process(create_notifications(settings), database_url):
        yield service


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def padded(body: dict[str, Any], size: int) -> bytes:
    """``body`` as JSON of at least ``size`` bytes (an over-long title)."""
    return json.dumps({**body, "title": "x" * size}).encode()


async def chunks(total: int, chunk: int = 64 * 1024) -> AsyncIterator[bytes]:
    """A body of ``total`` bytes sent without Content-Length (chunked)."""
    sent = 0
    yield b'{"title": "'
    while sent < total:
        yield b"x" * chunk
        sent += chunk
    yield b'"}'


# --- the body limit -----------------------------------------------------------------

async def test_a_2_mib_proposal_is_refused_with_413_and_nothing_is_stored(
        agreements: Service) -> None:
    problem = await agreements.refused(413, lambda: agreements.client.post(
        "/agreements", content=padded(propose_body(), 2 * MiB),
        headers={"content-type": "application/json", "Idempotency-Key": "big-1"}))
    assert problem["title"] == "Content Too Large"
    assert problem["max_bytes"] == DEFAULT_MAX_BODY_BYTES
    # the key was not remembered: the same key with a proper body is a new proposal
    again = await agreements.client.post("/agreements", json=propose_body(),
                                         headers={"Idempotency-Key": "big-1"})
    assert again.status_code == 201, again.text


async def test_a_chunked_body_past_the_limit_is_refused_with_413(agreements: Service) -> None:
    aid = await to_ready_to_sign(agreements.client)
    for path in ("/agreements", f"/agreements/{aid}/sign", f"/agreements/{aid}/withdraw",
                 "/work-programs/2021"):
        await agreements.refused(413, partial(
            agreements.client.post, path, content=chunks(2 * MiB),
            headers={"content-type": "application/json"}))


async def test_every_agreements_post_route_refuses_a_declared_oversized_body(
        agreements: Service) -> None:
    aid = await to_ready_to_sign(agreements.client)
    actions = ("review", "request-revision", "resubmit", "reject", "withdraw", "draft",
               "discuss", "approve", "sign", "plan", "follow-ups", "evaluate", "terminate",
               "expire", "milestones/m1/complete")
    paths = ["/agreements", "/work-programs/2021", *(f"/agreements/{aid}/{a}" for a in actions)]
    body = b"{" + b" " * (DEFAULT_MAX_BODY_BYTES + 1) + b"}"
    for path in paths:
        await agreements.refused(413, partial(
            agreements.client.post, path, content=body,
            headers={"content-type": "application/json"}))


async def test_a_body_just_under_the_limit_reaches_validation(agreements: Service) -> None:
    body = padded(propose_body(), DEFAULT_MAX_BODY_BYTES - 1000)
    assert len(body) <= DEFAULT_MAX_BODY_BYTES
    problem = await agreements.refused(422, lambda: agreements.client.post(
        "/agreements", content=body, headers={"content-type": "application/json"}))
    assert [e["field"] for e in problem["errors"]] == ["body.title"]


async def test_an_oversized_contact_is_refused_with_413_declared_or_chunked(
        notifications: Service) -> None:
    big = json.dumps({"emails": ["a@b.id"], "name": "x" * (2 * MiB)}).encode()
    await notifications.refused(413, lambda: notifications.client.put(
        "/contacts/DISKUK", content=big, headers={"content-type": "application/json"}))
    await notifications.refused(413, lambda: notifications.client.put(
        "/contacts/DISKUK", content=chunks(2 * MiB),
        headers={"content-type": "application/json"}))
    assert (await notifications.client.get("/contacts/DISKUK")).status_code == 404


async def test_a_real_server_refuses_oversized_bodies_before_reading_them() -> None:
    """Through uvicorn: Content-Length refused up front; a chunked body cut at the limit."""
    seen: list[int] = []
    app = FastAPI()
    install_problem_handlers(app, max_body_bytes=1000)

    @app.post("/echo")
    async def echo(body: dict[str, Any]) -> dict[str, int]:
        seen.append(len(json.dumps(body)))
        return {"size": seen[-1]}

    stop = asyncio.Event()
    port = free_port()
    task = asyncio.create_task(serve(app, "127.0.0.1", port, stop=stop, log_level="warning"))
    try:
        async with httpx.AsyncClient(
                headers=auth_headers(), base_url=f"http://127.0.0.1:{port}", timeout=10,
                                     trust_env=False) as client:
            for _ in range(600):
                try:
                    await client.post("/echo", json={})
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
            small = await client.post("/echo", json={"a": "x" * 900})
            declared = await client.post("/echo", json={"a": "x" * 5000})

            async def stream() -> AsyncIterator[bytes]:
                yield b'{"a": "'
                for _ in range(50):
                    yield b"x" * 100
                yield b'"}'

            chunked = await client.post("/echo", content=stream(),
                                        headers={"content-type": "application/json"})
    finally:
        stop.set()
        await task
    assert small.status_code == 200
    assert declared.status_code == 413, declared.text
    assert chunked.status_code == 413, chunked.text
    assert chunked.headers["content-type"].startswith(PROBLEM_JSON)
    assert seen == [2, small.json()["size"]], "a handler ran on an oversized body"


def test_the_limit_comes_from_kerjasama_max_body_bytes(monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    monkeypatch.setenv("KERJASAMA_MAX_BODY_BYTES", "2048")
    assert install_body_limit(FastAPI()) == 2048
    monkeypatch.setenv("KERJASAMA_MAX_BODY_BYTES", "lots")
    with pytest.raises(ConfigError, match="KERJASAMA_MAX_BODY_BYTES"):
        install_body_limit(FastAPI())
    with pytest.raises(ValueError):
        BodySizeLimit(FastAPI(), max_bytes=0)


# --- field and list bounds ------------------------------------------------------------

async def test_an_over_long_field_is_a_422_naming_the_field(agreements: Service) -> None:
    for field, size in (("title", 301), ("objective", 4001), ("sector", 301)):
        problem = await agreements.refused(422, partial(
            agreements.client.post, "/agreements", json=propose_body(**{field: "x" * size})))
        assert [e["field"] for e in problem["errors"]] == [f"body.{field}"]
        assert "at most" in problem["detail"]
    aid = await to_ready_to_sign(agreements.client)
    problem = await agreements.refused(422, lambda: agreements.client.post(
        f"/agreements/{aid}/withdraw", json={"reason": "x" * 4001}))
    assert [e["field"] for e in problem["errors"]] == ["body.reason"]
    problem = await agreements.refused(422, lambda: agreements.client.post(
        "/agreements", json=propose_body(partner={"name": "x" * 301, "category": "THIRD_PARTY",
                                                  "country": "ID"})))
    assert [e["field"] for e in problem["errors"]] == ["body.partner.name"]


async def test_a_list_longer_than_its_limit_is_a_422(agreements: Service) -> None:
    problem = await agreements.refused(422, lambda: agreements.client.post(
        "/agreements", json=propose_body(supporting_opds=["DISHUB"] * 51)))
    assert [e["field"] for e in problem["errors"]] == ["body.supporting_opds"]
    partner = {"name": "Kota Bekasi", "category": "REGIONAL_GOVERNMENT", "country": "ID"}
    problem = await agreements.refused(422, lambda: agreements.client.post(
        "/agreements", json=propose_body(co_partners=[partner] * 51)))
    assert [e["field"] for e in problem["errors"]] == ["body.co_partners"]
    aid = await to_ready_to_sign(agreements.client)
    milestones = [{"id": f"m{i}", "title": "t", "due_on": "2021-06-30"} for i in range(201)]
    problem = await agreements.refused(422, lambda: agreements.client.post(
        f"/agreements/{aid}/plan", json={"milestones": milestones}))
    assert [e["field"] for e in problem["errors"]] == ["body.milestones"]


async def test_free_text_with_nul_is_a_422_not_a_500(agreements: Service) -> None:
    problem = await agreements.refused(422, lambda: agreements.client.post(
        "/agreements", json=propose_body(title="Galeri\x00UMKM")))
    assert [e["field"] for e in problem["errors"]] == ["body.title"]


async def test_an_over_long_or_too_many_contact_fields_are_a_422(
        notifications: Service) -> None:
    cases = (({"emails": ["a" * 320 + "@b.id"]}, "body.emails[0]"),
             ({"emails": [f"u{i}@b.id" for i in range(51)]}, "body.emails"),
             ({"webhooks": [{"url": f"https://h.id/{i}", "secret": "s" * 16}
                            for i in range(21)]}, "body.webhooks"),
             ({"webhooks": [{"url": "https://h.id/" + "x" * 2000, "secret": "s" * 16}]},
              "body.webhooks[0].url"),
             ({"name": "x" * 301}, "body.name"))
    for body, field in cases:
        problem = await notifications.refused(422, partial(
            notifications.client.put, "/contacts/DISKUK", json=body))
        assert [e["field"] for e in problem["errors"]] == [field], problem
    assert (await notifications.client.get("/contacts/DISKUK")).status_code == 404


async def test_a_content_length_that_is_not_a_number_is_a_400_before_the_app_runs() -> None:
    reached: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        reached.append(scope["path"])

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"{}", "more_body": False}

    limit = BodySizeLimit(app, max_bytes=100)
    for value in (b"abc", b"-5", b"1e3"):
        sent.clear()
        scope = {"type": "http", "method": "POST", "path": "/agreements", "headers": [
            (b"content-length", value)], "query_string": b""}
        await limit(scope, receive, send)
        assert sent[0]["status"] == 400
        assert json.loads(sent[1]["body"])["title"] == "Invalid Content-Length"
    assert reached == []
    await limit({"type": "http", "method": "POST", "path": "/ok", "headers": [
        (b"content-length", b"2")], "query_string": b""}, receive, send)
    assert reached == ["/ok"]
