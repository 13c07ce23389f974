"""The use-case tests of tests/unit/test_agreement_service.py, on PostgreSQL: the twin and
the real store answer every one of them alike."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from plumbing.settings import load_settings
from services.agreements.adapters.database import open_database
from services.agreements.adapters.event_store import EventStore, PostgresEventStore
from services.agreements.settings import AgreementsSettings
from tests.unit.test_agreement_service import *  # noqa: F403 - the same tests, another store


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[EventStore]:  # type: ignore[no-redef]
    pool = await open_database(load_settings(AgreementsSettings,
                                             agreements_database_url=database_url))
    yield PostgresEventStore(pool)
    await pool.close()
