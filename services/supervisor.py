"""``python -m services.supervisor [--verbose]``: run every service as its own process, stop
them together.

The console stays quiet: a line per service once it is ready, the demo's summary and KPI
table, where everything is, and the warnings and errors of every process. ``--verbose``
(or ``KERJASAMA_VERBOSE=true``) adds what the supervisor does step by step, every
service's own notes, the libraries' lines (a line per HTTP request a service makes), the
access logs and a line per mail caught. ``KERJASAMA_LOG_LEVEL``, when set, is the level
of every process either way.
"""

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx

from plumbing.errors import ConfigError
from plumbing.logs import configure_logging
from plumbing.settings import BaseServiceSettings, load_settings

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PORTS = {"agreements": 8001, "notifications": 8002, "reporting": 8003,
                 "portal": 8004}
SIGNALS = (signal.SIGINT, signal.SIGTERM)
Process = asyncio.subprocess.Process
log = logging.getLogger("services.supervisor")
"""What the supervisor does step by step: shown with ``--verbose``."""


def say(*parts: object) -> None:
    """A line the person at the console needs, on standard error (looked up at each call,
    so it can be redirected)."""
    print("supervisor:", *parts, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Service:
    """A process to supervise: its command line and the base URL that serves ``/readyz``."""

    name: str
    command: Sequence[str]
    base_url: str


def discover(root: Path = ROOT) -> list[Service]:
    """The services runnable with ``python -m`` today, each on ``KERJASAMA_<NAME>_PORT``."""
    return [
        Service(name, (sys.executable, "-m", f"services.{name}"),
                f"http://127.0.0.1:{os.environ.get(f'KERJASAMA_{name.upper()}_PORT', port)}")
        for name, port in DEFAULT_PORTS.items()
        if (root / "services" / name / "__main__.py").is_file()
    ]


def mail_catcher(root: Path = ROOT, *, quiet: bool = True) -> Sequence[str] | None:
    """The local mail catcher to start, when notifications mail a local port nobody serves.

    Only when ``KERJASAMA_SMTP_HOST`` is unset or local and nothing listens on
    ``KERJASAMA_SMTP_PORT`` (default 1025); messages are kept in ``.run/mail``, and
    announced one line each unless ``quiet``.
    """
    host = os.environ.get("KERJASAMA_SMTP_HOST", "127.0.0.1")
    port = int(os.environ.get("KERJASAMA_SMTP_PORT", "1025"))
    if host not in ("127.0.0.1", "localhost", "::1") or _listening(port):
        return None
    return (sys.executable, "-m", "services.mailcatcher", "--port", str(port),
            "--maildir", str(root / ".run" / "mail"), *(("--quiet",) if quiet else ()))


def _listening(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


async def spawn(command: Sequence[str], **env: str) -> Process:
    """Start ``command`` in its own process group (so Ctrl-C reaches the supervisor only)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **env}
    return await asyncio.create_subprocess_exec(*command, env=env, process_group=0)


async def stop(processes: dict[str, Process], grace: float) -> None:
    """SIGTERM to every process still running; SIGKILL to those left after ``grace``."""
    waits = [asyncio.ensure_future(p.wait()) for p in processes.values()]
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for process in processes.values():
            with contextlib.suppress(ProcessLookupError):
                if process.returncode is None:
                    os.killpg(process.pid, sig)  # its group: anything it started too
        if not waits or not (await asyncio.wait(waits, timeout=grace))[1]:
            return
        say(f"killing what did not stop within {grace:g} s")


async def start_up(services: Sequence[Service], demo: Sequence[str] | None,
                   processes: dict[str, Process], within: float) -> bool:
    """Wait for every service to be ready, then run the demo loader; False on failure."""
    deadline = asyncio.get_running_loop().time() + within
    async with httpx.AsyncClient(timeout=2.0, trust_env=False) as client:
        for s in services:
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"{s.base_url}/readyz")).status_code == 200:
                        break
                if asyncio.get_running_loop().time() > deadline:
                    say(f"{s.name} was not ready at {s.base_url}/readyz within {within:g} s")
                    return False
                await asyncio.sleep(0.2)
            print(f"{s.name}: ready on {s.base_url}", file=sys.stderr, flush=True)
    if demo is not None:
        processes["demo"] = await spawn(demo)
        if status := await processes["demo"].wait():
            say(f"the demo loader failed (exit status {status})")
            return False
    print(directory(services), flush=True)
    return True


def directory(services: Sequence[Service]) -> str:
    """Where everything is, for people."""
    lines = ["", "kerjasama is running:"]
    for s in services:
        if s.name == "portal":
            lines.append(f"  {'portal':<14} {s.base_url}/  (the public register and "
                         "dashboard, no login)")
            continue
        lines.append(f"  {s.name:<14} {s.base_url}/docs  (also /openapi.json, /metrics)")
        if s.name == "reporting":
            lines.append(f"  {'KPIs':<14} {s.base_url}/kpis?year=2021")
    broker = urlsplit(os.environ.get("KERJASAMA_RABBITMQ_MANAGEMENT_URL", "http://127.0.0.1:15672"))
    if (ROOT / ".run" / "mail").is_dir():
        lines.append(f"  {'mail':<14} {ROOT / '.run' / 'mail'} (messages kept by the mail catcher)")
    lines += [f"  {'AsyncAPI':<14} {ROOT / 'contracts' / 'asyncapi.json'}",
              f"  {'RabbitMQ':<14} http://{broker.hostname}:{broker.port or 15672}/"]
    key = os.environ.get("KERJASAMA_AUTH_DEV_KEY_FILE")
    if key and os.environ.get("KERJASAMA_ENVIRONMENT") == "development":
        lines.append(f"  {'tokens':<14} .venv/bin/kerjasama token --role tkksd  (signed with "
                     f"the development key {key})")
    lines.append("Press Ctrl-C to stop." if _verbose() else
                 "Press Ctrl-C to stop. (./scripts/run --verbose also shows every request, "
                 "message and mail.)")
    return "\n".join([*lines, ""])


async def supervise(services: Sequence[Service], demo: Sequence[str] | None = None, *,
                    ready_timeout: float = 60.0, stop_timeout: float = 10.0,
                    helpers: dict[str, Sequence[str]] | None = None,
                    env: dict[str, dict[str, str]] | None = None) -> int:
    """Run ``services``, wait for their ``/readyz``, run ``demo``, and stop them all.

    The exit status: 0 after SIGINT or SIGTERM; 1 if a service exits on its own or is not
    ready within ``ready_timeout`` seconds, or the demo loader fails.
    """
    if not services:
        say("no service is runnable yet (no services/<name>/__main__.py): nothing to start")
        return 0
    taken = [s for s in services if _listening(urlsplit(s.base_url).port or 0)]
    if taken:
        say("; ".join(f"port {urlsplit(s.base_url).port} of {s.name} is already in use"
                      for s in taken) + " (is kerjasama already running? set "
            "KERJASAMA_<SERVICE>_PORT to run another copy)")
        return 1
    loop, stopping = asyncio.get_running_loop(), asyncio.Event()
    processes: dict[str, Process] = {}
    for sig in SIGNALS:
        loop.add_signal_handler(sig, stopping.set)
    try:
        for name, command in (helpers or {}).items():  # stopped with the services
            log.info(f"starting {name}: {' '.join(command)}")
            processes[name] = await spawn(command)
        for s in services:
            log.info(f"starting {s.name}: {' '.join(s.command)}")
            port = str(urlsplit(s.base_url).port)  # in both settings a service may read
            own = {f"KERJASAMA_{s.name.upper()}_PORT": port, "KERJASAMA_HTTP_PORT": port,
                   **(env or {}).get(s.name, {})}
            processes[s.name] = await spawn(s.command, **own)
        exits = {asyncio.ensure_future(processes[s.name].wait()): s.name for s in services}
        startup = asyncio.ensure_future(start_up(services, demo, processes, ready_timeout))
        signalled = asyncio.ensure_future(stopping.wait())
        pending: set[asyncio.Future[Any]] = {startup, signalled, *exits}
        done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        if done == {startup} and startup.result():  # up and running: wait for the end
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        for ended in [f for f in done if f in exits]:
            say(f"{exits[ended]} exited with status {ended.result()}: stopping the others")
        if signalled in done:
            say("stopping")
        for future in pending:
            future.cancel()
    finally:
        await stop(processes, stop_timeout)
        for sig in SIGNALS:
            loop.remove_signal_handler(sig)
    say("stopped")
    return 0 if signalled in done else 1


def local_documents(root: Path = ROOT) -> None:
    """Keep the archive's documents under the run directory, unless configured."""
    os.environ.setdefault("KERJASAMA_DOCUMENTS_STORE", str(root / ".run" / "documents"))


def local_auth(root: Path = ROOT) -> None:
    """Declare a development run (``KERJASAMA_ENVIRONMENT=development``, unless it is set
    otherwise) and, without configured token keys, use (and create once) the local
    development key, which the services accept only in a development run."""
    environment = os.environ.setdefault("KERJASAMA_ENVIRONMENT", "development")
    if environment != "development":
        say(f"KERJASAMA_ENVIRONMENT={environment}: not a development run, so no development "
            "key (the services need KERJASAMA_AUTH_JWKS_FILE)")
        return
    if os.environ.get("KERJASAMA_AUTH_JWKS_FILE") or os.environ.get("KERJASAMA_AUTH_DEV_KEY_FILE"):
        log.info("development run: KERJASAMA_ENVIRONMENT=development, with the token keys "
                 "configured in the environment")
    else:
        from plumbing.tokens import ensure_dev_key

        path = root / ".run" / "auth" / "dev-key"
        ensure_dev_key(path)
        os.environ["KERJASAMA_AUTH_DEV_KEY_FILE"] = str(path)
        log.info(f"development run: KERJASAMA_ENVIRONMENT=development; tokens are signed with "
                 f"the development key {path} (`.venv/bin/kerjasama token --role tkksd` prints "
                 "one)")
    # one checkpoint key across restarts, so that saved checkpoints still verify
    os.environ.setdefault("KERJASAMA_CHECKPOINT_KEY_FILE",
                          str(root / ".run" / "agreements" / "checkpoint.pem"))


def local_webhook_keys(root: Path = ROOT) -> dict[str, str]:
    """In a development run without configured keys of webhook secrets: the notifications
    service's key file in ``.run`` (random, created once), so that the secrets it stores
    still open after a restart."""
    if os.environ.get("KERJASAMA_ENVIRONMENT") != "development" or any(
            os.environ.get(f"KERJASAMA_WEBHOOK_SECRET_KEYS{end}") for end in ("", "_FILE")):
        return {}
    from plumbing.keys import ensure_key_file

    path = ensure_key_file(root / ".run" / "notifications" / "webhook-secret-keys")
    log.info(f"development run: webhook secrets are encrypted with the key in {path}")
    return {"KERJASAMA_WEBHOOK_SECRET_KEYS_FILE": str(path)}


LOCAL_VHOST = "kerjasama"


def local_broker_users(root: Path = ROOT) -> dict[str, dict[str, str]]:
    """The broker as a deployment has it: topology and policies loaded before any service
    starts (the services declare nothing), and each service's broker settings.

    Without ``KERJASAMA_AMQP_URL``: loads ``deploy/rabbitmq/definitions.json`` (vhost
    ``kerjasama``, one user per service and per example outside system with its
    development password, the operators' ``kerjasama-admin``) into the local broker
    through the management API; each service runs as its own least-privilege user, and
    the agreements service gets the outside systems' command roles. With it: the
    topology is declared on that URL's vhost (its user needs the rights to do so).
    """
    from deploy.rabbitmq.definitions import load_systems, user_roles

    management_url = os.environ.get("KERJASAMA_RABBITMQ_MANAGEMENT_URL",
                                    "http://guest:guest@127.0.0.1:15672")
    amqp_url = os.environ.get("KERJASAMA_AMQP_URL")
    if amqp_url:
        from plumbing.topology import declare_all
        from plumbing.urls import redact

        try:
            asyncio.run(declare_all(amqp_url, management_url))
        except Exception as exc:
            raise SystemExit(f"supervisor: cannot load the broker topology at "
                             f"{redact(amqp_url)}: {exc}") from None
        log.info(f"broker: topology loaded at {redact(amqp_url)}")
        return {}
    management = urlsplit(management_url)
    host = management.hostname or "127.0.0.1"
    base = f"{management.scheme}://{host}:{management.port or 15672}"
    definitions = (root / "deploy" / "rabbitmq" / "definitions.json").read_bytes()
    try:
        answer = httpx.post(f"{base}/api/definitions", content=definitions, timeout=30,
                            auth=(management.username or "guest",
                                  management.password or "guest"),
                            headers={"content-type": "application/json"}, trust_env=False)
    except httpx.HTTPError as exc:
        raise SystemExit(f"supervisor: cannot load the broker definitions through the "
                         f"management API at {base}: {exc!r}") from None
    if answer.status_code >= 300:
        raise SystemExit(f"supervisor: the broker refused deploy/rabbitmq/definitions.json: "
                         f"{answer.status_code} {answer.text[:300]}")
    log.info(f"broker: vhost {LOCAL_VHOST}, each service and each example outside system as "
             "its own user (deploy/rabbitmq)")
    brokers = {name: {
        "KERJASAMA_AMQP_URL": f"amqp://kerjasama-{name}:{name}-dev@{host}:5672/{LOCAL_VHOST}",
        "KERJASAMA_RABBITMQ_MANAGEMENT_URL": f"http://kerjasama-{name}:{name}-dev@{host}:"
                                             f"{management.port or 15672}",
    } for name in DEFAULT_PORTS}
    if not os.environ.get("KERJASAMA_AMQP_USER_ROLES"):
        brokers["agreements"]["KERJASAMA_AMQP_USER_ROLES"] = json.dumps(
            user_roles(load_systems(root / "deploy" / "rabbitmq" / "systems.json")))
    return brokers


LOCAL_RUNTIME_ROLE = "kerjasama_agreements"


def local_database(root: Path = ROOT) -> dict[str, str]:
    """Migrate the agreements database as its owner (``kerjasama migrate``), before any
    service starts; the environment the agreements service runs with.

    Unless KERJASAMA_AGREEMENTS_DATABASE_URL is set, the owner is the local superuser and
    the service runs as the login role ``kerjasama_agreements`` (made here when missing,
    trust authentication as ``scripts/setup`` configures it), which owns nothing. When it
    is set, KERJASAMA_AGREEMENTS_OWNER_DATABASE_URL (else that URL) migrates it and
    KERJASAMA_AGREEMENTS_RUNTIME_ROLE, when set, is granted.
    """
    migrate = [sys.executable, "-m", "services.cli", "migrate"]
    env: dict[str, str] = {}
    if not os.environ.get("KERJASAMA_AGREEMENTS_DATABASE_URL"):
        owner = "postgresql://postgres@127.0.0.1:5432/kerjasama_agreements"
        asyncio.run(_ensure_login_role(owner, LOCAL_RUNTIME_ROLE))
        migrate += ["--database-url", owner, "--runtime-role", LOCAL_RUNTIME_ROLE]
        env["KERJASAMA_AGREEMENTS_DATABASE_URL"] = (
            f"postgresql://{LOCAL_RUNTIME_ROLE}@127.0.0.1:5432/kerjasama_agreements")
    log.info("migrating the agreements database as the owner of its event tables: "
             "kerjasama migrate")
    done = subprocess.run(migrate, cwd=root, check=False, capture_output=True, text=True)
    if done.returncode:
        say(f"kerjasama migrate failed: {done.stderr.strip() or done.stdout.strip()}")
        sys.exit(1)
    log.info(done.stdout.strip())
    return env


async def _ensure_login_role(superuser_url: str, role: str) -> None:
    conn = await asyncpg.connect(superuser_url, database="postgres")
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role):
            await conn.execute(f'CREATE ROLE "{role}" LOGIN')
    finally:
        await conn.close()


def arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line of ``./scripts/run``; anything else is an error (exit status 2)."""
    parser = argparse.ArgumentParser(
        prog="./scripts/run", description="Run kerjasama on this machine: every service as "
        "its own process, the demo data, then the 2021 KPI table and where everything is. "
        "Ctrl-C stops everything.")
    parser.add_argument("-v", "--verbose", action="store_true", help="also show each step, "
                        "every service's notes and a line per HTTP request (served and "
                        "made), per message and per mail caught; the same as "
                        "KERJASAMA_VERBOSE=true")
    return parser.parse_args(argv)


def console(verbose: bool) -> BaseServiceSettings:
    """Set what every process of the run inherits for a quiet console (warnings and errors:
    ``KERJASAMA_LOG_LEVEL=WARNING`` unless it is set) or a verbose one
    (``KERJASAMA_VERBOSE=true``, and the access logs unless ``KERJASAMA_ACCESS_LOG`` is
    set); the supervisor's own settings. ConfigError on a bad setting."""
    verbose = verbose or load_settings(BaseServiceSettings).verbose
    if verbose:
        os.environ["KERJASAMA_VERBOSE"] = "true"
        os.environ.setdefault("KERJASAMA_ACCESS_LOG", "true")
    else:
        os.environ.setdefault("KERJASAMA_LOG_LEVEL", "WARNING")
    return load_settings(BaseServiceSettings)


def _verbose() -> bool:
    return os.environ.get("KERJASAMA_VERBOSE") == "true"  # as console() leaves it


def main(argv: Sequence[str] | None = None) -> None:
    """``./scripts/run [--verbose]``: prepare the local broker, database and keys, then
    supervise every service, the mail catcher and the demo loader."""
    options = arguments(argv)
    try:
        settings = console(options.verbose)
    except ConfigError as exc:
        say(exc)
        sys.exit(2)
    configure_logging("supervisor", settings)
    local_auth()
    local_documents()
    brokers = local_broker_users()
    if (ROOT / "services" / "agreements" / "migrations").is_dir():
        brokers.setdefault("agreements", {}).update(local_database())
    brokers.setdefault("notifications", {}).update(local_webhook_keys())
    has_demo = any((ROOT / "services" / p).is_file() for p in ("demo/__main__.py", "demo.py"))
    demo = (sys.executable, "-m", "services.demo") if has_demo else None
    catcher = (mail_catcher(quiet=not settings.verbose)
               if (ROOT / "services" / "notifications").is_dir() else None)
    helpers = {"mail catcher": catcher} if catcher else {}
    sys.exit(asyncio.run(supervise(discover(), demo, helpers=helpers, env=brokers)))


if __name__ == "__main__":
    main()
