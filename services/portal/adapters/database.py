"""The portal's database: created if missing, migrated (with the inbox), opened as a
pool."""

from __future__ import annotations

from pathlib import Path

from plumbing import inbox
from plumbing.db import Pool, create_pool, ensure_database, migrate, rollback_only_reset
from services.portal.settings import PortalSettings

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


async def open_database(settings: PortalSettings) -> Pool:
    """Create (if needed), migrate and open the portal's database (with the inbox)."""
    await ensure_database(settings.portal_database_url)
    pool = await create_pool(settings.portal_database_url, min_size=2,
                             max_size=settings.database_pool_size, reset=rollback_only_reset)
    await inbox.install(pool)
    await migrate(pool, MIGRATIONS)
    return pool
