"""One logging set-up for every process: quiet by default, verbose on request, JSON lines
for log collectors with the current trace (plumbing.logs)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import datetime

import pytest
from opentelemetry.sdk.trace import TracerProvider

from plumbing.errors import ConfigError
from plumbing.logs import OWN_LOGGERS, LogOptions, configure_logging
from plumbing.settings import BaseServiceSettings, load_settings

TOUCHED = ("", *OWN_LOGGERS, "uvicorn.access")


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """configure_logging changes the process's loggers: put them back after each test."""
    loggers = [logging.getLogger(name or None) for name in TOUCHED]
    levels = [logger.level for logger in loggers]
    handlers = list(logging.getLogger().handlers)
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)
    logging.getLogger().handlers[:] = handlers


def lines_logged(options: LogOptions, service: str = "reporting") -> list[str]:
    """What a process configured with ``options`` writes for a typical mix of records."""
    out = io.StringIO()
    configure_logging(service, options, stream=out)
    logging.getLogger("httpx").info('HTTP Request: GET http://127.0.0.1:8001/events "200 OK"')
    logging.getLogger("httpx").warning("a request to the agreements service timed out")
    logging.getLogger("aiormq.connection").info("Connecting to amqp://...")
    logging.getLogger("uvicorn.error").info("Uvicorn running on http://127.0.0.1:8003")
    logging.getLogger("uvicorn.access").info('127.0.0.1:5000 - "GET /kpis HTTP/1.1" 200')
    logging.getLogger("plumbing.leader").info("kerjasama.reporting.kpi-relay: active")
    logging.getLogger("services.reporting.application").error("a figure could not be stored")
    return out.getvalue().splitlines()


def test_by_default_library_chatter_is_dropped_and_warnings_and_own_lines_kept() -> None:
    lines = lines_logged(LogOptions(log_level="INFO"))
    assert len(lines) == 3, lines
    assert "reporting WARNING httpx: a request to the agreements service timed out" in lines[0]
    assert "reporting INFO plumbing.leader: kerjasama.reporting.kpi-relay: active" in lines[1]
    assert "reporting ERROR services.reporting.application: a figure could not" in lines[2]


def test_at_warning_level_only_warnings_and_errors_are_left() -> None:
    lines = lines_logged(LogOptions(log_level="WARNING"))
    assert [line.split(" ")[3] for line in lines] == ["WARNING", "ERROR"]


def test_verbose_lets_every_library_line_through_but_the_access_log() -> None:
    text = "\n".join(lines_logged(LogOptions(log_level="INFO", verbose=True)))
    assert "httpx: HTTP Request: GET http://127.0.0.1:8001/events" in text
    assert "aiormq.connection: Connecting" in text
    assert "uvicorn.error: Uvicorn running on" in text
    assert "uvicorn.access" not in text


def test_the_access_log_is_its_own_switch() -> None:
    text = "\n".join(lines_logged(LogOptions(log_level="INFO", access_log=True)))
    assert 'uvicorn.access: 127.0.0.1:5000 - "GET /kpis HTTP/1.1" 200' in text
    assert "HTTP Request" not in text  # the requests the service makes: still not


def test_configuring_again_replaces_the_handler_rather_than_doubling_lines() -> None:
    configure_logging("reporting", LogOptions(), stream=io.StringIO())
    assert len(lines_logged(LogOptions(log_level="INFO"))) == 3


def test_json_lines_parse_and_carry_time_level_service_logger_message_and_exception() -> None:
    out = io.StringIO()
    configure_logging("agreements", LogOptions(log_format="json", log_level="INFO"), stream=out)
    log = logging.getLogger("services.agreements.entrypoints.expiry")
    log.info("expiry job: %d agreement(s)\npast their end date", 2)
    try:
        raise RuntimeError("database went away")
    except RuntimeError:
        log.exception("expiry of an agreement failed")

    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first == {"time": first["time"], "level": "INFO", "service": "agreements",
                     "logger": "services.agreements.entrypoints.expiry",
                     "message": "expiry job: 2 agreement(s)\npast their end date"}
    assert datetime.fromisoformat(first["time"]).utcoffset() is not None  # RFC 3339
    assert second["level"] == "ERROR" and second["message"] == "expiry of an agreement failed"
    assert second["exception"].startswith("Traceback (most recent call last)")
    assert "RuntimeError: database went away" in second["exception"]


def test_json_lines_name_the_current_trace_and_span() -> None:
    out = io.StringIO()
    configure_logging("notifications", LogOptions(log_format="json", log_level="INFO"),
                      stream=out)
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("apply kerjasama.agreement.signed.v1") as span:
        logging.getLogger("plumbing.consume").warning("a notice was skipped")
    logging.getLogger("plumbing.consume").warning("outside any span")

    inside, outside = (json.loads(line) for line in out.getvalue().splitlines())
    context = span.get_span_context()
    assert inside["trace_id"] == f"{context.trace_id:032x}"
    assert inside["span_id"] == f"{context.span_id:016x}"
    assert "trace_id" not in outside and "span_id" not in outside


def test_the_log_settings_are_read_from_the_environment(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KERJASAMA_LOG_FORMAT", "JSON")
    monkeypatch.setenv("KERJASAMA_VERBOSE", "true")
    settings = load_settings(BaseServiceSettings)
    assert (settings.log_format, settings.verbose, settings.log_level) == ("json", True, "INFO")


def test_an_unknown_log_format_is_a_configuration_error_naming_the_variable(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KERJASAMA_LOG_FORMAT", "xml")
    with pytest.raises(ConfigError, match=r"KERJASAMA_LOG_FORMAT: .*'text' or 'json'.*xml"):
        load_settings(BaseServiceSettings)
