"""The whole system as real processes: the demo through the public interface, KPIs, mail."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import aio_pika
import aio_pika.abc
import httpx
import pytest

from plumbing.amqp import connect
from tests.auth import auth_headers
from tests.broker_users import KPI_QUEUE, KPI_READER, LoadedDefinitions
from tests.conftest import DatabaseUrlFactory
from tests.e2e.conftest import running_system
from tests.processes import ROOT
from tests.system import System
from tests.waiting import until

TODAY = date(2023, 3, 31)  # after every date of the demo


@pytest.fixture
async def system(broker: LoadedDefinitions, database_url_factory: DatabaseUrlFactory,
                 tmp_path: Path) -> AsyncIterator[System]:
    async with running_system(broker, database_url_factory, tmp_path, TODAY) as running:
        yield running


def run_demo(system: System) -> subprocess.CompletedProcess[str]:
    env = {**system["agreements"].env,
           **{f"KERJASAMA_{name.upper()}_URL": p.url for name, p in system.processes.items()}}
    return subprocess.run([sys.executable, "-m", "services.demo"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=180)


async def kpi_listener(url: str) -> tuple[aio_pika.abc.AbstractRobustConnection,
                                         list[dict[str, Any]]]:
    """A reporting consumer as an outside system: its own broker user reading its own queue
    (declared and bound by the broker definitions), keeping realization 2021."""
    connection = await connect(url)
    channel = await connection.channel()
    queue = await channel.get_queue(KPI_QUEUE, ensure=False)
    received: list[dict[str, Any]] = []

    async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        async with message.process():
            if str(message.routing_key).startswith("kpi.realization.2021."):
                received.append(json.loads(message.body))

    await queue.consume(on_message)
    return connection, received


def figure(items: list[dict[str, Any]], indicator: str, scope: str = "province") -> Any:
    return next(i for i in items if i["indicator"] == indicator and i["scope"] == scope)


async def test_the_demo_runs_through_the_whole_system(
        system: System, broker: LoadedDefinitions, tmp_path: Path) -> None:
    connection, kpi_messages = await kpi_listener(broker.amqp_url(KPI_READER))
    first = await asyncio.to_thread(run_demo, system)
    assert first.returncode == 0, first.stderr
    assert ("demo: 28 agreements, 27 partners (1 merged), 2 work programs, 15 mapping items, "
            "258 commands (258 new), 25 signed texts attached") in first.stdout
    # the KPI table: what is counted over 2021 apart from its last day's counts and from
    # what stands today
    sections = kpi_sections(first.stdout)
    assert list(sections) == ["2021, counted over the year:",
                              "On 2021-12-31, the last day of 2021:",
                              f"As of {TODAY} (today):"], first.stdout
    assert sections["2021, counted over the year:"][:2] == ["realization 9 13",
                                                            "effectiveness 13 19"]
    assert [row.split()[0] for row in sections["On 2021-12-31, the last day of 2021:"]] == [
        "sleeping", "expiring_90_days"]
    for consumer in ("notifications", "reporting"):  # nothing was lost: nothing read twice
        assert re.search(rf"^{consumer}: 0 gap fills, 0 duplicates", first.stdout, re.M), \
            first.stdout[-600:]

    items: list[dict[str, Any]] = []
    async with httpx.AsyncClient(
            headers=auth_headers(), base_url=system["reporting"].url, timeout=10) as reporting:
        for _ in range(120):  # the demo waited for reporting; allow for a slow machine
            items = (await reporting.get("/kpis", params={"year": 2021})).json()
            if figure(items, "realization")["denominator"] == 13:
                break
            await asyncio.sleep(0.5)
    realization = figure(items, "realization")
    assert (realization["numerator"], realization["denominator"]) == (9, 13)
    assert (realization["value"], realization["target"], realization["achievement"]) == (
        69.23, 80, 86.54)
    effectiveness = figure(items, "effectiveness")
    assert (effectiveness["numerator"], effectiveness["denominator"]) == (13, 19)
    assert (effectiveness["value"], effectiveness["target"]) == (68.42, 60)
    diskuk = figure(items, "realization", "opd:DISKUK")  # Telkomsel, Shopee; JNE in 2022
    assert (diskuk["numerator"], diskuk["denominator"]) == (2, 3)

    await until(lambda: any(m["data"]["scope"] == "province" and m["data"]["numerator"] == 9
                            for m in kpi_messages), 30, "kpi.updated for realization 2021")
    await connection.close()
    latest = max((m for m in kpi_messages if m["data"]["scope"] == "province"),
                 key=lambda m: m["data"]["revision"])
    assert latest["type"] == "kerjasama.kpi.updated.v1"
    assert latest["subject"] == "realization/2021/province"
    assert (latest["data"]["numerator"], latest["data"]["denominator"]) == (9, 13)

    # notices: the demo is history entered in 2023, so nobody is mailed about what happened
    # in 2021 (each such notice is logged as skipped, with why); what is decided in the
    # record itself (a rejection) is told
    maildir = tmp_path / "mail"
    async with httpx.AsyncClient(headers=auth_headers(), timeout=10) as client:
        listing = (await client.get(f"{system['agreements'].url}/agreements",
                                    params={"limit": 500})).json()
        telkomsel = next(a["id"] for a in listing if "Telkomsel" in a["partner"]["name"])

        logged: list[dict[str, Any]] = []
        for _ in range(600):  # notifications applies the demo's events meanwhile
            log = (await client.get(f"{system['notifications'].url}/deliveries",
                                    params={"agreement_id": telkomsel})).json()
            logged = [d for d in log if d["rule"] == "follow_up_plan_requested"
                      and d["recipient"] == "DISKUK"]
            if logged:
                break
            await asyncio.sleep(0.1)
    assert {d["status"] for d in logged} == {"skipped"}, logged
    assert all("notices of old history" in d["last_error"] for d in logged), logged
    await until(lambda: any("tidak dapat dilanjutkan" in _subject(m) for m in _mails(maildir)),
                60, "the rejection's mail")
    assert not [m for m in _mails(maildir) if "rencana tindak lanjut" in _subject(m).lower()
                or "Permohonan fasilitasi" in _subject(m)]  # no mail about old history

    second = await asyncio.to_thread(run_demo, system)
    assert second.returncode == 0, second.stderr
    assert "258 commands (0 new)" in second.stdout
    async with httpx.AsyncClient(
            headers=auth_headers(), base_url=system["agreements"].url) as agreements:
        listing = (await agreements.get("/agreements", params={"limit": 500})).json()
    assert len(listing) == 28


def kpi_sections(stdout: str) -> dict[str, list[str]]:
    """The demo's KPI table: heading → its rows as ``indicator numerator denominator``."""
    found: dict[str, list[str]] = {}
    for block in stdout.split("KPI 2021 (province):\n\n", 1)[1].split("\n\n"):
        heading, header, _rule, *rows = [*block.splitlines(), "", ""]
        if not header.startswith("indicator"):
            break  # past the table
        found[heading] = [" ".join(r.split()[i] for i in (0, 2, 3)).replace(" -", "")
                          for r in rows if r]
    return found


def _mails(maildir: Path) -> list[email.message.Message]:
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in sorted(maildir.glob("*.eml"))]


def _body(message: email.message.Message) -> str:
    part = message.get_body(("plain",)) if hasattr(message, "get_body") else message
    payload = (part or message).get_payload(decode=True)
    return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""


def _subject(message: email.message.Message) -> str:
    return str(email.header.make_header(email.header.decode_header(message["Subject"] or "")))
