"""A private RabbitMQ node for fault tests: its own ports, data and cookie, never the shared one.

The node runs from the installed RabbitMQ (``/usr/lib/rabbitmq/bin``) as the current
user, with no plugins, under a temporary directory; :meth:`PrivateRabbitMQ.stop_broker`
and :meth:`start_broker` stop and start the broker application (clients lose their
connections, durable queues keep their messages), and the node is removed at the end.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from uuid import uuid4

import pytest

RABBITMQ_BIN = Path(os.environ.get("KERJASAMA_TEST_RABBITMQ_BIN", "/usr/lib/rabbitmq/bin"))


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PrivateRabbitMQ:
    """One RabbitMQ node of a test's own."""

    def __init__(self, base: Path, *, management: bool = False) -> None:
        self.base = base
        self.port = free_port()
        self.management_port = free_port() if management else None
        self.node = f"kerjasama-test-{uuid4().hex[:8]}@localhost"
        plugins = "[rabbitmq_management]" if management else "[]"
        (base / "enabled_plugins").write_text(f"{plugins}.\n")
        if management:
            (base / "rabbitmq.conf").write_text(
                f"management.tcp.port = {self.management_port}\n"
                "management.tcp.ip = 127.0.0.1\n")
        self.env = {
            **os.environ, "HOME": str(base), "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_PORT": str(self.port), "RABBITMQ_DIST_PORT": str(free_port()),
            "RABBITMQ_MNESIA_BASE": str(base / "mnesia"), "RABBITMQ_LOG_BASE": str(base / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "enabled_plugins"),
            "RABBITMQ_CONFIG_FILE": str(base / "rabbitmq"),
            "RABBITMQ_PID_FILE": str(base / "pid"),
        }

    @property
    def url(self) -> str:
        """AMQP URL of the node's default vhost."""
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    @property
    def management_url(self) -> str:
        """Management API URL (with credentials), when started with management."""
        if self.management_port is None:
            raise ValueError("this node was started without the management plugin")
        return f"http://guest:guest@127.0.0.1:{self.management_port}"

    def _ctl(self, *args: str, timeout: float = 90) -> None:
        subprocess.run([str(RABBITMQ_BIN / "rabbitmqctl"), "-n", self.node, *args],
                       env=self.env, check=True, capture_output=True, timeout=timeout)

    def start(self) -> None:
        """Start the node and wait until the broker accepts connections."""
        subprocess.run([str(RABBITMQ_BIN / "rabbitmq-server"), "-detached"], env=self.env,
                       check=True, capture_output=True, timeout=30)
        self._ctl("wait", str(self.base / "pid"), "--timeout", "60")

    def stop_broker(self) -> None:
        """Stop the broker application: every connection drops, the node stays up."""
        self._ctl("stop_app")

    def start_broker(self) -> None:
        """Start the broker application again."""
        self._ctl("start_app")

    def stop(self) -> None:
        """Stop the node (idempotent)."""
        try:
            self._ctl("stop", timeout=60)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            subprocess.run(["pkill", "-9", "-f", self.node], check=False)


@contextmanager
def private_rabbitmq(*, management: bool = False) -> Iterator[PrivateRabbitMQ]:
    """A running private node, stopped and deleted afterwards (fails if RabbitMQ is absent)."""
    if not (RABBITMQ_BIN / "rabbitmq-server").exists():
        pytest.fail(f"RabbitMQ is not installed at {RABBITMQ_BIN} "
                    "(set KERJASAMA_TEST_RABBITMQ_BIN)")
    base = Path(tempfile.mkdtemp(prefix="kerjasama-rabbitmq-"))
    node = PrivateRabbitMQ(base, management=management)
    try:
        node.start()
        yield node
    finally:
        node.stop()
        shutil.rmtree(base, ignore_errors=True)
