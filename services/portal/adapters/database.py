"""The portal's database: created if missing, migrated (with the inbox), opened as a
pool."""

from __future__ import annotations

from pathlib import Path

from plumbing.db import Pool
from plumbing.inbox import open_database_with_inbox
from services.portal.settings import PortalSettings

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


async def open_database(settings: PortalSettings) -> Pool:
    """Create (if needed), migrate and open the database (with the inbox)."""
    return await open_database_with_inbox(settings.portal_database_url,
                                          pool_size=settings.database_pool_size,
                                          migrations=MIGRATIONS)
