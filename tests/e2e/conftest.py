"""Fixtures of the end-to-end tests: the services as processes, each as its own broker user."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path

import pytest

from plumbing.rabbitadmin import RabbitAdmin
from tests.broker_users import LoadedDefinitions, definitions_loaded
from tests.conftest import DatabaseUrlFactory
from tests.system import System, mail_catcher, make_system

SERVICES = ("agreements", "notifications", "reporting")


@pytest.fixture
async def broker(rabbit_admin: RabbitAdmin) -> AsyncIterator[LoadedDefinitions]:
    """A vhost with deploy/'s definitions: every service and outside system its own user."""
    async with definitions_loaded(rabbit_admin) as loaded:
        yield loaded


@asynccontextmanager
async def running_system(broker: LoadedDefinitions, database_url_factory: DatabaseUrlFactory,
                         workdir: Path, today: date, **extra_env: str) -> AsyncIterator[System]:
    """The three services started on fresh databases, each as its deploy/ broker user."""
    with mail_catcher(workdir / "mail") as smtp_port:
        running = await make_system(
            database_url_factory, smtp_port=smtp_port, workdir=workdir, today=today,
            amqp_url={s: broker.amqp_url(s.upper()) for s in SERVICES},
            management_url={s: broker.management_url(s.upper()) for s in SERVICES},
            **extra_env)
        try:
            await running.start()
            yield running
        finally:
            running.stop()
