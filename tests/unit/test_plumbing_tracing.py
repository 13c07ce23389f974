"""Trace context: which exporters the OTEL_* settings ask for, reading and passing on W3C
trace context, spans of requests and of work (plumbing.tracing)."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.trace import SpanKind, StatusCode

from plumbing import tracing
from plumbing.errors import ConfigError
from plumbing.tracing import (
    context_of,
    current_trace,
    exporters_wanted,
    http_telemetry,
    span,
    trace_id_of,
)
from tests.tracing import recording

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


@pytest.mark.parametrize(("environ", "wanted"), [
    ({}, []),
    ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, ["otlp"]),
    ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, ["otlp"]),
    ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, []),
    ({"OTEL_TRACES_EXPORTER": "console"}, ["console"]),
    ({"OTEL_TRACES_EXPORTER": " OTLP , console"}, ["otlp", "console"]),
    ({"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"},
     ["otlp"]),
])
def test_exporters_are_none_unless_the_otel_settings_ask_for_one(
        environ: dict[str, str], wanted: list[str]) -> None:
    assert exporters_wanted(environ) == wanted


@pytest.mark.parametrize(("environ", "message"), [
    ({"OTEL_TRACES_EXPORTER": "jaeger"}, "unknown exporter jaeger"),
    ({"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
     "OTEL_EXPORTER_OTLP_PROTOCOL=grpc: only http/protobuf"),
    ({"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/json"},
     "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=http/json"),
])
def test_an_exporter_that_cannot_be_made_is_a_clear_config_error(
        environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        tracing.configure_tracing("agreements", environ)


@pytest.mark.parametrize("carrier", [
    {"traceparent": CALLER}, {"Traceparent": CALLER.encode()}, CALLER,
    {"TRACEPARENT": CALLER, "tracestate": "congo=t61rcWkgMzE"},
])
def test_trace_context_is_read_from_headers_metadata_or_a_string(carrier: object) -> None:
    found = context_of(carrier)  # type: ignore[arg-type]
    assert found is not None
    assert format(trace.get_current_span(found).get_span_context().trace_id, "032x") == TRACE_ID


@pytest.mark.parametrize("carrier", [
    None, {}, {"traceparent": "00-abc-def-01"}, "garbage",
    {"traceparent": f"00-{'0' * 32}-00f067aa0ba902b7-01"},  # the invalid all-zero trace id
])
def test_what_is_not_valid_trace_context_is_ignored(carrier: object) -> None:
    assert context_of(carrier) is None  # type: ignore[arg-type]
    assert trace_id_of(carrier if isinstance(carrier, str) else None) is None


def test_a_span_continues_its_parent_and_its_context_is_what_goes_on() -> None:
    with recording() as spans, span("work", parent=CALLER, attributes={"n": 1}) as made:
        passed_on = current_trace()
    assert trace_id_of(passed_on["traceparent"]) == TRACE_ID
    assert passed_on["traceparent"].split("-")[2] == format(made.get_span_context().span_id,
                                                            "016x")
    [finished] = spans.get_finished_spans()
    assert finished.parent is not None and format(finished.parent.span_id, "016x") == \
        "00f067aa0ba902b7"
    assert current_trace() == {}  # nothing current after the block


def test_without_a_tracer_the_parents_context_still_travels_on(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tracing, "_tracer", trace.NoOpTracer())
    with span("work", parent=CALLER):
        assert current_trace()["traceparent"] == CALLER


def test_a_failure_marks_its_span_but_a_refusal_does_not() -> None:
    class Refused(Exception):
        pass

    with recording() as spans:
        with pytest.raises(RuntimeError), span("fails"):
            raise RuntimeError("the database went away")
        with pytest.raises(Refused), span("refused", refusals=(Refused,)):
            raise Refused("409")
    by_name = {s.name: s for s in spans.get_finished_spans()}
    assert by_name["fails"].status.status_code == StatusCode.ERROR
    assert "the database went away" in (by_name["fails"].status.description or "")
    assert by_name["refused"].status.status_code == StatusCode.UNSET


def test_a_span_links_the_other_traces_of_a_batch() -> None:
    other = "00-11111111111111111111111111111111-2222222222222222-01"
    with recording() as spans, span("group", parent=CALLER, links=[other, None, "bad"]):
        pass
    [group] = spans.get_finished_spans()
    assert [format(link.context.trace_id, "032x") for link in group.links] == ["1" * 32]


async def test_each_request_gets_a_server_span_under_the_callers_traceparent() -> None:
    app = FastAPI(telemetry=http_telemetry())

    @app.get("/items/{item_id}")
    async def item(item_id: int) -> dict[str, str]:
        return {"traceparent": current_trace()["traceparent"]}

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return current_trace()

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://test") as client:
        with recording() as spans:
            answer = await client.get("/items/7", headers={"traceparent": CALLER})
            assert (await client.get("/healthz")).json() == {}  # probes: no span
            missing = await client.get("/nothing")
    assert trace_id_of(answer.json()["traceparent"]) == TRACE_ID
    found = {s.name: s for s in spans.get_finished_spans()}
    assert set(found) == {"GET /items/{item_id}", "GET"}
    request = found["GET /items/{item_id}"]
    assert request.kind == SpanKind.SERVER
    assert request.attributes is not None
    assert request.attributes["http.response.status_code"] == 200
    assert request.attributes["http.route"] == "/items/{item_id}"
    assert missing.status_code == 404
    assert trace_id_of(answer.json()["traceparent"]) == format(
        request.context.trace_id, "032x")
