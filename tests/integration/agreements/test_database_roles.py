"""The runtime role cannot rewrite history (docs/domain.md#boundaries): it owns nothing, may read
and
append events, and the service works fully with it; migrations are the owner's step."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx
import pytest

from plumbing.db import drop_database
from plumbing.settings import load_settings
from services.agreements.adapters.database import open_database
from services.agreements.adapters.schema import RUNTIME_EXTRA, RUNTIME_READ_ONLY, SchemaNotMigrated
from services.agreements.app import create_app
from services.agreements.settings import AgreementsSettings
from services.cli import main
from tests.auth import auth_headers
from tests.conftest import MANAGEMENT_URL
from tests.database_roles import OWNER_ROLE, RUNTIME_ROLE, as_role, migrated_as_runtime
from tests.integration.agreements.conftest import propose_body

TAMPERING = [
    "ALTER TABLE events DISABLE TRIGGER events_append_only",
    "ALTER TABLE events DISABLE TRIGGER ALL",
    "UPDATE events SET data = '{}'::jsonb",
    "DELETE FROM events",
    "TRUNCATE events",
    "DROP TABLE events CASCADE",
    "ALTER TABLE events OWNER TO CURRENT_USER",
    "CREATE TABLE shadow (x int)",
    "ALTER TABLE checkpoints DISABLE TRIGGER ALL",
    "UPDATE checkpoints SET hash = ''",
    "DELETE FROM checkpoints",
    "TRUNCATE checkpoints",
]


@pytest.mark.parametrize("statement", TAMPERING)
async def test_the_runtime_role_cannot_rewrite_an_event(
        agreements_client: httpx.AsyncClient, runtime_database_url: str,
        statement: str) -> None:
    assert (await agreements_client.post("/agreements", json=propose_body())).status_code == 201
    conn = await asyncpg.connect(runtime_database_url)
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute(statement)
        stored = await conn.fetch("SELECT type FROM events ORDER BY position")
        assert [r["type"] for r in stored] == [  # the new partner's registration, the proposal
            "kerjasama.partner.registered.v1", "kerjasama.agreement.proposed.v2"]
    finally:
        await conn.close()


async def test_the_runtime_role_owns_nothing_and_may_only_read_and_append_events(
        runtime_database_url: str) -> None:
    conn = await asyncpg.connect(runtime_database_url)
    try:
        owned = await conn.fetchval(
            "SELECT count(*) FROM pg_class WHERE relowner = to_regrole(current_user)")
        rights = await conn.fetchrow(
            "SELECT has_table_privilege('events', 'SELECT') AS s,"
            " has_table_privilege('events', 'INSERT') AS i,"
            " has_table_privilege('events', 'UPDATE') AS u,"
            " has_table_privilege('events', 'DELETE') AS d,"
            " has_table_privilege('events', 'TRUNCATE') AS t,"
            " has_table_privilege('events', 'TRIGGER') AS g")
        database_owner = await conn.fetchval(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()")
    finally:
        await conn.close()
    assert owned == 0
    assert dict(rights) == {"s": True, "i": True, "u": False, "d": False, "t": False,
                            "g": False}
    assert database_owner == OWNER_ROLE


async def test_the_service_does_all_its_work_as_the_runtime_role(
        runtime_database_url: str, database_url: str, fresh_topology: str) -> None:
    """Commands, the read model, queries, the feed, the relay (it deletes what it published)
    and the expiry job, with no privilege beyond the runtime role's."""
    settings = load_settings(AgreementsSettings, agreements_database_url=runtime_database_url,
                             amqp_url=fresh_topology, rabbitmq_management_url=MANAGEMENT_URL,
                             expiry_interval_seconds=0.2)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(headers=auth_headers(), base_url="http://agreements",
                                     transport=httpx.ASGITransport(app=app)) as client:
            created = await client.post("/agreements", json=propose_body())
            assert created.status_code == 201, created.text
            aid = created.json()["id"]
            assert (await client.post(f"/agreements/{aid}/review")).status_code == 200
            assert (await client.get(f"/agreements/{aid}")).json()["stage"] == "IN_REVIEW"
            feed: list[dict[str, object]] = []
            for _ in range(600):  # the feed stops below the oldest running transaction
                feed = (await client.get("/events")).json()
                if len(feed) == 3:
                    break
                await asyncio.sleep(0.05)
            assert [e["type"] for e in feed] == [
                "kerjasama.partner.registered.v1", "kerjasama.agreement.proposed.v2",
                "kerjasama.agreement.review_started.v1"]
            owner = await asyncpg.connect(database_url)
            try:
                pending = -1
                for _ in range(300):
                    pending = await owner.fetchval("SELECT count(*) FROM outbox")
                    if pending == 0:
                        break
                    await asyncio.sleep(0.1)
                assert pending == 0, "the relay did not publish and delete the outbox"
            finally:
                await owner.close()
            assert (await client.get("/readyz")).status_code == 200


async def test_the_service_refuses_to_start_on_an_unmigrated_database(
        database_url: str) -> None:
    await migrated_as_runtime(database_url)  # makes the roles; now forget the schema
    conn = await asyncpg.connect(as_role(database_url, OWNER_ROLE))
    try:
        await conn.execute("DROP TABLE schema_migrations")
    finally:
        await conn.close()
    settings = load_settings(AgreementsSettings,
                             agreements_database_url=as_role(database_url, RUNTIME_ROLE))
    with pytest.raises(SchemaNotMigrated, match="kerjasama migrate"):
        await open_database(settings)


async def test_the_service_refuses_to_create_its_database(database_url: str) -> None:
    await migrated_as_runtime(database_url)
    await drop_database(database_url)
    settings = load_settings(AgreementsSettings,
                             agreements_database_url=as_role(database_url, RUNTIME_ROLE))
    with pytest.raises(SchemaNotMigrated, match="does not exist: run `kerjasama migrate`"):
        await open_database(settings)


async def test_kerjasama_migrate_migrates_once_and_refuses_a_runtime_role_that_owns(
        database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    await migrated_as_runtime(database_url)
    owner_url = as_role(database_url, OWNER_ROLE)
    again = ["migrate", "--database-url", owner_url, "--runtime-role", RUNTIME_ROLE]
    assert await asyncio.to_thread(main, again) == 0
    assert "already up to date" in capsys.readouterr().out
    as_owner = ["migrate", "--database-url", owner_url, "--runtime-role", OWNER_ROLE]
    assert await asyncio.to_thread(main, as_owner) != 0
    assert "is the owner of the event tables" in capsys.readouterr().err


async def test_every_table_gives_the_runtime_role_only_what_the_schema_names(
        runtime_database_url: str) -> None:
    """SELECT and INSERT everywhere (tables later migrations add included), UPDATE or
    DELETE only where RUNTIME_EXTRA names it (never on events or checkpoints), and only
    SELECT on the record of migrations."""
    conn = await asyncpg.connect(runtime_database_url)
    try:
        rows = await conn.fetch(
            "SELECT c.relname AS table, array_agg(p.kind ORDER BY p.kind) AS granted"
            " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " CROSS JOIN unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE',"
            "  'REFERENCES', 'TRIGGER']) AS p(kind)"
            " WHERE n.nspname = 'public' AND c.relkind = 'r'"
            "  AND has_table_privilege(c.oid, p.kind)"
            " GROUP BY c.relname")
    finally:
        await conn.close()
    granted = {r["table"]: set(r["granted"]) for r in rows}
    assert {"events", "checkpoints", "outbox", "commands", "agreements",
            "schema_migrations"} <= set(granted)
    for table, privileges in granted.items():
        extra = {p.strip() for p in RUNTIME_EXTRA.get(table, "").split(",") if p.strip()}
        expected = {"SELECT"} if table in RUNTIME_READ_ONLY else {"SELECT", "INSERT"} | extra
        assert privileges == expected, table
    assert not {"UPDATE", "DELETE"} & (granted["events"] | granted["checkpoints"])
