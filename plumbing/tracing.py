"""Tracing across services with OpenTelemetry and W3C trace context.

A command's trace travels with what it causes: an HTTP request's (FastAPI's own server
span, :func:`http_telemetry`) or AMQP command's ``traceparent`` becomes the context of
the command's span; the events it appends carry
that span's ``traceparent`` (and ``tracestate``) in their metadata, hence in the outbox
row and, as the CloudEvents distributed-tracing extension, in the CloudEvent; the relay
publishes each message under a producer span and puts its context in the AMQP headers;
a consumer's span continues it, and what the consumer writes (notices, deliveries,
``kpi.updated``) carries the consumer's context on.

Exporters follow the standard ``OTEL_*`` settings: ``OTEL_TRACES_EXPORTER`` (``otlp``,
``console``, ``none``, comma-separated), by default ``otlp`` when
``OTEL_EXPORTER_OTLP_ENDPOINT`` or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` is set and none
otherwise; OTLP over HTTP/protobuf; ``OTEL_SERVICE_NAME``, ``OTEL_RESOURCE_ATTRIBUTES``,
``OTEL_TRACES_SAMPLER`` and ``OTEL_BSP_*`` as the SDK reads them; ``OTEL_SDK_DISABLED=true``
makes no spans (incoming trace context is still passed on). Without an exporter, spans
are still made, so trace ids reach the events, the messages and the logs.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from fastapi.telemetry import TelemetryConfig
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.propagators.textmap import DefaultGetter
from opentelemetry.trace import Link, Span, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from plumbing.errors import ConfigError

__all__ = [
    "TRACEPARENT",
    "TRACESTATE",
    "SpanKind",
    "configure_tracing",
    "context_of",
    "current_trace",
    "http_telemetry",
    "span",
    "trace_id_of",
]

TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"
TRACE_KEYS = (TRACEPARENT, TRACESTATE)
EXPORTERS = ("otlp", "console", "none")
_PROPAGATOR = TraceContextTextMapPropagator()
_tracer = trace.get_tracer("kerjasama")
_configured: str | None = None


class _AnyCaseGetter(DefaultGetter):
    """Reads a carrier whose keys may be in any case and whose values may be bytes
    (AMQP headers)."""

    def get(self, carrier: Any, key: str) -> list[str] | None:
        for name, value in carrier.items():
            if str(name).lower() == key:
                if isinstance(value, bytes):
                    value = value.decode("latin-1")
                return [value] if isinstance(value, str) else None
        return None


_GETTER = _AnyCaseGetter()


def exporters_wanted(environ: Mapping[str, str]) -> list[str]:
    """The exporters the ``OTEL_*`` settings ask for (``[]``: none)."""
    named = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if not named:
        endpoint = any(environ.get(k, "").strip() for k in (
            "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
        return ["otlp"] if endpoint else []
    chosen = [n.strip() for n in named.split(",") if n.strip()]
    unknown = [n for n in chosen if n not in EXPORTERS]
    if unknown:
        raise ConfigError(f"OTEL_TRACES_EXPORTER: unknown exporter {', '.join(unknown)} "
                          f"(known: {', '.join(EXPORTERS)})")
    if "otlp" in chosen:
        for key in ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"):
            protocol = environ.get(key, "").strip()
            if protocol and protocol != "http/protobuf":
                raise ConfigError(f"{key}={protocol}: only http/protobuf is supported")
            if protocol:
                break
    return [n for n in chosen if n != "none"]


def configure_tracing(service: str, environ: Mapping[str, str] | None = None) -> None:
    """Install the process's tracer provider for ``service`` with the exporters the
    ``OTEL_*`` settings name; once per process (later calls change nothing).

    Raises :class:`ConfigError` for an unknown exporter or an unsupported protocol."""
    global _configured
    env = os.environ if environ is None else environ
    wanted = exporters_wanted(env)
    if _configured is not None:
        return
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        _configured = service
        return
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

    attributes = {} if env.get("OTEL_SERVICE_NAME") else {SERVICE_NAME: f"kerjasama-{service}"}
    resource = Resource.create(attributes)
    provider = TracerProvider(resource=resource)
    for name in wanted:
        if name == "otlp":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        else:
            provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    trace.set_tracer_provider(provider)
    _configured = service


UNTRACED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
"""Probes and scrapes: no span (they would bury the requests that matter)."""


def http_telemetry() -> TelemetryConfig:
    """FastAPI's own request spans: a server span per request, child of its
    ``traceparent`` header, named by method and route; none for :data:`UNTRACED_PATHS`,
    no operation spans, and neither its metrics nor its logs (Prometheus and the
    service's logging do those)."""
    return {"exclude": lambda scope: scope.get("path") in UNTRACED_PATHS,
            "operation_spans": False, "metrics": False, "logs": False}


def context_of(carrier: Mapping[str, Any] | str | None) -> otel_context.Context | None:
    """The trace context that ``carrier`` holds: a mapping with ``traceparent`` (and
    ``tracestate``) keys in any case, such as HTTP or AMQP headers or event metadata, or a
    ``traceparent`` string. None when it holds no valid one."""
    if carrier is None:
        return None
    if isinstance(carrier, str):
        carrier = {TRACEPARENT: carrier}
    found = _PROPAGATOR.extract(carrier, getter=_GETTER)
    return found if trace.get_current_span(found).get_span_context().is_valid else None


def current_trace() -> dict[str, str]:
    """The current span's ``traceparent`` (and ``tracestate`` when not empty), or ``{}``
    when no valid span is current: what goes into event metadata and message headers."""
    carrier: dict[str, str] = {}
    if trace.get_current_span().get_span_context().is_valid:
        _PROPAGATOR.inject(carrier)
    return carrier


def trace_id_of(traceparent: str | None) -> str | None:
    """The trace id (32 hex digits) of a ``traceparent``, or None."""
    found = context_of(traceparent)
    if found is None:
        return None
    return format(trace.get_current_span(found).get_span_context().trace_id, "032x")


@contextlib.contextmanager
def span(name: str, *, parent: Mapping[str, Any] | str | None = None,
         kind: SpanKind = SpanKind.INTERNAL, attributes: Mapping[str, Any] | None = None,
         links: Sequence[Mapping[str, Any] | str | None] = (),
         refusals: tuple[type[BaseException], ...] = ()) -> Iterator[Span]:
    """A span made current for the block: child of ``parent`` (see :func:`context_of`) when
    it holds a trace context, else of the current span; linked to the ``links`` that
    hold one. When no span can be made (no SDK), the parent's context is still current,
    so it travels on. An exception leaving the block marks the span as an error, unless
    it is one of ``refusals`` (a refused command is an answer, not a failure)."""
    parent_context = context_of(parent)
    span_links = [Link(trace.get_current_span(c).get_span_context())
                  for c in map(context_of, links) if c is not None]
    made = _tracer.start_span(name, context=parent_context, kind=kind,
                              attributes=dict(attributes or {}), links=span_links)
    own = made.get_span_context().is_valid
    if own:
        current = trace.set_span_in_context(made, parent_context)
    else:
        current = parent_context or otel_context.get_current()
        made = trace.get_current_span(current)
    token = otel_context.attach(current)
    try:
        yield made
    except refusals:
        raise
    except BaseException as exc:
        if own and made.is_recording():
            made.record_exception(exc)
            made.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
        raise
    finally:
        otel_context.detach(token)
        if own:
            made.end()
