"""RabbitMQ stopped and started under load: services reconnect, nothing lost or doubled."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import httpx

from tests.auth import auth_headers
from tests.conftest import DatabaseUrlFactory
from tests.integration.agreements.conftest import propose_body
from tests.private_rabbitmq import private_rabbitmq
from tests.system import mail_catcher, make_system
from tests.waiting import read_until


async def _statuses(client: httpx.AsyncClient, urls: list[str]) -> list[int]:
    return [(await client.get(f"{url}/readyz")).status_code for url in urls]


async def test_a_broker_outage_under_load_loses_and_doubles_nothing(
        database_url_factory: DatabaseUrlFactory, tmp_path: Path) -> None:
    with private_rabbitmq(management=True) as node, \
            mail_catcher(tmp_path / "mail") as smtp_port:
        system = await make_system(database_url_factory, amqp_url=node.url,
                                   management_url=node.management_url, smtp_port=smtp_port,
                                   workdir=tmp_path,
                                   # proposals of 2021 in real time: still told (the
                                   # test is about delivery, not old history)
                                   KERJASAMA_NOTICE_LATE_DAYS="36500")
        try:
            await system.start()
            urls = [p.url for p in system.processes.values()]
            accepted: list[str] = []
            running = True

            async def client(n: int) -> None:
                async with httpx.AsyncClient(
                        headers=auth_headers(), base_url=system["agreements"].url,
                                             timeout=30) as http:
                    i = 0
                    while running:
                        i += 1
                        answer = await http.post("/agreements", json=propose_body(
                            title=f"PKS {n}-{i}"), headers={"Idempotency-Key": f"p-{n}-{i}"})
                        assert answer.status_code == 201, answer.text
                        accepted.append(answer.json()["id"])
                        await asyncio.sleep(0.03)  # a steady rate, not a flood

            clients = [asyncio.create_task(client(n)) for n in range(3)]
            await asyncio.sleep(1.5)
            await asyncio.to_thread(node.stop_broker)
            during_before = len(accepted)
            async with httpx.AsyncClient(headers=auth_headers(), timeout=5) as probe:
                await asyncio.sleep(3)  # every service sees the broker gone within 30 s
                during = await read_until(lambda: _statuses(probe, urls),
                                          lambda found: found == [503, 503, 503], 27, 0.5)
                during_accepted = len(accepted) - during_before
                await asyncio.to_thread(node.start_broker)
                await asyncio.sleep(1.5)
                running = False
                await asyncio.gather(*clients)
                for _ in range(120):
                    after = await _statuses(probe, urls)
                    if after == [200, 200, 200]:
                        break
                    await asyncio.sleep(0.5)

                total = len(accepted)
                async with httpx.AsyncClient(
                        headers=auth_headers(), base_url=system["reporting"].url) as reporting:
                    async def denominator() -> int:
                        items = (await reporting.get("/kpis", params={"year": 2021})).json()
                        return next((i["denominator"] for i in items
                                     if i["indicator"] == "realization"
                                     and i["scope"] == "province"), 0)
                    seen = 0
                    for _ in range(240):
                        seen = await denominator()
                        if seen >= total:
                            break
                        await asyncio.sleep(0.5)
                    await asyncio.sleep(1)
                    seen = await denominator()
            maildir = tmp_path / "mail"

            def proposal_mails() -> int:
                return sum(1 for p in maildir.glob("*.eml")
                           if b"Permohonan fasilitasi" in p.read_bytes())

            for _ in range(240):
                if proposal_mails() >= total:
                    break
                await asyncio.sleep(0.5)
            await asyncio.sleep(1)
            mails = proposal_mails()
            conn = await asyncpg.connect(system.databases["notifications"])
            try:
                sent = await conn.fetchval(
                    "SELECT count(*) FROM deliveries WHERE status = 'sent'"
                    " AND rule = 'proposal_received'")
            finally:
                await conn.close()
        finally:
            system.stop()

    print(f"\nbroker outage: {total} proposals accepted ({during_accepted} while the broker "
          f"was down), reporting counted {seen}, {mails} proposal mails ({sent} sent), "
          f"readiness during {during}, after {after}")
    assert during == [503, 503, 503]
    assert after == [200, 200, 200]
    assert during_accepted > 0, "commands go on being accepted while the broker is down"
    assert seen == total, "reporting lost or double-counted proposals"
    assert mails == sent == total, "notifications lost or repeated a message"
