"""Alert rules and the Grafana dashboard of deploy/: valid PromQL, rules that fire as meant.

promtool (Debian's prometheus package, installed by scripts/setup) checks the rules, runs
their unit tests (deploy/prometheus/alerts.test.yml) and parses every dashboard query.
Whether the metrics they query exist is shown against the running services in
tests/integration/deploy/test_metrics_exist.py.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"
DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "kerjasama.json"
OPERATIONS = ROOT / "docs" / "operations.md"
METRIC = re.compile(r"\b(?:kerjasama|rabbitmq)_[a-z0-9_]+\b|\bup\b(?=\{)")
DASHBOARD_VARIABLES = {"$year": "2021", "$scope": "province"}


def alert_rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def dashboard_queries() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    queries = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    queries += [v["query"]["query"] for v in dashboard["templating"]["list"]]
    return queries


def queried_metrics() -> set[str]:
    """Every metric name the alert rules and the dashboard query."""
    texts = [rule["expr"] for rule in alert_rules()] + dashboard_queries()
    return {name for text in texts for name in METRIC.findall(text)}


def promtool(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    tool = shutil.which("promtool")
    if tool is None:
        pytest.fail("promtool is missing: run scripts/setup as root (it installs Debian's "
                    "prometheus package) or apt-get install prometheus")
    return subprocess.run([tool, *args], cwd=cwd, capture_output=True, text=True, timeout=60)


def test_alert_rules_pass_promtool() -> None:
    result = promtool("check", "rules", str(PROMETHEUS / "alerts.yml"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_alert_rules_fire_when_meant_and_stay_quiet_otherwise() -> None:
    result = promtool("test", "rules", "alerts.test.yml", cwd=PROMETHEUS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_alerts_the_issue_asks_for_exist_and_are_unit_tested() -> None:
    tested = set(re.findall(r"alertname: (\w+)", (PROMETHEUS / "alerts.test.yml").read_text()))
    names = {rule["alert"] for rule in alert_rules()}
    required = {"DeadLettersPresent", "OutboxBacklogGrowing", "ConsumerLagHigh", "ServiceDown",
                "NotificationsFailed", "StreamsParked"}
    assert required <= names
    assert required <= tested


def test_prometheus_configuration_is_valid() -> None:
    result = promtool("check", "config", "--syntax-only", str(PROMETHEUS / "prometheus.yml"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_dashboard_query_is_valid_promql(tmp_path: Path) -> None:
    rules = []
    for number, query in enumerate(dashboard_queries()):
        for variable, value in DASHBOARD_VARIABLES.items():
            query = query.replace(variable, value)
        if query.startswith("label_values("):  # a Grafana function: check its selector
            query = query.removeprefix("label_values(").rsplit(",", 1)[0]
        rules.append({"record": f"dashboard:query_{number}", "expr": query})
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    result = promtool("check", "rules", str(path))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_dashboard_shows_what_operators_watch() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    titles = " | ".join(p["title"].lower() for p in dashboard["panels"])
    for wanted in ("kpis against targets", "commands per second", "events per second",
                   "consumer lag", "dead-letter depth", "outbox backlog",
                   "notification failures"):
        assert wanted in titles
    metrics = queried_metrics()
    assert {"kerjasama_kpi_value", "kerjasama_kpi_target", "kerjasama_kpi_achievement"} <= metrics


def test_every_alert_names_a_runbook_section_that_exists() -> None:
    headings = set(re.findall(r"^#+ (.+)$", OPERATIONS.read_text(), re.M))
    for rule in alert_rules():
        found = re.search(r"Runbook: docs/operations\.md, ([^.]+)\.",
                          rule["annotations"]["description"])
        assert found, rule["alert"]
        assert found.group(1) in headings, f"{rule['alert']}: no section {found.group(1)!r}"
