"""deploy/k8s builds with kustomize into Deployments the services can run from.

The manifests are built with ``kubectl kustomize`` (or ``kustomize build``); the output is
then checked like a cluster would use it: every ConfigMap and Secret key a container refers
to exists, ``$(VAR)`` references are expanded as Kubernetes expands them, and the resulting
environment is validated by the service's own settings class.
"""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
import yaml

from deploy.rabbitmq import definitions as defs
from plumbing.urls import vhost_of
from tests.unit.test_deploy_compose import DEFAULT_PORTS, check_service_environment

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
NAMESPACED = {"ConfigMap", "Secret", "Deployment", "Service", "PodDisruptionBudget"}


def kustomize(path: Path) -> list[dict[str, Any]]:
    if kubectl := shutil.which("kubectl"):
        command = [kubectl, "kustomize", str(path)]
    elif standalone := shutil.which("kustomize"):
        command = [standalone, "build", str(path)]
    else:
        pytest.fail("neither kubectl nor kustomize is installed: install kubectl (it has "
                    "kustomize built in) to build deploy/k8s")
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def by_kind(objects: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def container_environment(objects: list[dict[str, Any]],
                          container: dict[str, Any]) -> dict[str, str]:
    """The container's environment as the kubelet builds it (envFrom, env, then $(VAR))."""
    maps = {name: o.get("data", {}) for name, o in by_kind(objects, "ConfigMap").items()}
    secrets = {name: {k: base64.b64decode(v).decode() for k, v in o.get("data", {}).items()}
               for name, o in by_kind(objects, "Secret").items()}
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        name = source["configMapRef"]["name"]
        assert name in maps, f"envFrom names a missing ConfigMap {name}"
        env.update(maps[name])
    for item in container.get("env", []):
        if "value" in item:
            value = re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)",
                           lambda m: env.get(m.group(1), m.group(0)), item["value"])
            assert "$(" not in value, f"{item['name']} refers to an undefined variable"
        else:
            ref = item["valueFrom"]
            kind, store = (("configMapKeyRef", maps) if "configMapKeyRef" in ref
                           else ("secretKeyRef", secrets))
            name, key = ref[kind]["name"], ref[kind]["key"]
            assert name in store, f"{item['name']}: no {kind} object {name}"
            assert key in store[name], f"{item['name']}: {name} has no key {key}"
            value = store[name][key]
        env[item["name"]] = value
    return env


@pytest.fixture(scope="module")
def base() -> list[dict[str, Any]]:
    return kustomize(K8S / "base")


@pytest.fixture(scope="module")
def example() -> list[dict[str, Any]]:
    return kustomize(K8S / "overlays" / "example")


@pytest.mark.parametrize("service", sorted(DEFAULT_PORTS))
def test_each_service_is_a_deployment_with_probes_on_healthz_and_readyz(
    base: list[dict[str, Any]], service: str
) -> None:
    deployment = by_kind(base, "Deployment")[service]
    pod = deployment["spec"]["template"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= pod["metadata"][
        "labels"].items()
    [container] = pod["spec"]["containers"]
    assert container["args"] == [f"services.{service}"]
    assert container["image"] == "kerjasama:0.1.0"
    [port] = container["ports"]
    assert port["containerPort"] == DEFAULT_PORTS[service]
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert pod["metadata"]["annotations"]["prometheus.io/port"] == str(port["containerPort"])
    [svc_port] = by_kind(base, "Service")[service]["spec"]["ports"]
    assert (svc_port["port"], svc_port["targetPort"]) == (DEFAULT_PORTS[service], "http")
    assert service in by_kind(base, "PodDisruptionBudget")


def test_consumers_run_several_replicas(base: list[dict[str, Any]],
                                        example: list[dict[str, Any]]) -> None:
    for objects in (base, example):
        deployments = by_kind(objects, "Deployment")
        for service in ("notifications", "reporting"):
            assert deployments[service]["spec"]["replicas"] >= 2
        assert deployments["agreements"]["spec"]["replicas"] >= 2  # the relay lock is shared
    assert by_kind(example, "Deployment")["reporting"]["spec"]["replicas"] == 4


@pytest.mark.parametrize("service", sorted(DEFAULT_PORTS))
def test_the_overlay_points_each_service_at_the_named_cluster_with_its_own_user(
    example: list[dict[str, Any]], service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    [container] = by_kind(example, "Deployment")[service]["spec"]["template"]["spec"][
        "containers"]
    assert container["image"] == "registry.example.go.id/jabarprov/kerjasama:0.1.0"
    env = container_environment(example, container)
    settings: Any = check_service_environment(service, env, monkeypatch)
    params = next(o["data"] for o in example if o["kind"] == "ConfigMap"
                  and o["metadata"]["name"].startswith("kerjasama-params"))
    amqp = urlsplit(settings.amqp_url)
    assert amqp.hostname == params["RABBITMQ_HOST"] == (
        "kerjasama-rabbitmq.rabbitmq-system.svc.cluster.local")
    assert vhost_of(settings.amqp_url) == defs.VHOST
    assert unquote(amqp.username or "") == f"kerjasama-{service}"
    assert amqp.password == f"example-{service}-amqp"
    assert urlsplit(settings.rabbitmq_management_url).hostname == params["RABBITMQ_HOST"]
    database = urlsplit(getattr(settings, f"{service}_database_url"))
    assert database.hostname == params["POSTGRES_HOST"]
    assert (database.username, database.password) == (f"kerjasama_{service}",
                                                     f"example-{service}-db")
    assert settings.http_port == DEFAULT_PORTS[service]
    if service == "notifications":
        assert settings.smtp_host == params["SMTP_HOST"] == "smtp.jabarprov.go.id"


def test_the_base_logs_in_nowhere_until_an_overlay_gives_credentials(
    base: list[dict[str, Any]], example: list[dict[str, Any]]
) -> None:
    def passwords(objects: list[dict[str, Any]]) -> set[str]:
        return {base64.b64decode(v).decode() for o in objects if o["kind"] == "Secret"
                for v in o["data"].values()}

    assert passwords(base) == {"CHANGE-ME"}
    assert "CHANGE-ME" not in passwords(example)


def test_the_overlay_puts_everything_in_its_namespace(example: list[dict[str, Any]]) -> None:
    for o in example:
        if o["kind"] in NAMESPACED:
            assert o["metadata"]["namespace"] == "kerjasama", o["metadata"]["name"]
    assert "kerjasama" in by_kind(example, "Namespace")
