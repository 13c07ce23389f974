"""Spans of this test process, kept in memory while a test records them.

The test process gets an SDK tracer provider at start (:func:`install`, from
``tests/conftest.py``), as every service process does (``plumbing.tracing``), so spans and
trace context are made in every test, whatever the order tests run in. Its processor
hands finished spans to an in-memory exporter only inside :func:`recording`, so the other
tests of the run keep nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter


class _WhileRecording(SpanProcessor):
    def __init__(self) -> None:
        self.exporter: InMemorySpanExporter | None = None

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        pass

    def on_end(self, span: ReadableSpan) -> None:
        if self.exporter is not None:
            self.exporter.export([span])


_PROCESSOR = _WhileRecording()


def install() -> TracerProvider:
    """The process's SDK tracer provider (set now if there is none yet)."""
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        trace.set_tracer_provider(TracerProvider())
        provider = trace.get_tracer_provider()
        assert isinstance(provider, TracerProvider), "another tracer provider was set first"
    return provider


@contextmanager
def recording() -> Iterator[InMemorySpanExporter]:
    """The spans finished in this block, in an in-memory exporter."""
    provider = install()
    if _PROCESSOR not in provider._active_span_processor._span_processors:
        provider.add_span_processor(_PROCESSOR)
    _PROCESSOR.exporter = InMemorySpanExporter()
    try:
        yield _PROCESSOR.exporter
    finally:
        _PROCESSOR.exporter = None
