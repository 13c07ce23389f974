"""Settings of the portal (environment variables ``KERJASAMA_*``)."""

from __future__ import annotations

import tempfile
from pathlib import Path

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
    documents_cache_dir: Path = Field(
        default_factory=lambda: Path(tempfile.gettempdir()) / "kerjasama-portal-documents",
        validation_alias="KERJASAMA_PORTAL_DOCUMENTS_CACHE_DIR",
        description="Directory of the cache of public documents' bytes, one file per SHA-256 "
        "(created if missing; one directory per portal database, since a sweep deletes what "
        "its register no longer lists). By default in the system's temporary directory.")
    documents_cache_max_bytes: int = Field(
        512 * 1024 * 1024, ge=0, validation_alias="KERJASAMA_PORTAL_DOCUMENTS_CACHE_MAX_BYTES",
        description="Bytes the document cache may hold; above it the least recently served "
        "files are deleted (0: keep nothing once served).")
    documents_cache_sweep_seconds: float = Field(
        60.0, gt=0, validation_alias="KERJASAMA_PORTAL_DOCUMENTS_CACHE_SWEEP_SECONDS",
        description="How often the document cache deletes the files no document "
        "on the register names any more (taken down, superseded) and trims itself to its "
        "bound.")
