"""The agreements service's database: prepared (created and migrated in development, checked
otherwise) and opened as a pool."""

from __future__ import annotations

from plumbing.db import Pool, create_pool, rollback_only_reset
from services.agreements.adapters.schema import prepare_database
from services.agreements.settings import AgreementsSettings


async def open_database(settings: AgreementsSettings) -> Pool:
    """Open the service's database; SchemaNotMigrated when `kerjasama migrate` is due.

    A superuser (development) creates and migrates it itself: see
    :func:`services.agreements.adapters.schema.prepare_database`.
    """
    await prepare_database(settings.agreements_database_url)
    return await create_pool(settings.agreements_database_url, min_size=2,
                             max_size=settings.database_pool_size, reset=rollback_only_reset)
