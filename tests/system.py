"""The whole system as real processes, for end-to-end and fault tests.

:func:`start_system` starts agreements, notifications and reporting on fresh databases
against a given broker, with one clock file and a real SMTP catcher process.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from plumbing.clock import write_clock_file
from plumbing.keys import ensure_key_file
from plumbing.topology import declare_all
from tests.conftest import DatabaseUrlFactory
from tests.database_roles import migrated_as_runtime
from tests.private_rabbitmq import free_port
from tests.processes import ROOT, ServiceProcess


@contextmanager
def mail_catcher(maildir: Path) -> Iterator[int]:
    """A real SMTP server process keeping every message in ``maildir``; its port."""
    port = free_port()
    catcher = subprocess.Popen(
        [sys.executable, "-m", "services.mailcatcher", "--port", str(port), "--maildir",
         str(maildir), "--quiet"], cwd=ROOT, stdout=subprocess.PIPE)
    try:
        assert catcher.stdout is not None and b"mail catcher on" in catcher.stdout.readline()
        yield port
    finally:
        catcher.terminate()
        catcher.wait(timeout=10)


def _for(value: str | Mapping[str, str], service: str) -> str:
    return value if isinstance(value, str) else value[service]


@dataclass
class System:
    """The three service processes and where their data lives."""

    processes: dict[str, ServiceProcess]
    databases: dict[str, str]
    clock_file: Path

    def __getitem__(self, name: str) -> ServiceProcess:
        return self.processes[name]

    async def start(self) -> None:
        """Start every process and wait until each is ready."""
        for process in self.processes.values():
            process.start()
        for process in self.processes.values():
            await process.ready()

    def stop(self) -> None:
        """Stop every process."""
        for process in self.processes.values():
            process.stop()


async def make_system(database_url_factory: DatabaseUrlFactory, *,
                      amqp_url: str | Mapping[str, str],
                      management_url: str | Mapping[str, str], smtp_port: int, workdir: Path,
                      today: date | None = None, **extra_env: str) -> System:
    """The processes (not started) on fresh databases, sharing one clock file.

    ``amqp_url`` and ``management_url`` are one for all (a user with every right: the
    topology is loaded there first, as a deployment's definitions would), or one per
    service (each service as its own broker user, on a vhost the definitions were loaded
    into).
    """
    if isinstance(amqp_url, str) and isinstance(management_url, str):
        await declare_all(amqp_url, management_url)
    clock_file = workdir / "clock"
    write_clock_file(clock_file, today)
    agreements_port = free_port()
    common = {
        "KERJASAMA_CLOCK_FILE": str(clock_file),
        "KERJASAMA_AGREEMENTS_URL": f"http://127.0.0.1:{agreements_port}",
        "KERJASAMA_SMTP_HOST": "127.0.0.1", "KERJASAMA_SMTP_PORT": str(smtp_port),
        # a key of this system: notifications' webhook secrets survive its restarts
        "KERJASAMA_WEBHOOK_SECRET_KEYS_FILE": str(ensure_key_file(workdir / "webhook-keys")),
        "KERJASAMA_DOCUMENTS_STORE": str(workdir / "documents"),
        **extra_env,
    }
    databases = {name: await database_url_factory(f"sys_{name}")
                 for name in ("agreements", "notifications", "reporting")}
    # agreements as deployed: migrated by the owner of its event tables, run as a role
    # that owns nothing (System.databases keeps the superuser's URL, for the tests).
    urls = {**databases, "agreements": await migrated_as_runtime(databases["agreements"])}
    processes = {
        name: ServiceProcess(name, {**common,
                                    "KERJASAMA_AMQP_URL": _for(amqp_url, name),
                                    "KERJASAMA_RABBITMQ_MANAGEMENT_URL":
                                        _for(management_url, name),
                                    f"KERJASAMA_{name.upper()}_DATABASE_URL": url},
                             port=agreements_port if name == "agreements" else None)
        for name, url in urls.items()
    }
    return System(processes, databases, clock_file)
