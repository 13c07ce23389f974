"""Tamper evidence: ``kerjasama verify`` checks every stream's hash chain."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx
import pytest

from plumbing.service_client import ServiceClient
from services.cli import main
from services.demo.loader import load
from services.demo.plan import load_data


async def test_verify_passes_on_the_demo_and_names_the_first_changed_event(
        agreements_client: httpx.AsyncClient, database_url: str,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    async with ServiceClient("agreements", "http://agreements", "demo",
                             transport=agreements_client._transport) as client:
        await load(load_data(), client)
    monkeypatch.setenv("KERJASAMA_AGREEMENTS_DATABASE_URL", database_url)

    assert await asyncio.to_thread(main, ["verify", "--database"]) == 0
    assert "every chain holds" in capsys.readouterr().out

    conn = await asyncpg.connect(database_url)  # a superuser changes history by hand
    try:
        target = await conn.fetchrow(
            "SELECT stream_id, version, position FROM events WHERE type = "
            "'kerjasama.agreement.signed.v1' ORDER BY position LIMIT 1 OFFSET 3")
        async with conn.transaction():
            await conn.execute("ALTER TABLE events DISABLE TRIGGER events_append_only")
            await conn.execute(
                "UPDATE events SET data = jsonb_set(data, '{signed_on}', '\"2019-01-01\"')"
                " WHERE position = $1", target["position"])
            await conn.execute("ALTER TABLE events ENABLE TRIGGER events_append_only")
    finally:
        await conn.close()

    assert await asyncio.to_thread(main, ["verify", "--database"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert (f"stream {target['stream_id']} at version {target['version']} "
            f"(position {target['position']}): its content does not match its hash") in err


async def test_verify_lists_stored_events_the_current_contract_would_refuse(
        database_url: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from uuid import uuid4

    from plumbing.settings import load_settings
    from services.agreements.adapters.database import open_database
    from services.agreements.settings import AgreementsSettings
    from tests.legacy import PROPOSED, append_legacy, legacy_proposal

    pool = await open_database(load_settings(AgreementsSettings,
                                             agreements_database_url=database_url))
    try:
        old = uuid4()
        await append_legacy(pool, str(old), 1, PROPOSED,
                            legacy_proposal(old, proposed_on="0001-01-01"))
        fine = uuid4()
        await append_legacy(pool, str(fine), 1, PROPOSED, legacy_proposal(fine))
    finally:
        await pool.close()
    monkeypatch.setenv("KERJASAMA_AGREEMENTS_DATABASE_URL", database_url)

    assert await asyncio.to_thread(main, ["verify", "--database"]) == 0
    out = capsys.readouterr().out
    assert f"would refuse: stream {old} version 1" in out
    assert "proposed_on" in out and "business-date domain" in out
    assert str(fine) not in out
    assert "every chain holds; 1 stored events would be refused today" in out


async def test_a_database_that_is_not_there_is_one_clear_line(
        database_url: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    missing = database_url.rsplit("/", 1)[0] + "/kerjasama_no_such_database"
    monkeypatch.setenv("KERJASAMA_AGREEMENTS_DATABASE_URL", missing)

    assert await asyncio.to_thread(main, ["verify", "--database"]) == 1
    err = capsys.readouterr().err
    assert "kerjasama_no_such_database" in err and "does not exist" in err
    assert "Traceback" not in err
