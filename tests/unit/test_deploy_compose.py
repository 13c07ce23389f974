"""The compose stack of deploy/ against what the services read and what the image holds.

No Docker engine runs here (and no compose plugin), so the file is parsed with PyYAML and
checked against the code itself: the settings classes (which variables each service
reads, and whether the given values validate), the broker definitions (users, passwords,
vhost), the PostgreSQL roles, the Dockerfile and the Prometheus targets.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
import yaml
from pydantic_settings import BaseSettings

from deploy.rabbitmq import definitions as defs
from plumbing.clock import CLOCK_ENV, CLOCK_FILE_ENV
from plumbing.settings import env_name, load_settings
from plumbing.urls import vhost_of
from services.agreements.settings import AgreementsSettings
from services.notifications.settings import NotificationsSettings
from services.reporting.settings import ReportingSettings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
SETTINGS: dict[str, type[BaseSettings]] = {
    "agreements": AgreementsSettings,
    "notifications": NotificationsSettings,
    "reporting": ReportingSettings,
}
DEFAULT_PORTS = {"agreements": 8001, "notifications": 8002, "reporting": 8003}


def variables_read(cls: type[BaseSettings]) -> set[str]:
    """Every environment variable a service reads: its settings' fields and the clock's."""
    return {env_name(cls, name) for name in cls.model_fields} | {CLOCK_ENV, CLOCK_FILE_ENV}


def check_service_environment(service: str, env: dict[str, str],
                              monkeypatch: pytest.MonkeyPatch) -> BaseSettings:
    """Every KERJASAMA_* variable is one the service reads, and together they validate."""
    cls = SETTINGS[service]
    ours = {k: v for k, v in env.items() if k.startswith("KERJASAMA_")}
    unknown = set(ours) - variables_read(cls)
    assert not unknown, f"{service} does not read {sorted(unknown)}"
    for name in [n for n in os.environ if n.startswith("KERJASAMA_")]:
        monkeypatch.delenv(name)
    for name, value in ours.items():
        monkeypatch.setenv(name, value)
    settings = load_settings(cls)  # raises ConfigError naming each bad variable
    assert settings.http_host == "0.0.0.0", f"{service} must listen on every interface"
    return settings


def load_compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return document


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


def roles_in_init_sql() -> dict[str, str]:
    text = (DEPLOY / "postgres" / "10-kerjasama-roles.sql").read_text()
    return dict(re.findall(r"CREATE ROLE (\w+) LOGIN CREATEDB PASSWORD '([^']*)'", text))


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_compose()


def test_compose_runs_the_whole_stack_on_the_pinned_servers(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"rabbitmq", "postgres", "agreements", "notifications", "reporting",
                             "mailcatcher", "prometheus", "grafana", "auth-init"}
    assert services["rabbitmq"]["image"] == "rabbitmq:3.10-management"
    assert services["postgres"]["image"] == "postgres:15"
    for name, service in services.items():
        assert ":" in service["image"] and not service["image"].endswith(":latest"), name
    plugins = (DEPLOY / "rabbitmq" / "enabled_plugins").read_text()
    assert plugins.strip() == "[rabbitmq_management,rabbitmq_prometheus]."
    config = (DEPLOY / "rabbitmq" / "rabbitmq.conf").read_text()
    mounts = services["rabbitmq"]["volumes"]
    loaded = re.search(r"^load_definitions = (\S+)$", config, re.M)
    assert loaded is not None
    assert f"./rabbitmq/definitions.json:{loaded.group(1)}:ro" in mounts
    assert any(m.startswith("./rabbitmq/rabbitmq.conf:/etc/rabbitmq/conf.d/") for m in mounts)


def test_every_file_the_compose_stack_mounts_exists(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for mount in service.get("volumes", []):
            source = mount.split(":", 1)[0]
            if source.startswith("."):
                assert (DEPLOY / source).exists(), f"{name} mounts missing {source}"
        if "build" in service:
            context = (DEPLOY / service["build"]["context"]).resolve()
            assert context == ROOT
            assert (context / service["build"]["dockerfile"]).is_file()


@pytest.mark.parametrize("service", sorted(SETTINGS))
def test_each_service_container_is_configured_with_variables_it_reads(
    compose: dict[str, Any], service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    container = compose["services"][service]
    assert container["image"] == compose["services"]["agreements"]["image"]  # one image
    assert container["command"] == [f"services.{service}"]
    assert (ROOT / "services" / service / "__main__.py").is_file()
    settings: Any = check_service_environment(service, environment(container), monkeypatch)

    port = settings.http_port
    assert port == DEFAULT_PORTS[service]
    assert f"127.0.0.1:{port}:{port}" in container["ports"]
    assert f"http://127.0.0.1:{port}/readyz" in " ".join(container["healthcheck"]["test"])

    amqp = urlsplit(settings.amqp_url)
    user = defs.USERS[[u.name for u in defs.USERS].index(f"kerjasama-{service}")]
    assert (amqp.hostname, amqp.port, vhost_of(settings.amqp_url)) == ("rabbitmq", 5672,
                                                                       defs.VHOST)
    assert unquote(amqp.username or "") == user.name
    hashes = {u["name"]: u["password_hash"] for u in defs.build()["users"]}
    assert defs.check_password(unquote(amqp.password or ""), hashes[user.name]), \
        "the AMQP password is not the one of deploy/rabbitmq/definitions.json"
    management = urlsplit(settings.rabbitmq_management_url)
    assert (management.hostname, management.port) == ("rabbitmq", 15672)
    assert (management.username, management.password) == (amqp.username, amqp.password)

    database = urlsplit(getattr(settings, f"{service}_database_url"))
    assert (database.hostname, database.port, database.path) == (
        "postgres", 5432, f"/kerjasama_{service}")
    assert roles_in_init_sql().get(database.username or "") == database.password, \
        "the database role or password is not the one of deploy/postgres"

    if service != "agreements":
        assert settings.agreements_url == "http://agreements:8001"


def test_notifications_send_email_to_the_mail_catcher(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings: Any = check_service_environment(
        "notifications", environment(compose["services"]["notifications"]), monkeypatch)
    assert settings.smtp_host == "mailcatcher"
    assert settings.smtp_port == 1025  # Mailpit's SMTP port
    assert compose["services"]["mailcatcher"]["image"].startswith("axllent/mailpit:")


def test_prometheus_scrapes_each_service_on_its_port_and_loads_the_alert_rules(
    compose: dict[str, Any]
) -> None:
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    for service, port in DEFAULT_PORTS.items():
        [sd] = jobs[f"kerjasama-{service}"]["dns_sd_configs"]
        assert (sd["names"], sd["port"]) == ([service], port)
    assert jobs["rabbitmq-queues"]["metrics_path"] == "/metrics/detailed"
    assert jobs["rabbitmq-queues"]["params"]["vhost"] == [defs.VHOST]
    mounts = compose["services"]["prometheus"]["volumes"]
    for rule_file in config["rule_files"]:
        assert f"./prometheus/{Path(rule_file).name}:{rule_file}:ro" in mounts


def test_grafana_provisions_the_prometheus_datasource_and_the_dashboard(
    compose: dict[str, Any]
) -> None:
    provisioning = DEPLOY / "grafana" / "provisioning"
    [source] = yaml.safe_load((provisioning / "datasources" / "prometheus.yaml").read_text())[
        "datasources"]
    assert source["url"] == "http://prometheus:9090"
    [provider] = yaml.safe_load((provisioning / "dashboards" / "kerjasama.yaml").read_text())[
        "providers"]
    mounts = compose["services"]["grafana"]["volumes"]
    assert f"./grafana/dashboards:{provider['options']['path']}:ro" in mounts
    assert "./grafana/provisioning:/etc/grafana/provisioning:ro" in mounts


def test_the_image_installs_the_locked_dependencies_and_runs_python_m() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "FROM python:3.11" in dockerfile
    assert "pip install --constraint constraints.txt ." in dockerfile
    assert 'ENTRYPOINT ["python", "-m"]' in dockerfile
    copied = set(re.findall(r"^COPY (?!--from)(.+) \S+$", dockerfile, re.M))
    sources = {part for line in copied for part in line.split()}
    assert {"pyproject.toml", "constraints.txt", "README.md", "contracts", "plumbing",
            "services"} <= sources
    allowed = {line[1:].rstrip("/") for line in (ROOT / ".dockerignore").read_text().split()
               if line.startswith("!")}
    assert sources <= allowed, "the Dockerfile copies what .dockerignore leaves out"


def test_the_installed_package_carries_every_data_file_the_services_read() -> None:
    """pip install . (in the image) ships package data only by pyproject's patterns."""
    import subprocess
    import tomllib
    from fnmatch import fnmatch

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = project["tool"]["setuptools"]["package-data"]["*"]
    tracked = subprocess.run(["git", "ls-files", "contracts", "plumbing", "services"], cwd=ROOT,
                             check=True, capture_output=True, text=True).stdout.split()
    data = [p for p in tracked if not p.endswith(".py") and Path(p).name != ".gitignore"]
    assert data, "no data files found"
    missing = [p for p in data if not any(fnmatch(Path(p).name, pat) for pat in patterns)]
    assert not missing, f"pyproject.toml package-data leaves out {missing}"


AUTH_FILES = ("KERJASAMA_AUTH_JWKS_FILE", "KERJASAMA_AGREEMENTS_SIGNING_KEY_FILE")


def named_mounts(service: dict[str, Any]) -> dict[str, tuple[str, bool]]:
    """Container path -> (named volume, read-only) of a service's volume mounts."""
    mounts = {}
    for mount in service.get("volumes", []):
        source, target, *mode = mount.split(":")
        if not source.startswith((".", "/")):
            mounts[target] = (source, mode == ["ro"])
    return mounts


def container_root(tmp: Path, name: str, service: dict[str, Any], volumes: Path) -> Path:
    """A directory standing for the container's file system: its named volumes, nothing else."""
    root = tmp / "containers" / name
    for target, (volume, _) in named_mounts(service).items():
        (volumes / volume).mkdir(parents=True, exist_ok=True)
        (root / target.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
        (root / target.lstrip("/")).symlink_to(volumes / volume)
    return root


def test_the_compose_stack_uses_no_development_key_and_declares_no_development(
        compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        env = environment(service)
        assert "KERJASAMA_AUTH_DEV_KEY_FILE" not in env, name
        assert env.get("KERJASAMA_ENVIRONMENT", "production") != "development", name
        assert not any(m.startswith("./auth") for m in service.get("volumes", [])), name
    assert not (DEPLOY / "auth").exists()


def test_the_keys_auth_init_makes_are_the_ones_each_service_uses(
        compose: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """auth-init runs as the container would (its command, its volumes); then each service
    finds its keys through its own mounts only, and the tokens check out."""
    from plumbing.auth import Authenticator
    from services.cli import main

    services, volumes = compose["services"], tmp_path / "volumes"
    init = services["auth-init"]
    assert init["image"] == services["agreements"]["image"] and init["restart"] == "no"
    for name in SETTINGS:
        assert services[name]["depends_on"]["auth-init"] == {
            "condition": "service_completed_successfully"}
    command = init["command"]
    assert command[:3] == ["services.cli", "keys", "init"]
    root = container_root(tmp_path, "auth-init", init, volumes)
    for _ in range(2):  # a restart keeps the keys
        assert main([*command[1:-1], str(root / command[-1].lstrip("/"))]) == 0
    assert capsys.readouterr().out.count("kept") == 3

    built: dict[str, Any] = {}
    for name in SETTINGS:
        mounts = named_mounts(services[name])
        assert all(read_only for _, read_only in mounts.values()), f"{name} may write keys"
        assert "auth-operator" not in {v for v, _ in mounts.values()}, name
        env = environment(services[name])
        root = container_root(tmp_path, name, services[name], volumes)
        for variable in AUTH_FILES:
            if variable in env:
                env[variable] = str(root / env[variable].lstrip("/"))
        built[name] = check_service_environment(name, env, monkeypatch)
        assert not built[name].development
    agreements = built["agreements"].authenticator()
    assert {v for v, _ in named_mounts(services["agreements"]).values()} == {"auth-public"}
    for name in ("notifications", "reporting"):
        token = built[name].agreements_token(name)()
        principal = agreements.verify(token)
        assert (principal.subject, principal.roles) == (f"service:{name}", {"reporting"})
        assert isinstance(built[name].authenticator(), Authenticator)

    operator_key = volumes / "auth-operator" / "operator.jwk"
    monkeypatch.setenv("KERJASAMA_AUTH_SIGNING_KEY_FILE", str(operator_key))
    assert main(["token", "--role", "tkksd"]) == 0
    assert agreements.verify(capsys.readouterr().out.strip()).roles == {"tkksd"}
