"""The RabbitMQ files of the compose stack boot a real 3.10 node as the container would.

A private node (its own ports, data and cookie; never the shared broker) starts with
deploy/rabbitmq/rabbitmq.conf, enabled_plugins and definitions.json, only the listener
ports moved to free ones: the configuration keys are valid for this RabbitMQ, the
plugins start, and the definitions are loaded at boot (vhost, queues, users).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import httpx
import pytest

from deploy.rabbitmq import definitions as defs
from tests.private_rabbitmq import RABBITMQ_BIN, PrivateRabbitMQ, free_port

DEPLOY_RABBITMQ = Path(defs.__file__).parent


def test_the_compose_broker_configuration_boots_and_loads_the_definitions() -> None:
    if not (RABBITMQ_BIN / "rabbitmq-server").exists():
        pytest.fail(f"RabbitMQ is not installed at {RABBITMQ_BIN} "
                    "(set KERJASAMA_TEST_RABBITMQ_BIN)")
    base = Path(tempfile.mkdtemp(prefix="kerjasama-rabbitmq-boot-"))
    node = PrivateRabbitMQ(base)
    shutil.copy(DEPLOY_RABBITMQ / "enabled_plugins", base / "enabled_plugins")
    shutil.copy(DEPLOY_RABBITMQ / "definitions.json", base / "definitions.json")
    config = (DEPLOY_RABBITMQ / "rabbitmq.conf").read_text()
    assert "load_definitions = /etc/rabbitmq/definitions.json" in config
    management, prometheus = free_port(), free_port()
    (base / "rabbitmq.conf").write_text(
        config.replace("/etc/rabbitmq/definitions.json", str(base / "definitions.json"))
        + f"\nmanagement.tcp.port = {management}\nmanagement.tcp.ip = 127.0.0.1\n"
        f"prometheus.tcp.port = {prometheus}\nprometheus.tcp.ip = 127.0.0.1\n")
    try:
        node.start()
        listed = subprocess.run(
            [str(RABBITMQ_BIN / "rabbitmqctl"), "-n", node.node, "list_queues", "-p",
             defs.VHOST, "-q", "--no-table-headers", "name", "type"],
            env=node.env, check=True, capture_output=True, text=True, timeout=60).stdout
        queues = dict(line.split("\t") for line in listed.strip().splitlines())
        assert set(queues) == {q["name"] for q in defs.build()["queues"]}
        assert set(queues.values()) == {"quorum"}
        admin = defs.user("ADMIN")
        overview = httpx.get(f"http://127.0.0.1:{management}/api/whoami",
                             auth=(admin.name, admin.dev_password), timeout=10)
        assert overview.status_code == 200 and overview.json()["name"] == admin.name
        metrics = httpx.get(f"http://127.0.0.1:{prometheus}/metrics", timeout=10)
        assert metrics.status_code == 200 and "rabbitmq_identity_info" in metrics.text
    finally:
        node.stop()
        shutil.rmtree(base, ignore_errors=True)
