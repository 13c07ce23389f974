"""deploy/k8s builds with kustomize into Deployments the services can run from.

The manifests are built with ``kubectl kustomize`` (or ``kustomize build``); the output is
then checked like a cluster would use it: every ConfigMap and Secret key a container refers
to exists, ``$(VAR)`` references are expanded as Kubernetes expands them, and the resulting
environment is validated by the service's own settings class. The example overlay is built
from a copy of deploy/k8s with the secrets an operator makes (``kerjasama keys init`` and a
credentials.env of fresh passwords): the repository holds none.
"""

from __future__ import annotations

import base64
import re
import secrets
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
import yaml

from deploy.rabbitmq import definitions as defs
from plumbing.agreements_client import agreements_token_from
from plumbing.auth import authenticator_from
from plumbing.settings import ConsumerSettings
from plumbing.tracing import exporters_wanted
from plumbing.urls import vhost_of
from services.agreements.adapters.checkpointer import checkpoint_signer_from
from services.cli import main as cli
from services.notifications.adapters.secret_box import secret_box_from
from tests.unit.test_deploy_compose import DEFAULT_PORTS, check_service_environment

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
NAMESPACED = {"ConfigMap", "Secret", "Deployment", "Service", "PodDisruptionBudget"}
CREDENTIALS = ["AGREEMENTS_AMQP_PASSWORD", "NOTIFICATIONS_AMQP_PASSWORD", "REPORTING_AMQP_PASSWORD",
               "PORTAL_AMQP_PASSWORD", "AGREEMENTS_DATABASE_PASSWORD",
               "NOTIFICATIONS_DATABASE_PASSWORD", "REPORTING_DATABASE_PASSWORD",
               "PORTAL_DATABASE_PASSWORD"]
SECRETS = {"kerjasama-credentials", "kerjasama-agreements-owner", "kerjasama-auth",
           "kerjasama-agreements-auth",
           "kerjasama-notifications-auth", "kerjasama-reporting-auth", "kerjasama-portal-auth"}
OWNER_PASSWORD = "AGREEMENTS_OWNER_DATABASE_PASSWORD"


def build(path: Path) -> subprocess.CompletedProcess[str]:
    if kubectl := shutil.which("kubectl"):
        command = [kubectl, "kustomize", str(path)]
    elif standalone := shutil.which("kustomize"):
        command = [standalone, "build", str(path)]
    else:
        pytest.fail("neither kubectl nor kustomize is installed: install kubectl (it has "
                    "kustomize built in) to build deploy/k8s")
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def kustomize(path: Path) -> list[dict[str, Any]]:
    result = build(path)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def copy_of_k8s(tmp: Path) -> Path:
    """deploy/k8s as committed (without any secrets/ an operator made in the working tree)."""
    shutil.copytree(K8S, tmp / "k8s", ignore=shutil.ignore_patterns("secrets"))
    return tmp / "k8s"


def make_secrets(overlay: Path) -> dict[str, str]:
    """What the operator makes (docs/operations.md): keys, and a password for each user."""
    assert cli(["keys", "init", str(overlay / "secrets")]) == 0
    (overlay / "secrets" / "notifications" / "webhook-secret-keys").write_text(
        base64.b64encode(secrets.token_bytes(32)).decode() + "\n")
    passwords = {name: secrets.token_urlsafe(24) for name in CREDENTIALS}
    (overlay / "secrets" / "credentials.env").write_text(
        "".join(f"{k}={v}\n" for k, v in passwords.items()))
    passwords[OWNER_PASSWORD] = secrets.token_urlsafe(24)
    (overlay / "secrets" / "agreements-owner.env").write_text(
        f"{OWNER_PASSWORD}={passwords[OWNER_PASSWORD]}\n")
    return passwords


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
        if "secretRef" in source:  # an optional Secret the operator may add
            assert source["secretRef"].get("optional") is True, source
            env.update(secrets.get(source["secretRef"]["name"], {}))
            continue
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
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict[str, Any]], dict[str, str]]:
    overlay = copy_of_k8s(tmp_path_factory.mktemp("k8s")) / "overlays" / "example"
    passwords = make_secrets(overlay)
    return kustomize(overlay), passwords


@pytest.fixture(scope="module")
def example(made: tuple[list[dict[str, Any]], dict[str, str]]) -> list[dict[str, Any]]:
    return made[0]


def mounted_files(objects: list[dict[str, Any]], pod: dict[str, Any],
                  container: dict[str, Any], root: Path) -> None:
    """Write the Secret volumes a container mounts under ``root``, as the kubelet would."""
    secrets_by_name = by_kind(objects, "Secret")
    volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
    for mount in container.get("volumeMounts", []):
        source = volumes[mount["name"]].get("secret")
        if source is None:
            continue
        data = secrets_by_name[source["secretName"]]["data"]
        items = source.get("items") or [{"key": k, "path": k} for k in data]
        for item in items:
            target = root / mount["mountPath"].lstrip("/") / item["path"]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(base64.b64decode(data[item["key"]]))


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
    example: list[dict[str, Any]], made: tuple[list[dict[str, Any]], dict[str, str]],
    service: str, monkeypatch: pytest.MonkeyPatch
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
    passwords = made[1]
    assert amqp.password == passwords[f"{service.upper()}_AMQP_PASSWORD"]
    assert urlsplit(settings.rabbitmq_management_url).hostname == params["RABBITMQ_HOST"]
    database = urlsplit(getattr(settings, f"{service}_database_url"))
    assert database.hostname == params["POSTGRES_HOST"]
    assert (database.username, database.password) == (
        f"kerjasama_{service}", passwords[f"{service.upper()}_DATABASE_PASSWORD"])
    assert settings.http_port == DEFAULT_PORTS[service]
    if service == "notifications":
        assert settings.smtp_host == params["SMTP_HOST"] == "smtp.jabarprov.go.id"
    assert exporters_wanted(env) == ["otlp"]  # its traces go to the cluster's collector
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector.observability:4318"


def secret_references(objects: list[dict[str, Any]]) -> set[str]:
    names = set()
    for deployment in by_kind(objects, "Deployment").values():
        pod = deployment["spec"]["template"]["spec"]
        names |= {v["secret"]["secretName"] for v in pod["volumes"] if "secret" in v}
        for container in pod["containers"] + pod.get("initContainers", []):
            for item in container.get("env", []):
                ref = item.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert not ref.get("optional"), item["name"]
                    names.add(ref["name"])
    return names


def test_the_base_holds_no_secret_and_needs_the_operators(base: list[dict[str, Any]]) -> None:
    assert not by_kind(base, "Secret")
    assert secret_references(base) == SECRETS


def test_the_overlay_does_not_build_without_the_operators_secrets(tmp_path: Path) -> None:
    result = build(copy_of_k8s(tmp_path) / "overlays" / "example")
    assert result.returncode != 0
    assert "secrets/credentials.env" in result.stderr


def test_no_deployment_takes_a_credential_from_the_repository() -> None:
    tracked = subprocess.run(["git", "ls-files", "deploy"], cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout.split()
    looks_secret = re.compile(r"(dev-key|\.jwk|jwks\.json|credentials\.env|token|\.pem|\.key)$")
    assert not [p for p in tracked if looks_secret.search(p)]
    for kustomization in K8S.rglob("kustomization.yaml"):
        document = yaml.safe_load(kustomization.read_text())
        for generator in document.get("secretGenerator", []):
            for source in generator.get("files", []) + generator.get("envs", []):
                path = kustomization.parent / source.split("=")[-1]
                ignored = subprocess.run(["git", "check-ignore", "-q", str(path)], cwd=ROOT)
                assert ignored.returncode == 0, f"{path} could be committed"


def test_each_pod_finds_its_keys_and_the_consumers_tokens_are_accepted(
    example: list[dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings: dict[str, Any] = {}
    for service in sorted(DEFAULT_PORTS):
        pod = by_kind(example, "Deployment")[service]["spec"]["template"]
        [container] = pod["spec"]["containers"]
        root = tmp_path / service
        mounted_files(example, pod, container, root)
        env = container_environment(example, container)
        for variable in ("KERJASAMA_AUTH_JWKS_FILE", "KERJASAMA_AGREEMENTS_SIGNING_KEY_FILE",
                         "KERJASAMA_WEBHOOK_SECRET_KEYS_FILE", "KERJASAMA_CHECKPOINT_KEY_FILE"):
            if variable in env:
                env[variable] = str(root / env[variable].lstrip("/"))
        settings[service] = check_service_environment(service, env, monkeypatch)
        assert not settings[service].development
        authenticator_from(settings[service])
    assert not (tmp_path / "agreements" / "etc" / "kerjasama" / "service").exists()
    secret_box_from(settings["notifications"])  # the webhook secrets' keys, outside development
    checkpoint_signer_from(settings["agreements"])  # one checkpoint key for every replica
    agreements = authenticator_from(settings["agreements"])
    for service in ("notifications", "reporting"):
        consumer: ConsumerSettings = settings[service]
        principal = agreements.verify(agreements_token_from(consumer, service)())
        assert (principal.subject, principal.roles) == (f"service:{service}", {"reporting"})


def test_the_overlay_puts_everything_in_its_namespace(example: list[dict[str, Any]]) -> None:
    for o in example:
        if o["kind"] in NAMESPACED:
            assert o["metadata"]["namespace"] == "kerjasama", o["metadata"]["name"]
    assert "kerjasama" in by_kind(example, "Namespace")


def test_agreements_is_migrated_by_the_owner_of_its_event_tables_in_an_init_container(
        made: tuple[list[dict[str, Any]], dict[str, str]]) -> None:
    """docs/domain.md#boundaries: the owner's password reaches the migrate step only, never the
    service."""
    objects, passwords = made
    pod = by_kind(objects, "Deployment")["agreements"]["spec"]["template"]["spec"]
    [migrate] = pod["initContainers"]
    assert migrate["args"] == ["services.cli", "migrate"]
    assert migrate["image"] == "registry.example.go.id/jabarprov/kerjasama:0.1.0"
    env = container_environment(objects, migrate)
    owner = urlsplit(env["KERJASAMA_AGREEMENTS_OWNER_DATABASE_URL"])
    assert (owner.username, owner.password, owner.path) == (
        "kerjasama_agreements_owner", passwords[OWNER_PASSWORD], "/kerjasama_agreements")
    assert env["KERJASAMA_AGREEMENTS_RUNTIME_ROLE"] == "kerjasama_agreements"
    for deployment in by_kind(objects, "Deployment").values():
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            values = container_environment(objects, container).values()
            assert not any(passwords[OWNER_PASSWORD] in v for v in values), container["name"]
