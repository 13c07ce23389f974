"""Every metric the alert rules and the Grafana dashboard query exists where it is scraped.

The three services run as real processes (``python -m services.<name>``), each logging
in to the broker as its own least-privilege user of deploy/rabbitmq/definitions.json
(loaded into a fresh vhost), on fresh databases. A work program, a proposal and a sign
flow drive traffic through agreements → relay → both consumers → kpi.updated. Then:

- a ``kerjasama_*`` metric must be in some service's ``/metrics`` (its HELP/TYPE lines
  at least), and where samples exist, every label a query matches on must be on them;
- a ``rabbitmq_*`` metric must be on the real broker's Prometheus endpoint, scraped with
  the same path and parameters as deploy/prometheus/prometheus.yml;
- ``up`` is Prometheus' own series of each scrape target.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

import httpx
import pytest
import yaml

from tests.auth import auth_headers
from tests.conftest import MANAGEMENT_URL, DatabaseUrlFactory
from tests.integration.agreements.conftest import SIGN_BODY, propose_body
from tests.integration.deploy.conftest import LoadedDefinitions
from tests.private_rabbitmq import free_port
from tests.unit.test_deploy_monitoring import alert_rules, dashboard_queries, queried_metrics

ROOT = Path(__file__).resolve().parents[3]
PROMETHEUS_CONFIG = ROOT / "deploy" / "prometheus" / "prometheus.yml"
BROKER_METRICS = os.environ.get(
    "KERJASAMA_TEST_RABBITMQ_PROMETHEUS_URL",
    f"http://{urlsplit(MANAGEMENT_URL).hostname or '127.0.0.1'}:15692")
SERVICES = ("agreements", "notifications", "reporting")
HISTOGRAM_SUFFIXES = ("_bucket", "_count", "_sum")
SELECTOR = re.compile(r"\b((?:kerjasama|rabbitmq)_[a-z0-9_]+)\{([^}]*)\}")
MATCHER = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)")


@dataclass
class Exposition:
    """What one /metrics page shows: metric names, and label names per sample name."""

    names: set[str]
    labels: dict[str, set[str]]


def parse(text: str) -> Exposition:
    names: set[str] = set()
    labels: dict[str, set[str]] = {}
    for line in text.splitlines():
        if line.startswith(("# HELP ", "# TYPE ")):
            names.add(line.split()[2])
        elif line and not line.startswith("#"):
            found = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?", line)
            assert found is not None, line
            names.add(found.group(1))
            labels.setdefault(found.group(1), set()).update(
                re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="', found.group(2) or ""))
    return Exposition(names, labels)


def merge(expositions: list[Exposition]) -> Exposition:
    merged = Exposition(set(), {})
    for e in expositions:
        merged.names |= e.names
        for name, labels in e.labels.items():
            merged.labels.setdefault(name, set()).update(labels)
    return merged


def family(name: str, exposition: Exposition) -> bool:
    return name in exposition.names or any(
        name.endswith(s) and name.removesuffix(s) in exposition.names for s in HISTOGRAM_SUFFIXES)


def selectors() -> list[tuple[str, set[str]]]:
    """(metric, label names matched on) of every selector in the rules and the dashboard."""
    texts = [r["expr"] for r in alert_rules()] + dashboard_queries()
    return [(m.group(1), set(MATCHER.findall(m.group(2))))
            for text in texts for m in SELECTOR.finditer(text)]


@pytest.fixture(scope="module")
async def running_services(
    loaded_definitions: LoadedDefinitions, database_url_factory: DatabaseUrlFactory,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[dict[str, str]]:
    """The three services as processes, each as its own broker user; their base URLs."""
    logs = tmp_path_factory.mktemp("services")
    ports = {name: free_port() for name in SERVICES}
    base = {k: v for k, v in os.environ.items() if not k.startswith("KERJASAMA_")}
    processes: dict[str, asyncio.subprocess.Process] = {}
    files: list[IO[bytes]] = []
    try:
        for name in SERVICES:
            env = {
                **base, "PYTHONUNBUFFERED": "1",
                "KERJASAMA_AUTH_DEV_KEY_FILE": os.environ["KERJASAMA_AUTH_DEV_KEY_FILE"],
                "KERJASAMA_ENVIRONMENT": "development",
                "KERJASAMA_AMQP_URL": loaded_definitions.amqp_url(name.upper()),
                "KERJASAMA_RABBITMQ_MANAGEMENT_URL":
                    loaded_definitions.management_url(name.upper()),
                f"KERJASAMA_{name.upper()}_DATABASE_URL": await database_url_factory(name),
                f"KERJASAMA_{name.upper()}_PORT": str(ports[name]),
                "KERJASAMA_AGREEMENTS_URL": f"http://127.0.0.1:{ports['agreements']}",
                "KERJASAMA_SMTP_PORT": str(free_port()),  # nobody: sends fail and retry
                "KERJASAMA_REFRESH_AFTER_EVENTS_SECONDS": "0.1",
            }
            log = (logs / f"{name}.log").open("wb")
            files.append(log)
            processes[name] = await asyncio.create_subprocess_exec(
                sys.executable, "-m", f"services.{name}", env=env, cwd=ROOT,
                stdout=log, stderr=asyncio.subprocess.STDOUT)
        urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        for name, url in urls.items():
            why = await _wait_ready(url, processes[name])
            if why:
                log_text = (logs / f"{name}.log").read_text()[-3000:]
                pytest.fail(f"{name} is not ready ({why}):\n{log_text}")
        yield urls
    finally:
        for process in processes.values():
            if process.returncode is None:
                process.terminate()
        for process in processes.values():
            try:
                await asyncio.wait_for(process.wait(), 15)
            except TimeoutError:
                process.kill()
                await process.wait()
        for file in files:
            file.close()


async def _wait_ready(url: str, process: asyncio.subprocess.Process,
                      seconds: float = 30.0) -> str | None:
    """None once ``url`` answers /readyz with 200; else why not."""
    why = "no answer"
    async with httpx.AsyncClient(headers=auth_headers(), timeout=2.0, trust_env=False) as client:
        for _ in range(int(seconds * 10)):
            if process.returncode is not None:
                return f"exited with status {process.returncode}"
            try:
                answer = await client.get(f"{url}/readyz")
            except httpx.HTTPError as exc:
                why = repr(exc)
            else:
                if answer.status_code == 200:
                    return None
                why = answer.text
            await asyncio.sleep(0.1)
    return why


async def _drive_traffic(client: httpx.AsyncClient, urls: dict[str, str]) -> None:
    agreements = urls["agreements"]
    answer = await client.post(f"{agreements}/work-programs/2021",
                               json={"realization_target": 80, "effectiveness_target": 60})
    assert answer.status_code in (200, 201), answer.text
    answer = await client.post(f"{agreements}/agreements", json=propose_body())
    assert answer.status_code == 201, answer.text
    aid = answer.json()["id"]
    for action, body in (("review", None), ("draft", {"note": "Draf 1"}),
                         ("discuss", {"held_on": "2021-03-02", "summary": "Sepakat",
                                      "outcome": "AGREED"}), ("sign", SIGN_BODY)):
        answer = await client.post(f"{agreements}/agreements/{aid}/{action}", json=body)
        assert answer.status_code == 200, answer.text
    refused = await client.post(f"{agreements}/agreements/{aid}/review")
    assert refused.status_code == 409  # a refused command, counted too


async def _scrape(client: httpx.AsyncClient, url: str) -> Exposition:
    answer = await client.get(url)
    assert answer.status_code == 200, f"{url}: {answer.status_code}"
    return parse(answer.text)


async def test_every_metric_the_rules_and_the_dashboard_query_exists(
    running_services: dict[str, str], loaded_definitions: LoadedDefinitions
) -> None:
    urls = running_services
    async with httpx.AsyncClient(headers=auth_headers(), timeout=5.0, trust_env=False) as client:
        await _drive_traffic(client, urls)
        services = Exposition(set(), {})
        for _ in range(100):  # until the events went through both consumers and the KPIs
            services = merge([await _scrape(client, f"{u}/metrics") for u in urls.values()])
            if ("kerjasama_messages_total" in services.labels
                    and "kerjasama_kpi_value" in services.labels
                    and "kerjasama_consumer_lag_seconds" in services.labels
                    and "kerjasama_notifications_attempt_errors_total" in services.labels):
                break
            await asyncio.sleep(0.2)

        jobs = {j["job_name"]: j for j in
                yaml.safe_load(PROMETHEUS_CONFIG.read_text())["scrape_configs"]}
        for _ in range(150):  # the broker's statistics of a new vhost come every few seconds
            broker_pages = []
            for job in ("rabbitmq", "rabbitmq-queues"):
                params = {k: list(v) for k, v in jobs[job].get("params", {}).items()}
                if "vhost" in params:
                    params["vhost"] = [loaded_definitions.vhost]  # the test's kerjasama
                answer = await client.get(
                    BROKER_METRICS + jobs[job].get("metrics_path", "/metrics"), params=params)
                assert answer.status_code == 200
                broker_pages.append(parse(answer.text))
            broker = merge(broker_pages)
            if "rabbitmq_detailed_queue_messages" in broker.labels:
                break
            await asyncio.sleep(0.2)

    missing = []
    for name in sorted(queried_metrics()):
        if name == "up":
            continue  # Prometheus' own series per target (jobs of prometheus.yml)
        where = broker if name.startswith("rabbitmq_") else services
        if not family(name, where):
            missing.append(name)
    assert not missing, f"queried but exposed nowhere: {missing}"
    # The queues of the test vhost are on the per-queue page: the dead-letter queries work.
    assert "rabbitmq_detailed_queue_messages" in broker.labels
    assert {"queue", "vhost"} <= broker.labels["rabbitmq_detailed_queue_messages"]

    unlabelled = []
    for name, matched in selectors():
        where = broker if name.startswith("rabbitmq_") else services
        have = where.labels.get(name)
        if have is not None and not matched <= have:
            unlabelled.append((name, sorted(matched - have)))
    assert not unlabelled, f"queries match on labels the metrics lack: {unlabelled}"
    for name in ("kerjasama_agreements_commands_total", "kerjasama_messages_total",
                 "kerjasama_consumer_lag_seconds", "kerjasama_kpi_value",
                 "kerjasama_relay_published_total"):
        assert name in services.labels, f"no samples of {name}: the traffic did not get through"
