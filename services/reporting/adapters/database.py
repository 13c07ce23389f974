"""The reporting service's database: created if missing, its generations prepared, opened
as a pool."""

from __future__ import annotations

from plumbing.db import Pool, create_pool, ensure_database, rollback_only_reset
from services.reporting.adapters import generations
from services.reporting.settings import ReportingSettings


async def open_database(settings: ReportingSettings) -> Pool:
    """Create (if needed) and migrate the database; open a pool on it."""
    await ensure_database(settings.reporting_database_url)
    pool = await create_pool(settings.reporting_database_url, min_size=2,
                             max_size=settings.database_pool_size, reset=rollback_only_reset)
    try:
        await generations.prepare(pool)
    except BaseException:
        await pool.close()
        raise
    return pool
