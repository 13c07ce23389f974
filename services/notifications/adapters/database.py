"""The notifications service's database: created if missing, migrated (with the inbox),
opened as a pool."""

from __future__ import annotations

from pathlib import Path

from plumbing.db import Pool
from plumbing.inbox import open_database_with_inbox
from services.notifications.settings import NotificationsSettings

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


async def open_database(settings: NotificationsSettings) -> Pool:
    """Create (if needed), migrate and open the database (with the inbox)."""
    return await open_database_with_inbox(settings.notifications_database_url,
                                          pool_size=settings.database_pool_size,
                                          migrations=MIGRATIONS)
