"""Services as real processes for end-to-end and fault tests.

Each :class:`ServiceProcess` runs ``python -m services.<name>`` with the environment a
test gives it (URLs of its database and broker, a port), waits for ``/readyz``, and can
be stopped (SIGTERM), killed (SIGKILL) and started again. Output goes to a log file that
a failing test prints.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

from tests.private_rabbitmq import free_port

ROOT = Path(__file__).resolve().parents[1]


class ServiceProcess:
    """One service process with its own port and environment."""

    def __init__(self, name: str, env: dict[str, str], port: int | None = None) -> None:
        self.name = name
        self.port = port or free_port()
        self.env = {**os.environ, **env, f"KERJASAMA_{name.upper()}_PORT": str(self.port),
                    "PYTHONUNBUFFERED": "1"}
        self.log = Path(tempfile.mkstemp(prefix=f"kerjasama-{name}-", suffix=".log")[1])
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Base URL of the service's HTTP interface."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start the process (output appended to :attr:`log`)."""
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", f"services.{self.name}"], cwd=ROOT, env=self.env,
                stdout=out, stderr=subprocess.STDOUT)

    async def ready(self, seconds: float = 60.0) -> None:
        """Wait until ``/readyz`` answers 200; fail with the log when it does not."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        async with httpx.AsyncClient(timeout=2.0, trust_env=False) as client:
            while loop.time() < deadline:
                if self.process is not None and self.process.poll() is not None:
                    break
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"{self.url}/readyz")).status_code == 200:
                        return
                await asyncio.sleep(0.1)
        raise AssertionError(f"{self.name} not ready within {seconds:.0f}s; its log:\n"
                             + self.tail())

    def tail(self, lines: int = 60) -> str:
        """The end of the process's log."""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def kill(self) -> None:
        """SIGKILL: no shutdown, no acks, no flushing."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM and wait (SIGKILL after 15 s)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()
