"""Fixtures of the reliability tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest

from tests.conftest import MANAGEMENT_URL, DatabaseUrlFactory
from tests.system import System, mail_catcher, make_system


@pytest.fixture
async def system(fresh_topology: str, database_url_factory: DatabaseUrlFactory,
                 tmp_path: Path) -> AsyncIterator[System]:
    """The three services as processes on a fresh vhost and databases, the business clock
    at 30 June 2021, mail to a real SMTP catcher in ``tmp_path / "mail"``."""
    with mail_catcher(tmp_path / "mail") as smtp_port:
        running = await make_system(database_url_factory, amqp_url=fresh_topology,
                                    management_url=MANAGEMENT_URL, smtp_port=smtp_port,
                                    workdir=tmp_path, today=date(2021, 6, 30))
        try:
            await running.start()
            yield running
        finally:
            running.stop()
