"""Settings of the agreements service (environment variables ``KERJASAMA_*``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

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
    checkpoint_every_seconds: float = Field(60.0, gt=0, le=86400, description="… or once "
                                            "this many seconds passed and an event was "
                                            "appended.")
