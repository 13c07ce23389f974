"""Fixtures of the deploy checks: the broker definitions loaded into the real broker."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from plumbing.rabbitadmin import RabbitAdmin
from tests.broker_users import (  # noqa: F401 - re-exported for the deploy tests
    DEFINITIONS,
    LoadedDefinitions,
    definitions_loaded,
    rename,
    with_credentials,
)


@pytest.fixture(scope="session")
async def loaded_definitions(rabbit_admin: RabbitAdmin) -> AsyncIterator[LoadedDefinitions]:
    """The committed definitions imported into the real broker; removed at the end."""
    async with definitions_loaded(rabbit_admin) as loaded:
        yield loaded
