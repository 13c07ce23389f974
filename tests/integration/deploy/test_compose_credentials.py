"""What credentials-init makes works on the real servers, as the compose stack uses it.

A private RabbitMQ node (never the shared broker) boots with deploy/rabbitmq's
configuration, its ``load_definitions`` path being the directory the compose stack mounts
there (credentials-init's ``rabbitmq/``); a private PostgreSQL cluster runs the roles
script as the image's entrypoint would. Each service's user then logs in with the password
of its own files, and a wrong password is refused.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

import asyncpg
import pytest

from deploy.postgres import roles
from deploy.rabbitmq import definitions as defs
from plumbing.settings import load_settings
from services.agreements.adapters.database import open_database
from services.agreements.adapters.schema import migrate_database
from services.agreements.settings import AgreementsSettings
from services.cli.compose_credentials import DEFINITIONS, MIGRATE, ROLES_SCRIPT, SERVICES, init
from tests.private_postgres import private_postgres
from tests.private_rabbitmq import RABBITMQ_BIN, PrivateRabbitMQ, free_port

DEPLOY_RABBITMQ = Path(defs.__file__).parent


def made(tmp_path: Path) -> Path:
    directory = tmp_path / "credentials"
    init(directory, defs.load_systems())
    return directory


def service_url(directory: Path, service: str, variable: str) -> tuple[str, str]:
    url = urlsplit((directory / service / variable).read_text())
    return unquote(url.username or ""), unquote(url.password or "")


def test_the_broker_loads_the_made_definitions_and_each_user_logs_in(tmp_path: Path) -> None:
    if not (RABBITMQ_BIN / "rabbitmq-server").exists():
        pytest.fail(f"RabbitMQ is not installed at {RABBITMQ_BIN} "
                    "(set KERJASAMA_TEST_RABBITMQ_BIN)")
    directory = made(tmp_path)
    base = Path(tempfile.mkdtemp(prefix="kerjasama-rabbitmq-credentials-"))
    node = PrivateRabbitMQ(base)
    shutil.copy(DEPLOY_RABBITMQ / "enabled_plugins", base / "enabled_plugins")
    config = (DEPLOY_RABBITMQ / "rabbitmq.conf").read_text()
    assert "load_definitions = /etc/rabbitmq/definitions.json" in config
    (base / "rabbitmq.conf").write_text(
        config.replace("/etc/rabbitmq/definitions.json", str(directory / DEFINITIONS.parent))
        + f"\nmanagement.tcp.port = {free_port()}\nmanagement.tcp.ip = 127.0.0.1\n"
        f"prometheus.tcp.port = {free_port()}\nprometheus.tcp.ip = 127.0.0.1\n")

    def authenticate(user: str, password: str, tries: int = 1) -> bool:
        for attempt in range(tries):
            if attempt:
                time.sleep(1)  # a loaded machine may still be importing the definitions
            result = subprocess.run(
                [str(RABBITMQ_BIN / "rabbitmqctl"), "-n", node.node, "authenticate_user",
                 "--", user, password],  # a password may begin with "-": not an option
                env=node.env, capture_output=True, text=True, timeout=60)
            if result.returncode == 0:
                return True
        return False

    try:
        node.start()
        for service in SERVICES:
            user, password = service_url(directory, service, "KERJASAMA_AMQP_URL")
            assert user == f"kerjasama-{service}"
            assert authenticate(user, password, tries=30), user
            assert not authenticate(user, password + "x"), user
        admin = (directory / "operator" / "rabbitmq" / "kerjasama-admin").read_text()
        assert authenticate("kerjasama-admin", admin, tries=30)
        assert not authenticate("kerjasama-admin", defs.user("ADMIN").dev_password)
    finally:
        node.stop()
        shutil.rmtree(base, ignore_errors=True)


def test_postgres_creates_the_roles_and_each_service_logs_in_with_its_password(
        tmp_path: Path) -> None:
    directory = made(tmp_path)
    script = (directory / ROLES_SCRIPT).read_text()
    superuser = (directory / "operator" / "postgres" / roles.SUPERUSER).read_text()

    async def check(port: int) -> None:
        connection = await asyncpg.connect(host="127.0.0.1", port=port, user=roles.SUPERUSER)
        await connection.execute(script)
        await connection.execute("SELECT pg_reload_conf()")  # from now on, SCRAM
        await connection.close()
        for service in SERVICES:
            variable = f"KERJASAMA_{service.upper()}_DATABASE_URL"
            user, password = service_url(directory, service, variable)
            connection = await asyncpg.connect(host="127.0.0.1", port=port, user=user,
                                               password=password, database="postgres")
            creates = await connection.fetchval("SELECT rolcreatedb FROM pg_roles "
                                                "WHERE rolname = current_user")
            assert creates == (service != "agreements"), service  # agreements: migrate does
            await connection.close()
            with pytest.raises(asyncpg.InvalidPasswordError):
                await asyncpg.connect(host="127.0.0.1", port=port, user=user,
                                      password=password + "x", database="postgres")
        connection = await asyncpg.connect(host="127.0.0.1", port=port, user=roles.SUPERUSER,
                                           password=superuser)
        await connection.execute(script)  # safe to run again on the same cluster
        await connection.close()
        # agreements-migrate: kerjasama migrate as the owner, then the service as its role
        owner = urlsplit((directory / MIGRATE / "KERJASAMA_AGREEMENTS_OWNER_DATABASE_URL")
                         .read_text())
        assert owner.username == roles.AGREEMENTS_OWNER
        await migrate_database(owner._replace(netloc=owner.netloc.replace(
            "@postgres:5432", f"@127.0.0.1:{port}")).geturl(), roles.role("agreements"))
        runtime = (directory / "agreements" / "KERJASAMA_AGREEMENTS_DATABASE_URL").read_text()
        runtime = runtime.replace("@postgres:5432", f"@127.0.0.1:{port}")
        pool = await open_database(load_settings(AgreementsSettings,
                                                 agreements_database_url=runtime))
        assert await pool.fetchval("SELECT count(*) FROM events") == 0
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await pool.execute("ALTER TABLE events DISABLE TRIGGER events_append_only")
        await pool.close()

    with private_postgres() as cluster:
        # As the postgres image does once initialised: passwords (SCRAM) over TCP. The
        # server reads it at the next reload, after the script ran as the trusted superuser.
        (cluster.data / "pg_hba.conf").write_text(
            "local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n")
        asyncio.run(check(cluster.port))
