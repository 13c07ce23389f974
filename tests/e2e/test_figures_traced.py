"""The demo's figures traced and checked through the operator's command line (DESIGN §9):
as of a point, their history, their evidence, and the independent check that passes on
the real system and fails once a reporting table is changed behind its back."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.auth import auth_headers
from tests.broker_users import LoadedDefinitions
from tests.conftest import DatabaseUrlFactory
from tests.e2e.conftest import running_system
from tests.e2e.test_system import TODAY, figure, run_demo
from tests.processes import ROOT
from tests.system import System


@pytest.fixture
async def system(broker: LoadedDefinitions, database_url_factory: DatabaseUrlFactory,
                 tmp_path: Path) -> AsyncIterator[System]:
    async with running_system(broker, database_url_factory, tmp_path, TODAY) as running:
        yield running


def cli(system: System, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**system["agreements"].env,
           **{f"KERJASAMA_{name.upper()}_URL": p.url for name, p in system.processes.items()}}
    return subprocess.run([sys.executable, "-m", "services.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


async def test_the_demo_figures_are_traced_and_checked_from_the_feed(system: System) -> None:
    demo = await asyncio.to_thread(run_demo, system)
    assert demo.returncode == 0, demo.stderr
    async with httpx.AsyncClient(headers=auth_headers(), base_url=system["agreements"].url,
                                 timeout=10) as agreements:
        stored = (await agreements.get("/events", params={"after": 0, "limit": 1000})).json()
    async with httpx.AsyncClient(headers=auth_headers(), base_url=system["reporting"].url,
                                 timeout=10) as reporting:
        for _ in range(120):  # until reporting applied every event the demo stored
            items = (await reporting.get("/kpis", params={"year": 2021})).json()
            if (figure(items, "realization")["denominator"] == 13
                    and figure(items, "realization")["as_of_position"] >= stored[-1]["position"]):
                break
            await asyncio.sleep(0.5)
        position = figure(items, "realization")["as_of_position"]
        history = (await reporting.get("/kpis/realization/history",
                                       params={"year": 2021})).json()
    assert (history[-1]["numerator"], history[-1]["denominator"]) == (9, 13)
    assert history[0]["restated"] is False  # the demo records 2021 in 2023: restatements
    assert all(h["restated"] for h in history[1:])

    checked = await asyncio.to_thread(cli, system, "kpi", "verify", "--year", "2021")
    assert checked.returncode == 0, checked.stderr
    assert "all equal what reporting serves" in checked.stdout
    assert f"up to position {position}" in checked.stdout
    earlier = await asyncio.to_thread(cli, system, "kpi", "verify", "--year", "2021",
                                      "--as-of-position", str(history[2]["as_of_position"]))
    assert earlier.returncode == 0, earlier.stderr

    then = await asyncio.to_thread(cli, system, "kpi", "--year", "2021", "--as-of-position",
                                   str(history[2]["as_of_position"]))
    assert then.returncode == 0, then.stderr
    assert f"as of position {history[2]['as_of_position']}" in then.stdout
    lines = await asyncio.to_thread(cli, system, "kpi", "history", "--year", "2021")
    assert lines.returncode == 0 and len(lines.stdout.splitlines()) == len(history) + 3
    proof = await asyncio.to_thread(cli, system, "kpi", "evidence", "--year", "2021", "--csv")
    rows = proof.stdout.splitlines()
    assert [r.split(",")[0] for r in rows[1:]].count("counted") == 9
    assert len(rows) == 14
    weighed = await asyncio.to_thread(cli, system, "kpi", "what-if", "--year", "2021",
                                      "--effectiveness-types", "PKS")
    assert weighed.returncode == 0 and "nothing published or stored" in weighed.stdout

    connection = await asyncpg.connect(system.databases["reporting"])
    try:
        schema = await connection.fetchval(
            "SELECT schema_name FROM projection_generation WHERE id = 1")
        await connection.execute(
            f"UPDATE {schema}.figures SET numerator = numerator + 1 WHERE indicator ="
            " 'realization' AND year = 2021 AND scope = 'province'")
        changed = await asyncio.to_thread(cli, system, "kpi", "verify", "--year", "2021")
        assert changed.returncode == 1
        assert "realization 2021 province: reporting says (10" in changed.stderr
        assert "the stored figure itself differs" in changed.stderr
        await connection.execute(
            f"UPDATE {schema}.figures SET numerator = numerator - 1 WHERE indicator ="
            " 'realization' AND year = 2021 AND scope = 'province'")
        signed = await connection.fetchrow(
            f"SELECT agreement_id FROM {schema}.agreements WHERE plan_year = 2021"
            " AND extract(year FROM signed_on) = 2021 ORDER BY agreement_id LIMIT 1")
        assert signed is not None
        await connection.execute(  # its facts moved to a signing in 2022
            f"UPDATE {schema}.agreements SET signed_on = '2022-01-05' WHERE agreement_id = $1",
            signed["agreement_id"])
        moved = await asyncio.to_thread(cli, system, "kpi", "verify", "--year", "2021")
    finally:
        await connection.close()
    assert moved.returncode == 1
    assert f"first agreement that differs: {signed['agreement_id']}" in moved.stderr
