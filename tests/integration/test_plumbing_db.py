"""Databases are created once and migrations apply once, in order, under a lock."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest

from plumbing.db import Pool, create_pool, drop_database, ensure_database, migrate
from plumbing.errors import MigrationError
from tests.conftest import POSTGRES_URL


async def database_exists(url: str) -> bool:
    conn = await asyncpg.connect(POSTGRES_URL)
    try:
        name = url.rsplit("/", 1)[1]
        return bool(await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name))
    finally:
        await conn.close()


async def test_ensure_database_is_safe_when_replicas_race(database_url_factory) -> None:
    url = (await database_url_factory("race")) + "_x"
    try:
        await asyncio.gather(*(ensure_database(url) for _ in range(6)))
        assert await database_exists(url)
        await ensure_database(url)
    finally:
        await drop_database(url)
    assert not await database_exists(url)


async def test_drop_database_disconnects_its_sessions(database_url_factory) -> None:
    url = await database_url_factory("drop")
    pool = await create_pool(url, min_size=2)
    try:
        await drop_database(url)
        assert not await database_exists(url)
    finally:
        pool.terminate()


async def test_create_pool_error_names_the_server_without_password() -> None:
    with pytest.raises(ConnectionError, match=r"postgres:\*\*\*@127\.0\.0\.1:1/x"):
        await create_pool("postgresql://postgres:hunter2@127.0.0.1:1/x")


def write(directory: Path, name: str, sql: str) -> None:
    (directory / name).write_text(sql)


async def test_migrations_apply_once_in_order(db_pool: Pool, tmp_path: Path) -> None:
    write(tmp_path, "001_create.sql", "CREATE TABLE log (step text);")
    write(tmp_path, "002_first_row.sql", "INSERT INTO log VALUES ('two');")
    assert await migrate(db_pool, tmp_path) == [1, 2]
    assert await migrate(db_pool, tmp_path) == []
    write(tmp_path, "003_second_row.sql", "INSERT INTO log VALUES ('three');")
    assert await migrate(db_pool, tmp_path) == [3]
    assert [r["step"] for r in await db_pool.fetch("SELECT step FROM log")] == ["two", "three"]
    recorded = await db_pool.fetch("SELECT version, name, checksum, applied_at "
                                   "FROM schema_migrations ORDER BY version")
    assert [(r["version"], r["name"]) for r in recorded] == [
        (1, "create"), (2, "first_row"), (3, "second_row")]
    assert all(len(r["checksum"]) == 64 and r["applied_at"] for r in recorded)


async def test_a_changed_applied_migration_is_refused(db_pool: Pool, tmp_path: Path) -> None:
    write(tmp_path, "001_create.sql", "CREATE TABLE log (step text);")
    await migrate(db_pool, tmp_path)
    write(tmp_path, "001_create.sql", "CREATE TABLE log (step text, extra int);")
    write(tmp_path, "002_more.sql", "INSERT INTO log VALUES ('x');")
    with pytest.raises(MigrationError, match="001_create was changed after it was applied"):
        await migrate(db_pool, tmp_path)
    assert await db_pool.fetchval("SELECT count(*) FROM schema_migrations") == 1


async def test_a_failing_migration_leaves_nothing_behind(db_pool: Pool, tmp_path: Path) -> None:
    write(tmp_path, "001_ok.sql", "CREATE TABLE a (x int);")
    write(tmp_path, "002_broken.sql", "CREATE TABLE b (x int); INSERT INTO nowhere VALUES (1);")
    with pytest.raises(MigrationError, match="002_broken failed"):
        await migrate(db_pool, tmp_path)
    assert await db_pool.fetchval("SELECT to_regclass('b')") is None
    assert await db_pool.fetchval("SELECT max(version) FROM schema_migrations") == 1
    write(tmp_path, "002_broken.sql", "CREATE TABLE b (x int);")
    assert await migrate(db_pool, tmp_path) == [2]


async def test_replicas_migrating_together_apply_each_file_once(
    database_url: str, tmp_path: Path
) -> None:
    # Without IF NOT EXISTS: a second run of 001 would fail, a second run of 002 would
    # add a row.
    write(tmp_path, "001_create.sql", "CREATE TABLE runs (n int); SELECT pg_sleep(0.2);")
    write(tmp_path, "002_row.sql", "INSERT INTO runs VALUES (1);")
    pools = [await create_pool(database_url, min_size=1, max_size=1) for _ in range(4)]
    try:
        results = await asyncio.gather(*(migrate(p, tmp_path) for p in pools))
        assert sorted(results) == [[], [], [], [1, 2]]
        assert await pools[0].fetchval("SELECT count(*) FROM runs") == 1
    finally:
        for pool in pools:
            await pool.close()


async def test_separate_tables_version_separate_schemas(db_pool: Pool, tmp_path: Path) -> None:
    write(tmp_path, "001_service.sql", "CREATE TABLE service_state (x int);")
    from plumbing import inbox

    await inbox.install(db_pool)
    await inbox.install(db_pool)
    assert await migrate(db_pool, tmp_path) == [1]
    assert await db_pool.fetchval("SELECT count(*) FROM inbox_schema_migrations") == len(
        inbox.MIGRATIONS)
    assert await db_pool.fetchval("SELECT to_regclass('inbox_events')") == "inbox_events"
