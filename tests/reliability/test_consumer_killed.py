"""Consumers killed with SIGKILL in the middle of 5,000 events: the end state is exact."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from tests.auth import auth_headers
from tests.conftest import MANAGEMENT_URL, DatabaseUrlFactory
from tests.integration.agreements.conftest import SIGN_BODY, propose_body
from tests.system import mail_catcher, make_system

SIGNED, PROPOSED_ONLY = 1000, 250  # 5 events per signed agreement: 5,250 events
DISCUSSED = {"held_on": "2021-03-02", "summary": "Sepakat", "outcome": "AGREED"}


async def one_agreement(http: httpx.AsyncClient, n: int) -> None:
    created = await http.post("/agreements", json=propose_body(title=f"PKS {n}"),
                              headers={"Idempotency-Key": f"p-{n}"})
    assert created.status_code == 201, created.text
    if n >= SIGNED:
        return
    aid = created.json()["id"]
    for action, body in (("review", None), ("draft", {"note": "Draf"}),
                         ("discuss", DISCUSSED), ("sign", SIGN_BODY)):
        answer = await http.post(f"/agreements/{aid}/{action}", json=body,
                                 headers={"Idempotency-Key": f"{action}-{n}"})
        assert answer.status_code == 200, answer.text


async def realization(reporting: httpx.AsyncClient) -> dict[str, Any]:
    items = (await reporting.get("/kpis", params={"year": 2021})).json()
    return next((i for i in items if i["indicator"] == "realization"
                 and i["scope"] == "province"), {"numerator": 0, "denominator": 0})


async def test_consumers_killed_mid_stream_end_exactly_as_without_the_fault(
        fresh_topology: str, database_url_factory: DatabaseUrlFactory,
        tmp_path: Path) -> None:
    total = SIGNED + PROPOSED_ONLY
    with mail_catcher(tmp_path / "mail") as smtp_port:
        system = await make_system(database_url_factory, amqp_url=fresh_topology,
                                   management_url=MANAGEMENT_URL, smtp_port=smtp_port,
                                   workdir=tmp_path,
                                   # proposals of 2021 in real time: still told (the
                                   # test is about delivery, not old history)
                                   KERJASAMA_NOTICE_LATE_DAYS="36500")
        try:
            await system.start()
            async with httpx.AsyncClient(
                    headers=auth_headers(), base_url=system["notifications"].url) as notes:
                assert (await notes.put("/contacts/DISKUK", json={
                    "emails": ["diskuk@jabarprov.go.id"], "webhooks": [],
                    "language": "id"})).status_code in (200, 201)
            async with httpx.AsyncClient(headers=auth_headers(), base_url=system["agreements"].url,
                                         timeout=60) as http:
                numbers = iter(range(total))

                async def worker() -> None:
                    for n in numbers:
                        await one_agreement(http, n)

                load = asyncio.gather(*(worker() for _ in range(12)))
                async with httpx.AsyncClient(
                        headers=auth_headers(), base_url=system["reporting"].url) as reporting:
                    for _ in range(600):  # in the middle of the stream
                        before_kill = await realization(reporting)
                        if before_kill["denominator"] >= 300:
                            break
                        await asyncio.sleep(0.2)
                    system["reporting"].kill()
                    system["notifications"].kill()
                    await asyncio.sleep(1)
                    system["reporting"].start()
                    system["notifications"].start()
                    await load
                    await system["reporting"].ready()
                    await system["notifications"].ready()
                    final: dict[str, Any] = {}
                    for _ in range(600):
                        final = await realization(reporting)
                        if final["denominator"] >= total and final["numerator"] >= SIGNED:
                            break
                        await asyncio.sleep(0.5)
                    await asyncio.sleep(1)
                    final = await realization(reporting)
            conn = await asyncpg.connect(system.databases["notifications"])
            try:
                for _ in range(240):
                    sent = await conn.fetchval(  # a restated figure is told besides
                        "SELECT count(*) FROM deliveries WHERE status = 'sent'"
                        " AND rule <> 'figure_restated'")
                    if sent >= total + SIGNED:
                        break
                    await asyncio.sleep(0.5)
                await asyncio.sleep(1)
                by_rule = dict(await conn.fetch(
                    "SELECT n.rule, count(*) FROM deliveries d JOIN notices n "
                    "ON n.id = d.notice_id WHERE d.status = 'sent'"
                    " AND n.rule <> 'figure_restated' GROUP BY n.rule"))
            finally:
                await conn.close()
        finally:
            system.stop()
    mails = len(list((tmp_path / "mail").glob("*.eml")))
    print(f"\nSIGKILL: {total * 1 + SIGNED * 4} events; killed after reporting counted "
          f"{before_kill['denominator']} proposals; reporting ends at {final['numerator']}/"
          f"{final['denominator']}; deliveries sent {by_rule}; {mails} mails "
          f"({mails - (total + SIGNED)} repeated by the crash window)")
    assert (final["numerator"], final["denominator"], final["value"]) == (SIGNED, total, 80.0)
    assert by_rule == {"proposal_received": total, "follow_up_plan_requested": SIGNED}
    assert mails >= total + SIGNED
