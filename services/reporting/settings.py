"""Settings of the reporting service (environment variables ``KERJASAMA_*``)."""

from __future__ import annotations

from pydantic import Field

from plumbing.settings import ConsumerSettings, Port, PostgresUrl


class ReportingSettings(ConsumerSettings):
    """The reporting service's own settings on top of the consumers' shared ones."""

    reporting_database_url: PostgresUrl = Field(
        "postgresql://postgres@127.0.0.1:5432/kerjasama_reporting",
        description="PostgreSQL database of the reporting service (created if missing).")
    http_port: Port = Field(8003, validation_alias="KERJASAMA_REPORTING_PORT",
                            description="Port of the reporting HTTP server.")
    sleeping_after_days: int = Field(90, ge=1, le=3650, description="Days without follow-up "
                                     "after which a signed agreement is a sleeping document.")
    expiring_within_days: int = Field(90, ge=1, le=3650, description="Days before the end of "
                                      "its validity from which an agreement counts as expiring.")
    refresh_seconds: float = Field(60.0, gt=0, le=86400, description="Period of the refresh "
                                   "of the time-dependent figures and the KPI gauges.")
    refresh_after_events_seconds: float = Field(
        1.0, ge=0, le=3600, description="Delay of the refresh that follows applied events "
        "(events coming together share one refresh).")
    database_pool_size: int = Field(10, ge=2, le=200, description="Connections the service "
                                    "keeps open to its database.")
    checkpoint_seconds: float = Field(30.0, gt=0, le=86400, description="Period at which "
                                      "the agreements ledger's new signed checkpoints are "
                                      "fetched (each kpi.updated names the last one).")
