"""Events stored before the rules were tightened are processed as stored
(docs/domain.md#boundaries): a
proposal dated 0001-01-01 with a carriage return in its title is counted where the domain
reaches it and mailed with a clean subject; nothing parks or dead-letters."""

from __future__ import annotations

import asyncio
import email
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx

from plumbing.amqp import connect
from plumbing.db import create_pool
from tests.auth import auth_headers
from tests.legacy import PROPOSED, append_legacy, legacy_proposal
from tests.system import System


async def _eventually(check: Any, what: str, seconds: float = 30.0) -> Any:
    for _ in range(int(seconds / 0.2)):
        if found := await check():
            return found
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


async def test_a_stored_event_the_contract_now_refuses_is_still_processed(
        system: System, fresh_topology: str, tmp_path: Path) -> None:
    old = uuid4()
    pool = await create_pool(system.databases["agreements"], min_size=1, max_size=1)
    try:
        position = await append_legacy(pool, str(old), 1, PROPOSED, legacy_proposal(
            old, proposed_on="0001-01-01", title="Kerja sama\rSubject: lama\u2028baris",
            lead_opd="BIRO_PEM"))
    finally:
        await pool.close()
    reporting = httpx.AsyncClient(base_url=system["reporting"].url, headers=auth_headers())
    notifications = httpx.AsyncClient(base_url=system["notifications"].url,
                                      headers=auth_headers())
    async with reporting, notifications:
        async def logged() -> list[dict[str, Any]]:
            items: list[dict[str, Any]] = (await notifications.get(
                "/deliveries", params={"agreement_id": str(old)})).json()
            return items

        # proposed on 1 January of the year 1: old history, logged (its subject rendered
        # safely) and not sent
        deliveries = await _eventually(logged, "the proposal's notice logged")
        assert {(d["rule"], d["status"]) for d in deliveries} == {
            ("proposal_received", "skipped")}
        assert all(d["subject"].startswith("Permohonan fasilitasi kerja sama baru: Kerja "
                                           "sama Subject: lama baris") for d in deliveries)
        assert all("(proposed 0001-01-01)" in d["last_error"] for d in deliveries)
        mails = [email.message_from_bytes(p.read_bytes())
                 for p in (tmp_path / "mail").glob("*") if p.is_file()]
        assert [m for m in mails if str(old) in m.as_string()] == []

        async def reached() -> bool:  # reporting applied the feed up to the legacy event
            answer = await reporting.get("/kpis", params={"as_of_position": position})
            return answer.status_code == 200

        await _eventually(reached, "reporting to apply the legacy event")
        for service in (reporting, notifications):
            assert (await service.get("/parked")).json() == []
        figures = (await reporting.get("/kpis")).json()
        assert all(1980 <= f["year"] <= 2099 for f in figures)
        assert not any(f["scope"] == "opd:BIRO_PEM" for f in figures)  # year 1 only
    connection = await connect(fresh_topology)
    async with connection:
        channel = await connection.channel()
        for queue in ("reporting.events.dlq", "notifications.events.dlq"):
            declared = await channel.declare_queue(queue, passive=True)
            assert declared.declaration_result.message_count == 0
