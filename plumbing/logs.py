"""One logging set-up for every process: the services, their operator actions and the
supervisor of ``./scripts/run`` (:func:`configure_logging`).

Quiet by default. The project's own loggers (``plumbing.*``, ``services.*``,
``contracts.*``, ``kerjasama.*``) log at ``KERJASAMA_LOG_LEVEL``; the libraries' chatter
(a line per HTTP request an ``httpx`` client makes, uvicorn's start-up lines, the broker
clients' connection notes) only shows at WARNING and above unless ``KERJASAMA_VERBOSE``
is true. uvicorn's access log (a line per request served) is its own switch,
``KERJASAMA_ACCESS_LOG``.

Two shapes, chosen by ``KERJASAMA_LOG_FORMAT``: ``text`` (one line:
``<time> <service> <LEVEL> <logger>: <message>``, for people) and ``json`` (one JSON
object per line, for log collectors: ``time`` in RFC 3339, ``level``, ``service``,
``logger``, ``message``, ``exception`` when there is one, and ``trace_id`` and
``span_id`` in hex while an OpenTelemetry span is current).
"""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, Protocol, TextIO

from opentelemetry import trace

__all__ = ["OWN_LOGGERS", "JsonFormatter", "LogOptions", "LogSettings", "TextFormatter",
           "configure_logging"]

OWN_LOGGERS = ("plumbing", "services", "contracts", "kerjasama")
"""Loggers of the project itself: they log at the configured level; everything else (the
libraries) at WARNING and above unless verbose."""
HANDLER_NAME = "kerjasama"


class LogSettings(Protocol):
    """What :func:`configure_logging` reads (``BaseServiceSettings`` has all of it)."""

    @property
    def log_level(self) -> str: ...
    @property
    def log_format(self) -> Literal["text", "json"]: ...
    @property
    def verbose(self) -> bool: ...
    @property
    def access_log(self) -> bool: ...


@dataclass(frozen=True)
class LogOptions:
    """:class:`LogSettings` given in code (an operator action logs warnings only)."""

    log_level: str = "WARNING"
    log_format: Literal["text", "json"] = "text"
    verbose: bool = False
    access_log: bool = False


class TextFormatter(logging.Formatter):
    """``2026-11-30 06:49:14,316 agreements WARNING plumbing.retry: message``."""

    def __init__(self, service: str) -> None:
        super().__init__(f"%(asctime)s {service} %(levelname)s %(name)s: %(message)s")


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line (newlines in the message are escaped)."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            line["trace_id"] = trace.format_trace_id(context.trace_id)
            line["span_id"] = trace.format_span_id(context.span_id)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure_logging(service: str, settings: LogSettings, *,
                      stream: TextIO | None = None) -> logging.Handler:
    """Send every log record of this process to ``stream`` (standard error) in the shape
    ``settings.log_format`` names, at the levels the module doc describes; the handler.

    Calling it again replaces the handler it installed before (not anyone else's).
    """
    level = logging.getLevelNamesMapping()[settings.log_level.upper()]
    handler = logging.StreamHandler(sys.stderr if stream is None else stream)
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(JsonFormatter(service) if settings.log_format == "json"
                         else TextFormatter(service))
    root = logging.getLogger()
    for earlier in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(earlier)
    root.addHandler(handler)
    root.setLevel(level if settings.verbose else max(level, logging.WARNING))
    for name in OWN_LOGGERS:
        logging.getLogger(name).setLevel(level)
    access = logging.getLogger("uvicorn.access")  # off unless asked for, verbose or not
    access.setLevel(min(level, logging.INFO) if settings.access_log else logging.WARNING)
    return handler
