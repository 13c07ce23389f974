"""Settings of the agreements service (environment variables ``KERJASAMA_*``)."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import Field, HttpUrl, field_validator

from plumbing.settings import BaseServiceSettings, Port, PostgresUrl


class AgreementsSettings(BaseServiceSettings):
    """The agreements service's own settings on top of the shared ones."""

    agreements_database_url: PostgresUrl = Field(
        "postgresql://postgres@127.0.0.1:5432/kerjasama_agreements",
        description="PostgreSQL database of the agreements service (created if missing).")
    http_port: Port = Field(8001, validation_alias="KERJASAMA_AGREEMENTS_PORT",
                            description="Port of the agreements HTTP server.")
    sleeping_after_days: int = Field(90, ge=1, le=3650, description="Days without follow-up "
                                     "after which a signed agreement is a sleeping document.")
    database_pool_size: int = Field(20, ge=1, le=200, description="Connections the service "
                                    "keeps open to its database.")
    messaging: bool = Field(True, validation_alias="KERJASAMA_AGREEMENTS_MESSAGING",
                            description="Run the outbox relay and the AMQP command consumer "
                            "(off only for tests of the HTTP interface alone).")
    relay_batch_size: int = Field(500, ge=1, le=10000, description="Outbox rows the relay "
                                  "publishes per round.")
    relay_poll_seconds: float = Field(1.0, gt=0, le=60, description="How often the relay "
                                      "looks at the outbox when no notification wakes it.")
    expiry_interval_seconds: float = Field(3600.0, gt=0, le=86400, description="How often "
                                           "the expiry job looks for agreements past their "
                                           "end date.")
    partner_adoption_interval_seconds: float = Field(
        60.0, gt=0, le=86400, description="How often the adoption job reads the feed for "
        "agreements whose partner the registry does not hold yet (proposed before it).")
    transient_retry_seconds: float = Field(300.0, gt=0, le=86400, description="How long an "
                                           "AMQP command is retried on transient errors "
                                           "before it is requeued.")
    amqp_user_roles: dict[str, list[str]] = Field(
        default_factory=dict, description="Roles of the broker users that may send commands "
        "over AMQP, as JSON, e.g. {\"kerjasama-external-simkop-diskuk\": [\"opd:DISKUK\"]} "
        "(python -m deploy.rabbitmq.definitions --user-roles prints it); a user not named "
        "here may send none.")
    checkpoint_key_file: Path | None = Field(
        None, description="PEM Ed25519 private key that signs the ledger checkpoints (given "
        "to this service only, never to the database); required outside development; in "
        "development written when missing, and when unset a key made at start (tests).")
    checkpoint_every_events: int = Field(1000, ge=1, le=1_000_000, description="A checkpoint "
                                         "is signed once this many events were appended "
                                         "since the last one.")
    documents_store: str = Field(
        "documents", min_length=1, description="Where the archive keeps documents' bytes, "
        "by SHA-256: a directory (created if missing), or s3://BUCKET[/PREFIX] for an "
        "S3-compatible store (credentials from the usual AWS_* variables or files).")
    documents_s3_endpoint_url: HttpUrl | None = Field(
        None, description="Endpoint of the S3-compatible store (MinIO, Ceph …); AWS's "
        "when unset.")
    documents_s3_region: str | None = Field(None, max_length=64, pattern=r"^[a-z0-9-]+$",
                                            description="Region of the S3 bucket.")
    documents_staging_dir: Path | None = Field(
        None, description="Where uploads are written while they are received and hashed; "
        "by default <documents_store>/.staging for a directory store, the system's "
        "temporary directory for S3.")
    max_document_bytes: int = Field(20 * 1024 * 1024, ge=1, le=2**31, description="Largest "
                                    "document the archive accepts, in bytes (413 above); "
                                    "the upload route is exempt from KERJASAMA_MAX_BODY_BYTES.")
    require_signed_text: bool = Field(False, description="Refuse to record a signing "
                                      "(422) unless the signed text (a SIGNED document) is "
                                      "attached; off by default so that existing clients "
                                      "keep working.")
    checkpoint_every_seconds: float = Field(60.0, gt=0, le=86400, description="… or once "
                                            "this many seconds passed and an event was "
                                            "appended.")

    @field_validator("documents_store")
    @classmethod
    def _store_named(cls, value: str) -> str:
        if value.startswith("s3://"):
            bucket = value.removeprefix("s3://").split("/", 1)[0]
            if not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", bucket):
                raise ValueError(f"{value!r} names no valid S3 bucket (s3://BUCKET[/PREFIX])")
        elif "://" in value:
            raise ValueError(f"{value!r} is neither a directory nor s3://BUCKET[/PREFIX]")
        return value
