"""Shared fixtures: a RabbitMQ vhost per test run, fresh PostgreSQL databases.

Everything runs against the real PostgreSQL and RabbitMQ named by the environment
(``KERJASAMA_TEST_POSTGRES_URL``, ``KERJASAMA_TEST_AMQP_URL``,
``KERJASAMA_TEST_RABBITMQ_MANAGEMENT_URL``; local defaults). Names carry a uuid, so
runs never share state, and what a run creates is removed at its end.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote
from uuid import uuid4

import aio_pika.abc
import pytest

from plumbing.amqp import connect
from plumbing.auth import ensure_dev_key
from plumbing.db import Pool, create_pool, drop_database, ensure_database
from plumbing.rabbitadmin import RabbitAdmin
from plumbing.topology import declare_all
from plumbing.urls import with_vhost
from tests import tracing

POSTGRES_URL = os.environ.get(
    "KERJASAMA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
AMQP_URL = os.environ.get("KERJASAMA_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
MANAGEMENT_URL = os.environ.get(
    "KERJASAMA_TEST_RABBITMQ_MANAGEMENT_URL", "http://guest:guest@127.0.0.1:15672"
)

# One signing key per run, set before any test module is imported: every service the run
# starts (in-process or as a process) accepts the tokens of tests/auth.py.
os.environ["KERJASAMA_AUTH_DEV_KEY_FILE"] = str(
    Path(tempfile.mkdtemp(prefix="kerjasama-auth-")) / "dev-key")
ensure_dev_key(Path(os.environ["KERJASAMA_AUTH_DEV_KEY_FILE"]))
# A test run is a development run (its key is a development key); the tests of what a
# production run refuses set KERJASAMA_ENVIRONMENT=production themselves.
os.environ["KERJASAMA_ENVIRONMENT"] = "development"
# The archive of every agreements service the run starts, unless a test names its own:
# never the working directory.
os.environ["KERJASAMA_DOCUMENTS_STORE"] = tempfile.mkdtemp(prefix="kerjasama-documents-")
# Spans and trace context in every test, as in every service process (tests/tracing.py).
tracing.install()

VhostFactory = Callable[[], Awaitable[str]]
DatabaseUrlFactory = Callable[[str], Awaitable[str]]


@pytest.fixture(scope="session")
def rabbitmq_management_url() -> str:
    """The management HTTP API URL (with credentials) of the test broker."""
    return MANAGEMENT_URL


@pytest.fixture(scope="session")
async def rabbit_admin(rabbitmq_management_url: str) -> AsyncIterator[RabbitAdmin]:
    """A management API client of the test broker."""
    async with RabbitAdmin(rabbitmq_management_url) as admin:
        yield admin


STALE_AFTER_SECONDS = 3 * 3600
"""A test vhost this old is left over from a run that was killed: no run lasts as long."""


def unique_vhost_name(kind: str = "test") -> str:
    """``kerjasama-<kind>-<unix time>-<uuid6>``: unique, and dated so that a later run can
    tell a left-over one (a killed run never reaches its clean-up)."""
    return f"kerjasama-{kind}-{int(time.time())}-{uuid4().hex[:6]}"


async def sweep_stale_vhosts(admin: RabbitAdmin, now: float | None = None) -> list[str]:
    """Delete the test vhosts (and their users) that killed runs left behind.

    Each vhost holds file handles in the broker; left-over ones add up until the broker
    cannot open a vhost any more.
    """
    now = time.time() if now is None else now
    stale = []
    for vhost in await admin.request("GET", "/vhosts"):
        match = re.fullmatch(r"kerjasama-(?:test|bench|soak)-(\d{10})-([0-9a-f]{6})",
                             str(vhost["name"]))
        if match and now - int(match.group(1)) > STALE_AFTER_SECONDS:
            stale.append(str(vhost["name"]))
    suffixes = {name.rsplit("-", 1)[1] for name in stale}
    for name in stale:
        await admin.delete_vhost(name)
    for user in await admin.request("GET", "/users"):
        if str(user["name"]).rsplit("-", 1)[-1] in suffixes:
            await admin.request("DELETE", f"/users/{quote(str(user['name']), safe='')}")
    return stale


@asynccontextmanager
async def vhosts_made(admin: RabbitAdmin) -> AsyncIterator[VhostFactory]:
    """A maker of fresh vhosts ``kerjasama-test-<time>-<uuid6>`` (guest has all rights);
    every vhost it made is deleted when the context ends."""
    created: list[str] = []

    async def make() -> str:
        name = unique_vhost_name()
        await admin.create_vhost(name)
        created.append(name)
        return name

    try:
        yield make
    finally:
        for name in created:
            await admin.delete_vhost(name)


@pytest.fixture(scope="session")
async def _session_vhosts(rabbit_admin: RabbitAdmin) -> AsyncIterator[VhostFactory]:
    """Makes vhosts that live for the whole run (the run's own), deleted at its end."""
    await sweep_stale_vhosts(rabbit_admin)
    async with vhosts_made(rabbit_admin) as make:
        yield make


@pytest.fixture
async def rabbit_vhost_factory(rabbit_admin: RabbitAdmin,
                               _session_vhosts: VhostFactory) -> AsyncIterator[VhostFactory]:
    """Makes fresh vhosts, deleted when the test ends, so that a run never holds more than
    a few at once (each holds broker file handles)."""
    async with vhosts_made(rabbit_admin) as make:
        yield make


@pytest.fixture(scope="session")
async def rabbit_vhost(_session_vhosts: VhostFactory) -> str:
    """The vhost of this test run."""
    return await _session_vhosts()


@pytest.fixture(scope="session")
def amqp_url(rabbit_vhost: str) -> str:
    """AMQP URL of this run's vhost."""
    return with_vhost(AMQP_URL, rabbit_vhost)


@pytest.fixture(scope="session")
async def amqp_connection(
    amqp_url: str,
) -> AsyncIterator[aio_pika.abc.AbstractRobustConnection]:
    """A robust connection to this run's vhost; open your own channels on it."""
    connection = await connect(amqp_url)
    yield connection
    await connection.close()


@pytest.fixture(scope="session")
async def declared_topology(amqp_url: str, rabbitmq_management_url: str) -> str:
    """This run's vhost with the topology of contracts.topology and its policies; its AMQP URL."""
    await declare_all(amqp_url, rabbitmq_management_url)
    return amqp_url


def _database_suffix(name: str) -> str:
    clean = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_") or "db"
    return clean[:39]  # PostgreSQL names are at most 63 bytes


@pytest.fixture(scope="session")
async def database_url_factory() -> AsyncIterator[DatabaseUrlFactory]:
    """``await factory(name)`` creates ``kerjasama_test_<uuid8>_<name>`` and returns its URL.

    Every database made is dropped at the end of the run.
    """
    created: list[str] = []
    base = POSTGRES_URL.rsplit("/", 1)[0]

    async def make(name: str) -> str:
        url = f"{base}/kerjasama_test_{uuid4().hex[:8]}_{_database_suffix(name)}"
        await ensure_database(url)
        created.append(url)
        return url

    yield make
    for url in created:
        await drop_database(url)


@pytest.fixture
async def database_url(
    database_url_factory: DatabaseUrlFactory, request: pytest.FixtureRequest
) -> str:
    """A fresh database for this test, named after it."""
    return await database_url_factory(request.node.name)


@pytest.fixture
async def db_pool(database_url: str) -> AsyncIterator[Pool]:
    """A pool on this test's fresh database."""
    pool = await create_pool(database_url, min_size=1, max_size=10)
    yield pool
    await pool.close()


@pytest.fixture
async def fresh_topology(
    rabbit_vhost_factory: VhostFactory, rabbitmq_management_url: str
) -> str:
    """A new vhost of its own with the full topology and policies; its AMQP URL.

    For tests that consume the service queues or count what lands in them.
    """
    url = with_vhost(AMQP_URL, await rabbit_vhost_factory())
    await declare_all(url, rabbitmq_management_url)
    return url


@pytest.fixture(scope="session", autouse=True)
def _no_test_touches_the_default_vhost(amqp_url: str) -> Iterator[None]:
    """Settings that name no broker get this run's vhost, never the shared ``/``."""
    previous = os.environ.get("KERJASAMA_AMQP_URL")
    os.environ["KERJASAMA_AMQP_URL"] = amqp_url
    yield
    if previous is None:
        os.environ.pop("KERJASAMA_AMQP_URL", None)
    else:
        os.environ["KERJASAMA_AMQP_URL"] = previous
