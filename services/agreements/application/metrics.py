"""Prometheus metrics of the agreements service."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

COMMANDS = Counter(
    "kerjasama_agreements_commands_total",
    "Commands handled, by command routing key, outcome (accepted, replayed, refused) and "
    "HTTP status.",
    ["command", "outcome", "status"],
)
APPEND_SECONDS = Histogram(
    "kerjasama_agreements_append_seconds",
    "Time to append a command's events (one transaction), in seconds.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
DOCUMENTS = Counter(
    "kerjasama_documents_attached_total",
    "Documents attached to the archive, by kind.",
    ["kind"],
)
DOCUMENT_INTEGRITY_FAILURES = Counter(
    "kerjasama_document_integrity_failures_total",
    "Downloads refused because the stored bytes were missing or did not hash to the "
    "document's SHA-256 (alert: DocumentIntegrityFailure).",
)
