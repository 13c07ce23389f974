"""One trace from a signing request to the ``kpi.updated`` and the notice it caused.

The agreements, reporting and notifications services run in this process (real
PostgreSQL, the real relay and broker, a real webhook receiver), recording their spans
in memory: the request's ``traceparent`` must reach the stored event, the AMQP headers,
each consumer, the ``kpi.updated`` message and the notice's webhook call, and every span
on the way must hang under the request.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from datetime import date
from typing import Any

import aio_pika
import httpx
import pytest
from fastapi import FastAPI, Request, Response
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind

from contracts.topology import KPI_EXCHANGE
from plumbing import clock
from plumbing.agreements_client import AgreementsClient
from plumbing.amqp import connect
from plumbing.background import Stop
from plumbing.http import serve
from plumbing.settings import load_settings
from services.agreements.adapters.outbox import events_relay
from services.agreements.app import create_app as create_agreements_app
from services.agreements.settings import AgreementsSettings
from services.notifications.app import create_app as create_notifications_app
from services.notifications.settings import NotificationsSettings
from services.reporting.app import Reporting
from tests.auth import auth_headers
from tests.conftest import DatabaseUrlFactory
from tests.integration.agreements.conftest import SIGN_BODY, to_ready_to_sign
from tests.integration.reporting.support import reporting_settings
from tests.private_rabbitmq import free_port
from tests.tracing import recording

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER = f"00-{TRACE_ID}-00f067aa0ba902b7-01"
"""The signing request's ``traceparent``, as a caller that traces would send it."""
REQUEST = "POST /agreements/{agreement_id}/sign"


async def _until(check: Callable[[], Awaitable[Any]], what: str, within: float = 30) -> Any:
    deadline = asyncio.get_running_loop().time() + within
    while not (found := await check()):
        assert asyncio.get_running_loop().time() < deadline, f"{what}: not within {within} s"
        await asyncio.sleep(0.05)
    return found


@pytest.fixture
async def webhook_calls() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    """A real HTTP receiver: its URL and the calls it got (headers and body)."""
    calls: list[dict[str, Any]] = []
    app, port = FastAPI(), free_port()

    @app.post("/hook")
    async def hook(request: Request) -> Response:
        calls.append({"headers": dict(request.headers), "body": json.loads(await request.body())})
        return Response(status_code=204)

    stop = asyncio.Event()
    task = asyncio.create_task(serve(app, "127.0.0.1", port, stop=stop, log_level="warning"))

    async def listening() -> bool:
        try:
            async with httpx.AsyncClient(trust_env=False) as client:
                await client.get(f"http://127.0.0.1:{port}/")
        except httpx.TransportError:
            return False
        return True

    await _until(listening, "the webhook receiver listening")
    yield f"http://127.0.0.1:{port}/hook", calls
    stop.set()
    await task


async def test_one_trace_runs_from_a_signing_request_to_its_kpi_update_and_its_notice(
        database_url_factory: DatabaseUrlFactory, fresh_topology: str,
        rabbitmq_management_url: str, webhook_calls: tuple[str, list[dict[str, Any]]]
) -> None:
    hook_url, calls = webhook_calls
    clock.set_clock(date(2021, 4, 20))
    async with AsyncExitStack() as stack:
        stack.callback(clock.set_clock, None)
        spans = stack.enter_context(recording())
        agreements_url = await database_url_factory("agreements")
        agreements_app = create_agreements_app(load_settings(
            AgreementsSettings, agreements_database_url=agreements_url, messaging=False))
        await stack.enter_async_context(agreements_app.router.lifespan_context(agreements_app))
        http = await stack.enter_async_context(httpx.AsyncClient(
            headers=auth_headers(), transport=httpx.ASGITransport(app=agreements_app),
            base_url="http://agreements"))
        client = AgreementsClient("http://agreements", client=http)

        # the real relay of the agreements outbox to the broker
        relay, stop = events_relay(agreements_url, fresh_topology), Stop()
        relaying = asyncio.create_task(relay.run(stop))
        stack.push_async_callback(lambda: asyncio.wait_for(relaying, 30))
        stack.callback(stop.set)

        reporting = Reporting(reporting_settings(await database_url_factory("reporting"),
                                                 fresh_topology), client)
        await reporting.start()
        stack.push_async_callback(reporting.stop)

        notifications_app = create_notifications_app(load_settings(
            NotificationsSettings,
            notifications_database_url=await database_url_factory("notifications"),
            amqp_url=fresh_topology, rabbitmq_management_url=rabbitmq_management_url,
            scheduler_interval_seconds=3600, dispatch_interval_seconds=0.05,
            webhook_allow_http=True, webhook_allow_private_addresses=True), agreements=client)
        await stack.enter_async_context(
            notifications_app.router.lifespan_context(notifications_app))
        notifications = await stack.enter_async_context(httpx.AsyncClient(
            headers=auth_headers(), transport=httpx.ASGITransport(app=notifications_app),
            base_url="http://notifications"))
        contact = await notifications.put("/contacts/DISKUK", json={
            "emails": [], "webhooks": [{"url": hook_url, "secret": "rahasia-diskuk-2021"}],
            "language": "id"})
        assert contact.status_code in (200, 201), contact.text

        # an outside subscriber of the KPI figures
        connection = await connect(fresh_topology)
        stack.push_async_callback(connection.close)
        channel = await connection.channel()
        queue = await channel.declare_queue(exclusive=True)
        await queue.bind(await channel.get_exchange(KPI_EXCHANGE, ensure=False), "#")
        kpi_messages: list[aio_pika.abc.AbstractIncomingMessage] = []

        async def keep(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            kpi_messages.append(message)
            await message.ack()

        await queue.consume(keep)

        agreement_id = await to_ready_to_sign(http)
        signed = await http.post(f"/agreements/{agreement_id}/sign", json=SIGN_BODY,
                                 headers={"traceparent": CALLER})
        assert signed.status_code == 200, signed.text

        # the stored event and the feed carry the request's trace
        events = (await http.get(f"/agreements/{agreement_id}/events")).json()
        assert events[-1]["type"] == "kerjasama.agreement.signed.v1"
        assert events[-1]["traceparent"].split("-")[1] == TRACE_ID
        assert events[-1]["metadata"]["traceparent"] == events[-1]["traceparent"]
        earlier = {e["traceparent"].split("-")[1] for e in events[:-1]}
        assert TRACE_ID not in earlier and len(earlier) == len(events) - 1  # one each

        def ours(message: aio_pika.abc.AbstractIncomingMessage) -> bool:
            header = (message.headers or {}).get("traceparent")
            return isinstance(header, str) and header.split("-")[1] == TRACE_ID

        async def kpi_of_signing() -> list[aio_pika.abc.AbstractIncomingMessage]:
            return [m for m in kpi_messages if ours(m)]

        caused = await _until(kpi_of_signing, "a kpi.updated in the signing's trace")
        body = json.loads(caused[0].body)
        assert body["type"] == "kerjasama.kpi.updated.v1"
        assert body["traceparent"].split("-")[1] == TRACE_ID

        async def plan_request() -> list[dict[str, Any]]:
            return [c for c in calls if "traceparent" in c["headers"]
                    and c["headers"]["traceparent"].split("-")[1] == TRACE_ID]

        webhook = (await _until(plan_request, "the follow-up plan request's webhook"))[0]
        assert webhook["body"]["rule"] == "follow_up_plan_requested", webhook["body"]

        async def all_ended() -> list[ReadableSpan]:
            found = [s for s in spans.get_finished_spans()
                     if format(s.context.trace_id, "032x") == TRACE_ID]
            names = {s.name for s in found}
            return found if {"send webhook", "publish kerjasama.kpi"} <= names else []

        trace = await _until(all_ended, "every span of the signing's trace ended")

    by_id = {s.context.span_id: s for s in trace}
    for s in trace:  # one tree under the caller's span
        assert s.parent is not None
        assert s.parent.span_id in by_id or format(s.parent.span_id, "016x") == "00f067aa0ba902b7"

    def path(s: ReadableSpan) -> list[str]:
        names = [s.name]
        while s.parent is not None and s.parent.span_id in by_id:
            s = by_id[s.parent.span_id]
            names.append(s.name)
        return names[::-1]

    print(render(trace))  # the trace as text (pytest -s shows it)
    kinds = {s.name: s.kind for s in trace}
    assert kinds[REQUEST] == SpanKind.SERVER
    assert kinds["publish kerjasama.events"] == SpanKind.PRODUCER
    assert kinds["publish kerjasama.kpi"] == SpanKind.PRODUCER
    kpi = next(s for s in trace if s.name == "publish kerjasama.kpi")
    notice = next(s for s in trace if s.name == "send webhook")
    assert kinds["send webhook"] == SpanKind.CLIENT
    assert path(kpi) == [REQUEST, "command agreement.sign", "publish kerjasama.events",
                         "process reporting.events", "publish kerjasama.kpi"]
    assert path(notice) == [REQUEST, "command agreement.sign", "publish kerjasama.events",
                            "process notifications.events", "apply event", "send webhook"]
    # the receiver traced its side of the call in the same trace, under the send
    assert path(next(s for s in trace if s.name == "POST /hook"))[-2:] == [
        "send webhook", "POST /hook"]


def render(trace: list[ReadableSpan]) -> str:
    """The spans as an indented tree, each with its kind and duration."""
    children: dict[int | None, list[ReadableSpan]] = {}
    ids = {s.context.span_id for s in trace}
    for s in sorted(trace, key=lambda s: s.start_time or 0):
        parent = s.parent.span_id if s.parent is not None and s.parent.span_id in ids else None
        children.setdefault(parent, []).append(s)
    lines = [f"trace {TRACE_ID}"]

    def walk(parent: int | None, depth: int) -> None:
        siblings = children.get(parent, [])
        for s in siblings:
            alike = [t for t in siblings if t.name == s.name and t.context.span_id not in
                     children]
            if s.context.span_id not in children and len(alike) > 1:
                if alike[0] is s:  # leaves of one name (a message per figure): one line
                    times = [((t.end_time or 0) - (t.start_time or 0)) / 1e6 for t in alike]
                    lines.append(f"{'  ' * depth}{s.name} [{s.kind.name.lower()}] "
                                 f"x{len(alike)}, {min(times):.1f}-{max(times):.1f} ms")
                continue
            ms = ((s.end_time or 0) - (s.start_time or 0)) / 1e6
            lines.append(f"{'  ' * depth}{s.name} [{s.kind.name.lower()}] {ms:.1f} ms")
            walk(s.context.span_id, depth + 1)

    walk(None, 1)
    return "\n".join(lines)
