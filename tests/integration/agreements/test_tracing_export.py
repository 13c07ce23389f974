"""A service process sends its spans to the OTLP/HTTP endpoint the ``OTEL_*`` settings
name, under its own service name and in its caller's trace."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from plumbing.http import serve
from tests.auth import auth_headers
from tests.conftest import MANAGEMENT_URL, DatabaseUrlFactory
from tests.integration.agreements.conftest import propose_body
from tests.private_rabbitmq import free_port
from tests.processes import ServiceProcess
from tests.waiting import until

TRACE_ID = "5b8efff798038103d269b633813fc60c"


@pytest.fixture
async def collector() -> AsyncIterator[tuple[str, list[ExportTraceServiceRequest]]]:
    """A real OTLP/HTTP trace receiver: its endpoint and the export requests it got."""
    received: list[ExportTraceServiceRequest] = []
    app, port = FastAPI(), free_port()

    @app.post("/v1/traces")
    async def traces(request: Request) -> Response:
        assert request.headers["content-type"] == "application/x-protobuf"
        export = ExportTraceServiceRequest()
        export.ParseFromString(await request.body())
        received.append(export)
        return Response(status_code=200)

    stop = asyncio.Event()
    task = asyncio.create_task(serve(app, "127.0.0.1", port, stop=stop, log_level="warning"))
    yield f"http://127.0.0.1:{port}", received
    stop.set()
    await task


async def test_spans_go_to_the_otlp_endpoint_the_otel_settings_name(
        database_url_factory: DatabaseUrlFactory, fresh_topology: str,
        collector: tuple[str, list[ExportTraceServiceRequest]]) -> None:
    endpoint, received = collector
    service = ServiceProcess("agreements", {
        "KERJASAMA_AGREEMENTS_DATABASE_URL": await database_url_factory("agreements"),
        "KERJASAMA_AMQP_URL": fresh_topology, "KERJASAMA_RABBITMQ_MANAGEMENT_URL": MANAGEMENT_URL,
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_BSP_SCHEDULE_DELAY": "100"})
    service.start()
    try:
        await service.ready()
        async with httpx.AsyncClient(headers=auth_headers(), trust_env=False) as client:
            answer = await client.post(
                f"{service.url}/agreements", json=propose_body(),
                headers={"traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01"})
        assert answer.status_code == 201, answer.text

        def spans() -> dict[str, tuple[str, str]]:
            found = {}
            for export in received:
                for resource in export.resource_spans:
                    name = next(a.value.string_value for a in resource.resource.attributes
                                if a.key == "service.name")
                    for scope in resource.scope_spans:
                        for s in scope.spans:
                            if s.trace_id.hex() == TRACE_ID:
                                found[s.name] = (name, s.parent_span_id.hex())
            return found

        await until(lambda: "command agreement.propose" in spans(), 20, "the exported spans")
    finally:
        service.stop()
    exported = spans()
    assert exported["POST /agreements"] == ("kerjasama-agreements", "00f067aa0ba902b7")
    assert exported["command agreement.propose"][0] == "kerjasama-agreements"
    everything = {s.name for export in received for r in export.resource_spans
                  for scope in r.scope_spans for s in scope.spans}
    assert not {"GET /readyz", "GET /healthz", "GET /metrics"} & everything  # the probes
