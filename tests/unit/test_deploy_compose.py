"""The compose stack of deploy/ against what the services read and what the image holds.

No Docker engine runs here (and no compose plugin), so the file is parsed with PyYAML and
checked against the code itself: the settings classes (which variables each service
reads, and whether the given values validate), the broker definitions, the PostgreSQL
roles, the Dockerfile and the Prometheus targets. The one-shot inits run as their
containers would, their commands against stand-in volumes (a directory per named volume,
linked into a directory per container at the container's mount points); each service,
server and operator then finds what it needs through its own mounts only.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
import yaml
from pydantic_settings import BaseSettings

from deploy.postgres import roles
from deploy.rabbitmq import definitions as defs
from plumbing.agreements_client import agreements_token_from
from plumbing.auth import authenticator_from
from plumbing.clock import CLOCK_ENV, CLOCK_FILE_ENV
from plumbing.settings import SECRETS_DIR_ENV, env_name, load_settings
from plumbing.tracing import exporters_wanted
from plumbing.urls import vhost_of
from services.agreements.adapters.checkpointer import checkpoint_signer_from
from services.agreements.settings import AgreementsSettings
from services.notifications.adapters.secret_box import secret_box_from
from services.notifications.settings import NotificationsSettings
from services.portal.settings import PortalSettings
from services.reporting.settings import ReportingSettings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
SETTINGS: dict[str, type[BaseSettings]] = {
    "agreements": AgreementsSettings,
    "notifications": NotificationsSettings,
    "reporting": ReportingSettings,
    "portal": PortalSettings,
}
DEFAULT_PORTS = {"agreements": 8001, "notifications": 8002, "reporting": 8003, "portal": 8004}
INITS = ("auth-init", "credentials-init")
KERJASAMA_IMAGE = "kerjasama:0.1.0"


def variables_read(cls: type[BaseSettings]) -> set[str]:
    """Every environment variable a service reads: its settings' fields, the clock's and
    the secrets directory."""
    return ({env_name(cls, name) for name in cls.model_fields}
            | {CLOCK_ENV, CLOCK_FILE_ENV, SECRETS_DIR_ENV})


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


@dataclass(frozen=True)
class Mount:
    """A volume or bind mount of a compose service, short or long syntax."""

    kind: str
    source: str
    target: str
    read_only: bool
    nocopy: bool


def mounts(service: dict[str, Any]) -> list[Mount]:
    found = []
    for mount in service.get("volumes", []):
        if isinstance(mount, dict):
            found.append(Mount(mount["type"], mount["source"], mount["target"],
                               bool(mount.get("read_only")),
                               bool(mount.get("volume", {}).get("nocopy"))))
        else:
            source, target, *mode = mount.split(":")
            kind = "bind" if source.startswith((".", "/")) else "volume"
            found.append(Mount(kind, source, target, mode == ["ro"], False))
    return found


def named_mounts(service: dict[str, Any]) -> dict[str, tuple[str, bool]]:
    """Container path -> (named volume, read-only) of a service's volume mounts."""
    return {m.target: (m.source, m.read_only) for m in mounts(service) if m.kind == "volume"}


def container_root(tmp: Path, name: str, service: dict[str, Any], volumes: Path) -> Path:
    """A directory standing for the container's file system: its mounts, nothing else."""
    root = tmp / "containers" / name
    if root.exists():
        return root
    for mount in mounts(service):
        if mount.kind == "volume":
            (volumes / mount.source).mkdir(parents=True, exist_ok=True)
            source = volumes / mount.source
        else:
            source = (DEPLOY / mount.source).resolve()
        (root / mount.target.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
        (root / mount.target.lstrip("/")).symlink_to(source)
    return root


def inside(root: Path, path: str) -> Path:
    """Where ``path`` of the container is in its stand-in."""
    return root / path.lstrip("/")


@dataclass
class Stack:
    """The compose stack after its inits ran: stand-in volumes and containers."""

    compose: dict[str, Any]
    tmp: Path

    @property
    def volumes(self) -> Path:
        return self.tmp / "volumes"

    def root(self, name: str) -> Path:
        return container_root(self.tmp, name, self.compose["services"][name], self.volumes)

    def run_init(self, name: str) -> int:
        """The init's command as its container runs it (absolute paths in its stand-in)."""
        from services.cli import main

        command = self.compose["services"][name]["command"]
        assert command[0] == "services.cli"
        root = self.root(name)
        return main([str(inside(root, a)) if a.startswith("/") else a for a in command[1:]])

    def env(self, name: str) -> dict[str, str]:
        """The service's environment, its file paths in its stand-in."""
        root = self.root(name)
        return {k: str(inside(root, v)) if v.startswith("/") else v
                for k, v in environment(self.compose["services"][name]).items()}

    def settings(self, name: str, monkeypatch: pytest.MonkeyPatch) -> Any:
        return check_service_environment(name, self.env(name), monkeypatch)

    def operator_password(self, kind: str, user: str) -> str:
        """What the operator reads: a password in credentials-init's operator volume."""
        path = "/var/lib/kerjasama/credentials/operator"
        assert named_mounts(self.compose["services"]["credentials-init"])[path][0] == (
            "credentials-operator")
        return (inside(self.root("credentials-init"), path) / kind / user).read_text()


def compose_systems(compose: dict[str, Any]) -> tuple[defs.System, ...]:
    """The outside systems credentials-init is given (its --systems, a mounted file)."""
    init = compose["services"]["credentials-init"]
    target = init["command"][init["command"].index("--systems") + 1]
    [mount] = [m for m in mounts(init) if m.target == target]
    return defs.load_systems(DEPLOY / mount.source)


def loaded_definitions(stack: Stack) -> dict[str, Any]:
    """The definitions RabbitMQ loads at boot: the path its configuration names (every file
    in it, when a directory)."""
    config = (DEPLOY / "rabbitmq" / "rabbitmq.conf").read_text()
    loaded = re.search(r"^load_definitions = (\S+)$", config, re.M)
    assert loaded is not None
    path = inside(stack.root("rabbitmq"), loaded.group(1))
    files = sorted(path.iterdir()) if path.is_dir() else [path]
    assert len(files) == 1, f"RabbitMQ would load {files}"
    document: dict[str, Any] = json.loads(files[0].read_text())
    return document


def roles_script(stack: Stack) -> str:
    """The SQL PostgreSQL runs on its first start (/docker-entrypoint-initdb.d)."""
    scripts = sorted(inside(stack.root("postgres"), "/docker-entrypoint-initdb.d").iterdir())
    assert [p.suffix for p in scripts] == [".sql"], scripts
    return scripts[0].read_text()


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_compose()


@pytest.fixture
def stack(compose: dict[str, Any], tmp_path: Path) -> Stack:
    made = Stack(compose, tmp_path)
    for name in INITS:
        assert made.run_init(name) == 0, name
    return made


def test_compose_runs_the_whole_stack_on_the_pinned_servers(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"rabbitmq", "postgres", "agreements", "notifications", "reporting",
                             "portal",
                             "mailcatcher", "prometheus", "grafana", "jaeger",
                             "agreements-migrate", *INITS}
    assert services["rabbitmq"]["image"] == "rabbitmq:3.10-management"
    assert services["postgres"]["image"] == "postgres:15"
    for name, service in services.items():
        assert ":" in service["image"] and not service["image"].endswith(":latest"), name
    plugins = (DEPLOY / "rabbitmq" / "enabled_plugins").read_text()
    assert plugins.strip() == "[rabbitmq_management,rabbitmq_prometheus]."
    config = (DEPLOY / "rabbitmq" / "rabbitmq.conf").read_text()
    loaded = re.search(r"^load_definitions = (\S+)$", config, re.M)
    assert loaded is not None
    rabbitmq = {m.target: m for m in mounts(services["rabbitmq"])}
    assert rabbitmq[loaded.group(1)].source == "credentials-rabbitmq"
    assert named_mounts(services["credentials-init"])[
        "/var/lib/kerjasama/credentials/rabbitmq"] == ("credentials-rabbitmq", False)
    assert rabbitmq["/etc/rabbitmq/conf.d/20-kerjasama.conf"].source == "./rabbitmq/rabbitmq.conf"


def test_every_file_the_compose_stack_mounts_exists(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for mount in mounts(service):
            if mount.kind == "bind":
                assert (DEPLOY / mount.source).exists(), f"{name} mounts missing {mount.source}"
            else:
                assert mount.source in compose["volumes"], f"{name}: {mount.source} undeclared"
        if "build" in service:
            context = (DEPLOY / service["build"]["context"]).resolve()
            assert context == ROOT
            assert (context / service["build"]["dockerfile"]).is_file()


@pytest.mark.parametrize("service", sorted(SETTINGS))
def test_each_service_container_is_configured_with_variables_it_reads(
    stack: Stack, service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    compose = stack.compose
    container = compose["services"][service]
    assert container["image"] == compose["services"]["agreements"]["image"]  # one image
    assert container["command"] == [f"services.{service}"]
    assert (ROOT / "services" / service / "__main__.py").is_file()
    settings = stack.settings(service, monkeypatch)

    port = settings.http_port
    assert port == DEFAULT_PORTS[service]
    assert f"127.0.0.1:{port}:{port}" in container["ports"]
    assert f"http://127.0.0.1:{port}/readyz" in " ".join(container["healthcheck"]["test"])

    amqp = urlsplit(settings.amqp_url)
    assert (amqp.hostname, amqp.port, vhost_of(settings.amqp_url)) == ("rabbitmq", 5672,
                                                                       defs.VHOST)
    assert unquote(amqp.username or "") == f"kerjasama-{service}"
    hashes = {u["name"]: u["password_hash"] for u in loaded_definitions(stack)["users"]}
    assert defs.check_password(unquote(amqp.password or ""), hashes[f"kerjasama-{service}"]), \
        "the AMQP password is not the one RabbitMQ loads"
    management = urlsplit(settings.rabbitmq_management_url)
    assert (management.hostname, management.port) == ("rabbitmq", 15672)
    assert (management.username, management.password) == (amqp.username, amqp.password)

    database = urlsplit(getattr(settings, f"{service}_database_url"))
    assert (database.hostname, database.port, database.path) == (
        "postgres", 5432, f"/kerjasama_{service}")
    assert database.username == roles.role(service)
    verifier = roles.verifiers(roles_script(stack))[database.username]
    assert roles.check_scram(unquote(database.password or ""), verifier), \
        "the database password is not the one PostgreSQL creates the role with"

    if service != "agreements":
        assert settings.agreements_url == "http://agreements:8001"


@pytest.mark.parametrize("service", ["agreements", "notifications", "reporting", "portal"])
def test_each_service_sends_its_traces_to_the_stacks_trace_store(
        compose: dict[str, Any], service: str) -> None:
    env = environment(compose["services"][service])
    assert exporters_wanted(env) == ["otlp"]  # by the standard OTEL_* settings alone
    endpoint = urlsplit(env["OTEL_EXPORTER_OTLP_ENDPOINT"])
    assert (endpoint.scheme, endpoint.hostname, endpoint.port) == ("http", "jaeger", 4318)
    jaeger = compose["services"]["jaeger"]
    assert environment(jaeger)["COLLECTOR_OTLP_ENABLED"] == "true"  # OTLP/HTTP on 4318
    assert jaeger["ports"] == ["127.0.0.1:16686:16686"]  # its web UI, on this machine only


def test_notifications_send_email_to_the_mail_catcher(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = stack.settings("notifications", monkeypatch)
    assert settings.smtp_host == "mailcatcher"
    assert settings.smtp_port == 1025  # Mailpit's SMTP port
    assert stack.compose["services"]["mailcatcher"]["image"].startswith("axllent/mailpit:")


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


def dockerfile_sources() -> set[str]:
    dockerfile = (ROOT / "Dockerfile").read_text()
    copied = set(re.findall(r"^COPY (?!--from)(.+) \S+$", dockerfile, re.M))
    return {part for line in copied for part in line.split()}


def test_the_image_installs_the_locked_dependencies_and_runs_python_m() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "FROM python:3.11" in dockerfile
    assert "pip install --constraint constraints.txt ." in dockerfile
    assert 'ENTRYPOINT ["python", "-m"]' in dockerfile
    sources = dockerfile_sources()
    assert {"pyproject.toml", "constraints.txt", "README.md", "contracts", "plumbing",
            "services"} <= sources
    allowed = {line[1:].rstrip("/") for line in (ROOT / ".dockerignore").read_text().split()
               if line.startswith("!")}
    assert sources <= allowed, "the Dockerfile copies what .dockerignore leaves out"


def test_the_image_carries_the_generators_credentials_init_imports() -> None:
    """credentials-init runs deploy.rabbitmq.definitions and deploy.postgres.roles in the
    image: their modules are copied and installed as packages, the development files not."""
    import tomllib

    modules = {"deploy/__init__.py", "deploy/rabbitmq/__init__.py",
               "deploy/rabbitmq/definitions.py", "deploy/postgres/__init__.py",
               "deploy/postgres/roles.py"}
    sources = dockerfile_sources()
    assert modules <= sources
    assert not any(s.endswith(".json") for s in sources if s.startswith("deploy"))
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "packages"]["find"]["include"]
    assert {"deploy", "deploy.rabbitmq", "deploy.postgres"} <= set(packages)


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


def test_the_compose_stack_uses_no_development_key_and_declares_no_development(
        compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        env = environment(service)
        assert "KERJASAMA_AUTH_DEV_KEY_FILE" not in env, name
        assert env.get("KERJASAMA_ENVIRONMENT", "production") != "development", name
        assert not any(m.source.startswith("./auth") for m in mounts(service)), name
    assert not (DEPLOY / "auth").exists()


def test_the_keys_auth_init_makes_are_the_ones_each_service_uses(
        compose: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """auth-init runs as the container would (its command, its volumes); then each service
    finds its keys through its own mounts only, and the tokens check out."""
    from plumbing.auth import Authenticator
    from services.cli import main

    services, stack = compose["services"], Stack(compose, tmp_path)
    init = services["auth-init"]
    assert init["image"] == services["agreements"]["image"] and init["restart"] == "no"
    for name in SETTINGS:
        assert services[name]["depends_on"]["auth-init"] == {
            "condition": "service_completed_successfully"}
    assert init["command"][:3] == ["services.cli", "keys", "init"]
    for _ in range(2):  # a restart keeps the keys
        assert stack.run_init("auth-init") == 0
    assert capsys.readouterr().out.count("kept") == 5  # operator, 3 service keys, checkpoint
    assert stack.run_init("credentials-init") == 0
    capsys.readouterr()

    built: dict[str, Any] = {}
    for name in SETTINGS:
        mounted = named_mounts(services[name])
        writable = {volume for volume, read_only in mounted.values() if not read_only}
        assert writable <= {"documents"}, f"{name} may write keys"  # its archive only
        assert "auth-operator" not in {v for v, _ in mounted.values()}, name
        env = stack.env(name)
        assert set(AUTH_FILES) & set(env)
        built[name] = check_service_environment(name, env, monkeypatch)
        assert not built[name].development
    agreements = authenticator_from(built["agreements"])
    assert {v for v, _ in named_mounts(services["agreements"]).values()} == {
        "auth-public", "auth-agreements", "credentials-agreements", "documents"}
    checkpoint_signer_from(built["agreements"])  # one key, made once, for every restart
    assert all("auth-agreements" not in {v for v, _ in named_mounts(services[n]).values()}
               for n in ("notifications", "reporting"))
    for name in ("notifications", "reporting"):
        token = agreements_token_from(built[name], name)()
        principal = agreements.verify(token)
        assert (principal.subject, principal.roles) == (f"service:{name}", {"reporting"})
        assert isinstance(authenticator_from(built[name]), Authenticator)

    operator_key = stack.volumes / "auth-operator" / "operator.jwk"
    monkeypatch.setenv("KERJASAMA_AUTH_SIGNING_KEY_FILE", str(operator_key))
    assert main(["token", "--role", "tkksd"]) == 0
    assert agreements.verify(capsys.readouterr().out.strip()).roles == {"tkksd"}


# --- passwords: none committed, all made by credentials-init -----------------------------

def committed_passwords() -> set[str]:
    """Every password the repository holds: the development passwords of the committed
    definitions (./scripts/run) and those written in the files of deploy/."""
    known = {u.dev_password for u in defs.users(defs.load_systems())}
    for path in DEPLOY.rglob("*"):
        if path.is_file() and path.suffix in {".sql", ".yaml", ".yml", ".env", ".conf"}:
            text = path.read_text()
            known |= set(re.findall(r"PASSWORD\s+'([^']+)'", text, re.I))
            known |= {m for m in re.findall(r"://[^/\s:@]+:([^@\s]+)@", text)
                      if not m.startswith("$(")}
    return known


WRITTEN_SECRET = re.compile(r"(PASSWORD|SECRET|TOKEN|_KEYS?)$")


def test_no_compose_or_kubernetes_file_holds_or_mounts_a_committed_password(
        compose: dict[str, Any]) -> None:
    """docs/domain.md#boundaries: no password in the repository is used by a deployment. The compose
    file
    and every Kubernetes file name no password (only files and Secrets that hold one), and
    nothing the compose stack mounts from the repository holds a password or its hash."""
    known = committed_passwords()
    assert {"agreements-dev", "admin-dev"} <= known  # the development passwords are found
    deployed = [COMPOSE, *(p for p in (DEPLOY / "k8s").rglob("*") if p.is_file())]
    for path in deployed:
        text = path.read_text()
        for password in known:
            assert password not in text, f"{path.relative_to(ROOT)} holds {password!r}"
        written = [m for m in re.findall(r"://[^/\s:@]+:([^@\s]+)@", text)
                   if not m.startswith("$(")]
        assert not written, f"{path.relative_to(ROOT)}: a URL with a password"
    for name, service in compose["services"].items():
        for variable, value in environment(service).items():
            assert not WRITTEN_SECRET.search(variable), f"{name}: {variable}={value} is written"
            assert not re.search(r"://[^/@]*:[^/@]*@", value), f"{name}: {variable} has a password"
        for mount in mounts(service):
            if mount.kind != "bind":
                continue
            source = (DEPLOY / mount.source).resolve()
            for path in ([source] if source.is_file() else list(source.rglob("*"))):
                if path.is_file():
                    text = path.read_text(errors="replace")
                    assert "password_hash" not in text and not re.search(
                        r"PASSWORD\s+'", text, re.I), f"{name} mounts {path} with a password"


def test_credentials_init_makes_each_password_once_and_a_second_start_changes_nothing(
        compose: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    init = compose["services"]["credentials-init"]
    assert init["image"] == KERJASAMA_IMAGE and init["restart"] == "no"
    assert init["command"][:3] == ["services.cli", "credentials", "init"]
    assert not init.get("environment")
    stack = Stack(compose, tmp_path)
    assert stack.run_init("credentials-init") == 0
    first = capsys.readouterr().out
    assert "kept" not in first

    def snapshot() -> dict[Path, tuple[bytes, int]]:
        return {p: (p.read_bytes(), p.stat().st_mode) for p in stack.volumes.rglob("*")
                if p.is_file()}

    before = snapshot()
    assert stack.run_init("credentials-init") == 0
    again = capsys.readouterr().out.splitlines()
    assert again and all(line.startswith("kept ") for line in again), again
    assert snapshot() == before

    operator = stack.volumes / "credentials-operator"
    passwords = [p.read_text() for p in operator.rglob("*") if p.is_file()]
    users = [u.name for u in defs.users(compose_systems(compose))]
    assert sorted(p.name for p in (operator / "rabbitmq").iterdir()) == sorted(users)
    assert sorted(p.name for p in (operator / "postgres").iterdir()) == sorted(
        [*roles.ROLES, roles.SUPERUSER])
    assert len(set(passwords)) == len(passwords), "a password is used twice"
    assert all(len(p) >= 32 for p in passwords)
    assert not set(passwords) & committed_passwords()
    assert not any(p in first for p in passwords), "the init printed a password"
    for path in before:  # nothing the init writes is world-readable but for the servers
        shared = path.parent.name in {"credentials-rabbitmq", "credentials-postgres-init",
                                      "credentials-postgres", "credentials-grafana"}
        assert path.stat().st_mode & 0o077 == (0o044 if shared else 0), path


def test_each_service_reads_only_its_own_credentials_from_its_own_volume(
        stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    services = stack.compose["services"]
    credentials = {m.source for m in mounts(services["credentials-init"])
                   if m.kind == "volume"}
    for name in SETTINGS:
        container = services[name]
        assert container["depends_on"]["credentials-init"] == {
            "condition": "service_completed_successfully"}
        own = {m.source: m for m in mounts(container) if m.source in credentials}
        assert set(own) == {f"credentials-{name}"}, f"{name} mounts {sorted(own)}"
        mount = own[f"credentials-{name}"]
        assert mount.read_only
        assert environment(container)[SECRETS_DIR_ENV] == mount.target
        files = {p.name for p in inside(stack.root(name), mount.target).iterdir()}
        assert files <= variables_read(SETTINGS[name]), f"{name} reads no {files}"
        settings = stack.settings(name, monkeypatch)
        assert urlsplit(settings.amqp_url).password
        if name == "agreements":  # the outside systems' command roles come with their users
            assert settings.amqp_user_roles == defs.user_roles(defs.load_systems())
            assert settings.amqp_user_roles
    monkeypatch.setenv(SECRETS_DIR_ENV, str(stack.env("notifications")[SECRETS_DIR_ENV]))
    settings = load_settings(NotificationsSettings)
    assert secret_box_from(settings).setting == "KERJASAMA_WEBHOOK_SECRET_KEYS"


def test_rabbitmq_loads_the_definitions_made_with_the_stacks_own_passwords(
        stack: Stack) -> None:
    services = stack.compose["services"]
    assert services["rabbitmq"]["depends_on"]["credentials-init"] == {
        "condition": "service_completed_successfully"}
    loaded = loaded_definitions(stack)
    systems = compose_systems(stack.compose)
    users = {u["name"]: u["password_hash"] for u in loaded["users"]}
    assert sorted(users) == sorted(u.name for u in defs.users(systems))
    for user, hashed in users.items():
        assert defs.check_password(stack.operator_password("rabbitmq", user), hashed), user
        assert not any(defs.check_password(p, hashed) for p in committed_passwords()), user
    expected = defs.build({u.key: "x" for u in defs.users(systems)}, defs.VHOST, systems)
    for document in (expected, loaded):
        for user in document["users"]:
            user.pop("password_hash")
    assert loaded == expected, "the definitions are not those of the topology and systems"


def test_postgres_creates_its_roles_with_the_stacks_own_passwords(stack: Stack) -> None:
    postgres = stack.compose["services"]["postgres"]
    assert postgres["depends_on"]["credentials-init"] == {
        "condition": "service_completed_successfully"}
    env = environment(postgres)
    assert set(env) == {"POSTGRES_PASSWORD_FILE"}
    superuser = inside(stack.root("postgres"), env["POSTGRES_PASSWORD_FILE"]).read_text()
    assert superuser == stack.operator_password("postgres", roles.SUPERUSER)
    verifiers = roles.verifiers(roles_script(stack))
    assert set(verifiers) == {*roles.ROLES, roles.SUPERUSER}
    for role, verifier in verifiers.items():
        assert roles.check_scram(stack.operator_password("postgres", role), verifier), role


def test_grafana_takes_its_admin_password_from_a_file_the_operator_can_read(
        stack: Stack) -> None:
    grafana = stack.compose["services"]["grafana"]
    assert grafana["depends_on"]["credentials-init"] == {
        "condition": "service_completed_successfully"}
    env = environment(grafana)
    assert "GF_SECURITY_ADMIN_PASSWORD" not in env
    password = inside(stack.root("grafana"), env["GF_SECURITY_ADMIN_PASSWORD__FILE"])
    assert password.read_text() == stack.operator_password("grafana", "admin")


def test_the_image_gives_each_volume_an_init_writes_its_owner_and_mode(
        compose: dict[str, Any]) -> None:
    """A new named volume takes the owner and mode of the directory it is first mounted on
    (copied from the init's image); a server of another image mounts it without copying
    its own, and reads it as another user, so those directories may be entered by all."""
    dockerfile = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    created: dict[str, str] = {}
    for owner, mode, paths in re.findall(r"install -d -o (\S+) -g \S+ -m (\d+) ([^&\n]+)",
                                         dockerfile):
        assert owner == "kerjasama"
        created.update(dict.fromkeys(paths.split(), mode))
    services = compose["services"]
    others = {name: s for name, s in services.items() if s["image"] != KERJASAMA_IMAGE}
    for init in INITS:
        for target, (volume, _) in named_mounts(services[init]).items():
            users = [(name, m) for name, s in others.items() for m in mounts(s)
                     if m.source == volume]
            assert created.get(target) == ("0755" if users else "0700"), target
            for name, mount in users:
                assert mount.read_only and mount.nocopy, f"{name} mounts {volume}"


def test_the_agreements_database_is_migrated_by_its_owner_before_the_service_starts(
        stack: Stack) -> None:
    """docs/domain.md#boundaries: ``kerjasama migrate`` runs as the owner of the event tables in a
    step of
    its own; the service runs as its own role and never sees the owner's password."""
    services = stack.compose["services"]
    step = services["agreements-migrate"]
    assert step["command"] == ["services.cli", "migrate"] and step["restart"] == "no"
    assert services["agreements"]["depends_on"]["agreements-migrate"] == {
        "condition": "service_completed_successfully"}
    env = environment(step)
    assert env["KERJASAMA_AGREEMENTS_RUNTIME_ROLE"] == roles.role("agreements")
    [mount] = mounts(step)
    assert mount.source == "credentials-agreements-migrate" and mount.read_only
    assert env[SECRETS_DIR_ENV] == mount.target
    owner_url = inside(stack.root("agreements-migrate"), mount.target) / (
        "KERJASAMA_AGREEMENTS_OWNER_DATABASE_URL")
    url = urlsplit(owner_url.read_text())
    assert (url.username, url.path) == (roles.AGREEMENTS_OWNER, "/kerjasama_agreements")
    assert url.password == stack.operator_password("postgres", roles.AGREEMENTS_OWNER)
    owner_password = url.password
    for name in SETTINGS:
        assert not [m for m in mounts(services[name])
                    if m.source == "credentials-agreements-migrate"], name
        for path in inside(stack.root(name), environment(services[name])[SECRETS_DIR_ENV]
                           ).iterdir():
            assert owner_password not in path.read_text(), f"{name} gets the owner's password"
