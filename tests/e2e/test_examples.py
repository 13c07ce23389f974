"""The example outside systems of examples/ against the whole running system.

Each runs as its own program with its own broker user (from the broker definitions, with
the roles its systems entry names), proposes over AMQP, follows its agreement to signing
over HTTP and prints what it saw; both run at the same time, for different agencies. The
broker does not bring them one of the events (their queues are bound without it), so each
must fill the gap from the agreement's events over HTTP to print them all in order.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from plumbing.rabbitadmin import RabbitAdmin
from tests.auth import auth_headers, token
from tests.broker_users import SYSTEMS, LoadedDefinitions
from tests.conftest import DatabaseUrlFactory
from tests.e2e.conftest import running_system
from tests.processes import ROOT
from tests.system import System

TODAY = date(2023, 3, 31)  # after every date the examples use
YEAR = 2021
EXAMPLES = ROOT / "examples"
NODE_FILES = ("package.json", "package-lock.json", "main.js")
SECONDS = 60
LOST = "agreement.review_started"
"""The event the broker does not bring the examples: each fills the gap over HTTP."""


@dataclass(frozen=True)
class Example:
    """One example program and the outside system (systems.json entry) it plays."""

    name: str
    system: str
    agency: str

    @property
    def user_key(self) -> str:
        return "EXTERNAL_" + self.system.upper().replace("-", "_")


PYTHON = Example("python", "contoh-python", "DISPARBUD")
NODE = Example("node", "contoh-node", "DISKOMINFO")


@pytest.fixture
def node_example(tmp_path: Path) -> Iterator[tuple[Path, subprocess.Popen[str]]]:
    """A copy of examples/node (the checkout gets no node_modules) and its `npm ci`,
    running while the system starts."""
    missing = [name for name in NODE_FILES if not (EXAMPLES / "node" / name).is_file()]
    if missing:
        pytest.fail(f"examples/node lacks {', '.join(missing)}")
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.fail("the Node.js example needs node and npm on PATH (Node.js 18 or later)")
    copy = tmp_path / "node-example"
    shutil.copytree(EXAMPLES / "node", copy, ignore=shutil.ignore_patterns("node_modules"))
    install = subprocess.Popen(["npm", "ci", "--no-audit", "--no-fund"], cwd=copy,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        yield copy, install
    finally:
        if install.poll() is None:
            install.kill()
            install.wait()


@pytest.fixture
async def system(node_example: tuple[Path, subprocess.Popen[str]], broker: LoadedDefinitions,
                 database_url_factory: DatabaseUrlFactory,
                 tmp_path: Path) -> AsyncIterator[System]:
    # the test users have unique names: the agreements service learns theirs
    roles = {broker.users[s.key]: list(s.roles) for s in SYSTEMS if s.roles}
    async with running_system(broker, database_url_factory, tmp_path, TODAY,
                              KERJASAMA_AMQP_USER_ROLES=json.dumps(roles)) as running:
        yield running


async def lose_on_the_way(admin: RabbitAdmin, vhost: str, queue: str, lost: str) -> None:
    """Bind ``queue`` to every agreement event but ``lost`` instead of ``agreement.*``."""
    path = f"/bindings/{quote(vhost, safe='')}/e/kerjasama.events/q/{quote(queue, safe='')}"
    keys = {b["routing_key"]: b["properties_key"] for b in await admin.request("GET", path)}
    assert "agreement.*" in keys, keys
    for routing_key in ("agreement.proposed", "agreement.drafted", "agreement.discussed",
                        "agreement.signed"):
        assert routing_key != lost
        await admin.request("POST", path, {"routing_key": routing_key})
    await admin.request("DELETE", f"{path}/{quote(keys['agreement.*'], safe='')}")


def environment(example: Example, system: System, broker: LoadedDefinitions,
                agency: str | None = None) -> dict[str, str]:
    return {**os.environ, "AMQP_URL": broker.amqp_url(example.user_key),
            "AGREEMENTS_URL": system["agreements"].url,
            "TOKEN": token("tkksd", subject="sekretariat-tkksd"),  # it plays their steps
            "SYSTEM": example.system, "AGENCY": agency or example.agency, "YEAR": str(YEAR),
            "TIMEOUT_SECONDS": str(SECONDS)}


@dataclass(frozen=True)
class Run:
    example: Example
    status: int
    stdout: str
    stderr: str

    def __str__(self) -> str:
        return (f"{self.example.name} example, exit {self.status}\n--- stdout\n{self.stdout}"
                f"--- stderr\n{self.stderr[-3000:]}")


async def run(example: Example, command: list[str], cwd: Path, env: dict[str, str]) -> Run:
    process = await asyncio.create_subprocess_exec(
        *command, cwd=cwd, env=env, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    try:
        out, err = await asyncio.wait_for(process.communicate(), SECONDS + 15)
    except TimeoutError:
        process.kill()
        out, err = await process.communicate()
    return Run(example, process.returncode or 0, out.decode(), err.decode())


def name_of(event_type: str) -> str:
    """``kerjasama.agreement.signed.v1`` → ``signed``."""
    return event_type.removeprefix("kerjasama.agreement.").rsplit(".v", 1)[0]


def check(run: Run) -> str:
    """The agreement id a run followed to signing, once its output says all it should."""
    assert run.status == 0, run
    lines = run.stdout.splitlines()
    replies = [line for line in lines if line.startswith("reply: ")]
    assert len(replies) == 1, run
    accepted = re.fullmatch(r"reply: accepted (\S+) version 1 stage PROPOSED", replies[0])
    assert accepted, run
    agreement_id = accepted[1]

    steps = [re.fullmatch(r"step: (\w+) -> version (\d+) stage (\w+)", line)
             for line in lines if line.startswith("step: ")]
    assert all(steps), run
    assert [(s[1], int(s[2])) for s in steps if s] == [
        ("review", 2), ("draft", 3), ("discuss", 4), ("sign", 5)], run
    assert steps[-1] and steps[-1][3] == "SIGNED", run

    events = [line.split() for line in lines if line.startswith("event: ")]
    ours = [(name_of(e[1]), int(e[4])) for e in events if e[2] == agreement_id]
    assert ours == [("proposed", 1), ("review_started", 2), ("drafted", 3), ("discussed", 4),
                    ("signed", 5)], run

    scope = f"opd:{run.example.agency}"
    assert any(line.startswith(f"kpi: realization {YEAR} {scope} ") for line in lines), run
    assert not [line for line in lines if line.startswith("kpi: ")
                and f" {YEAR} {scope} " not in line], run  # its agency's figures only
    changes = [re.fullmatch(rf"change: realization {YEAR} {scope} (\d+)/(\d+) -> (\d+)/(\d+)",
                            line) for line in lines if line.startswith("change: ")]
    assert len(changes) == 1 and changes[0], run
    # a fresh system: the agency's plan is this one agreement, signed now
    assert changes[0].groups() == ("0", "1", "1", "1"), run
    assert lines[-1] == f"done: {agreement_id} SIGNED", run
    return agreement_id


async def test_both_examples_propose_follow_and_see_their_signing_counted(
        system: System, broker: LoadedDefinitions, rabbit_admin: RabbitAdmin,
        node_example: tuple[Path, subprocess.Popen[str]]) -> None:
    node_copy, install = node_example
    installed = await asyncio.to_thread(install.communicate, timeout=120)
    assert install.returncode == 0, f"npm ci failed in a copy of examples/node:\n{installed[0]}"
    for example in (PYTHON, NODE):  # an event lost on the way: each fills the gap over HTTP
        await lose_on_the_way(rabbit_admin, broker.vhost, f"external.{example.system}.events",
                              LOST)

    commands = {PYTHON: ([sys.executable, str(EXAMPLES / "python" / "kerjasama_example.py")],
                         ROOT),
                NODE: (["node", "main.js"], node_copy)}
    runs = await asyncio.gather(*(run(example, *commands[example],
                                      environment(example, system, broker))
                                  for example in (PYTHON, NODE)))
    for example_run in runs:
        print(example_run)  # shown with -s or when the test fails

    agreements = [check(example_run) for example_run in runs]
    async with httpx.AsyncClient(base_url=system["agreements"].url, headers=auth_headers(),
                                 timeout=10) as http:
        for example_run, agreement_id in zip(runs, agreements, strict=True):
            stored = (await http.get(f"/agreements/{agreement_id}")).json()
            assert (stored["stage"], stored["lead_opd"]) == (
                "SIGNED", example_run.example.agency), stored

    # proposing for an agency its broker user does not stand for: the refusal, exit 1
    refusals = await asyncio.gather(*(run(example, *commands[example],
                                          environment(example, system, broker, "DISKUK"))
                                      for example in (PYTHON, NODE)))
    for refused in refusals:
        print(refused)
        told = [line for line in refused.stdout.splitlines()
                if line.startswith(("reply: ", "step: ", "done: "))]
        assert refused.status == 1 and len(told) == 1, refused
        assert re.fullmatch(r"reply: refused 403 \S+: .+", told[0]), refused
