"""A private PostgreSQL cluster for fault tests: its own port and data, never the shared one.

``initdb`` and ``pg_ctl`` of the installed PostgreSQL (``/usr/lib/postgresql/<v>/bin``)
run as the ``postgres`` user when the tests run as root (PostgreSQL refuses root), with
trust authentication on 127.0.0.1 only. :meth:`PrivatePostgres.stop_server` and
:meth:`start_server` stop (fast: connections are cut) and start it again; the cluster is
removed at the end.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.private_rabbitmq import free_port


def postgres_bin() -> Path:
    """The directory of the installed PostgreSQL server programs."""
    explicit = os.environ.get("KERJASAMA_TEST_POSTGRES_BIN")
    if explicit:
        return Path(explicit)
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not versions:
        pytest.fail("PostgreSQL server programs not found under /usr/lib/postgresql "
                    "(set KERJASAMA_TEST_POSTGRES_BIN)")
    return versions[-1].parent


class PrivatePostgres:
    """One PostgreSQL cluster of a test's own."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.data = base / "data"
        self.port = free_port()
        self.bin = postgres_bin()
        self._as_postgres = os.geteuid() == 0

    def url(self, database: str = "postgres") -> str:
        """URL of a database on this cluster."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *command: str) -> None:
        argv = list(command)
        if self._as_postgres:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        subprocess.run(argv, check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        """Create the cluster (trust authentication, the postgres superuser)."""
        if self._as_postgres:
            shutil.chown(self.base, "postgres", "postgres")
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust",
                  "-U", "postgres", "--no-sync")

    def start_server(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 "
                   f"-c unix_socket_directories={self.base} -c fsync=off")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options,
                  "-l", str(self.base / "server.log"), "-w", "start")

    def stop_server(self) -> None:
        """Stop the server at once (clients lose their connections)."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        """Stop (if running) and delete the cluster."""
        try:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                      "-w", "stop")
        except subprocess.CalledProcessError:
            pass  # not running
        shutil.rmtree(self.base, ignore_errors=True)


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    """A running private cluster, removed afterwards."""
    base = Path(tempfile.mkdtemp(prefix="kerjasama-postgres-"))
    cluster = PrivatePostgres(base)
    try:
        cluster.init()
        cluster.start_server()
        yield cluster
    finally:
        cluster.remove()
