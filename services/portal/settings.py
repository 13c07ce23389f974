"""Settings of the portal (environment variables ``KERJASAMA_*``)."""

from __future__ import annotations

from pydantic import Field

from plumbing.settings import ConsumerSettings, HttpUrl, Port, PostgresUrl


class PortalSettings(ConsumerSettings):
    """The portal's own settings on top of the consumers' shared ones."""

    portal_database_url: PostgresUrl = Field(
        "postgresql://postgres@127.0.0.1:5432/kerjasama_portal",
        description="PostgreSQL database of the portal (created if missing).")
    http_port: Port = Field(8004, validation_alias="KERJASAMA_PORTAL_PORT",
                            description="Port of the portal's HTTP server.")
    reporting_url: HttpUrl = Field(
        "http://127.0.0.1:8003", description="Base URL of the reporting service, read for "
        "the figures of every year on first start and on a rebuild.")
    database_pool_size: int = Field(10, ge=2, le=200, description="Connections the portal "
                                    "keeps open to its database.")
    page_size: int = Field(25, ge=5, le=200, description="Agreements per register page.")
