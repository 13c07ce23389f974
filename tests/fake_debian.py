"""A Debian machine made of stub commands, to run ``scripts/setup`` on without root or apt.

``scripts/setup`` is copied into a small project in a temporary directory and run with a
PATH that holds only the stubs and the few real tools the script uses (``bash``, ``sed`` …),
and with ``KERJASAMA_SETUP_SANDBOX`` set, so it finds no real ``/usr/sbin`` command and
writes its ``policy-rc.d`` into the sandbox. Every stub appends its name and arguments to
``calls.log``; ``apt-get install`` "installs" a package by copying the stubs it ships
into PATH. Servers run by listening on the ports the URLs name: PostgreSQL by
``pg_isready``'s state, RabbitMQ by a real listening socket, since setup probes its port.
As on Debian, ``pg_ctlcluster`` and RabbitMQ's commands refuse a user other than root.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

REAL_TOOLS = ("bash", "cat", "chmod", "cp", "dirname", "grep", "head", "mkdir", "rm", "sed",
              "seq", "sha256sum", "sleep", "tail", "touch", "tr")

PACKAGES: dict[str, tuple[str, ...]] = {
    "postgresql": ("pg_lsclusters", "pg_ctlcluster"),
    "postgresql-client": ("psql", "pg_isready"),
    "rabbitmq-server": ("rabbitmq-server", "rabbitmq-plugins", "rabbitmqctl",
                        "rabbitmq-diagnostics"),
    "prometheus": ("promtool",),
    "chromium": ("chromium",),
    "python3-venv": (),
}
"""The Debian packages the stubs know, and the commands each one brings."""

ALWAYS = ("id", "apt-get", "runuser", "kubectl", "python3")
"""Commands every stub machine has (``python3`` lacks ``ensurepip`` unless told)."""

PROMETHEUS_PORT = 15692
"""RabbitMQ's Prometheus port, which setup probes as it is (not named by any URL)."""

NOT_ROOT = {
    "pg_ctlcluster": "Error: You must run this program as the cluster owner (postgres) or root",
    "rabbitmq-server": "Only root or rabbitmq should run rabbitmq-server",
    "rabbitmq-plugins": "Only root or rabbitmq should run rabbitmq-plugins",
    "rabbitmqctl": "Only root or rabbitmq should run rabbitmqctl",
    "rabbitmq-diagnostics": "Only root or rabbitmq should run rabbitmq-diagnostics",
}
"""The commands that Debian lets only root (or the server's own user) run, and what they say."""

LISTENER = ("import socket, sys, time; s = socket.socket(); "
            "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); "
            "s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen(16); time.sleep(60)")


def free_port() -> int:
    """A TCP port that nothing on 127.0.0.1 listens on (as far as the kernel knows now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Run:
    """What one run of ``scripts/setup`` did."""

    returncode: int
    stdout: str
    stderr: str
    calls: list[list[str]]

    def called(self, *prefix: str) -> list[list[str]]:
        """The calls whose command and first arguments are ``prefix``."""
        return [call for call in self.calls if call[:len(prefix)] == list(prefix)]

    def position(self, *prefix: str) -> int:
        """Where the first call starting with ``prefix`` was made, among all calls."""
        return next(index for index, call in enumerate(self.calls)
                    if call[:len(prefix)] == list(prefix))


class FakeDebian:
    """A machine for ``scripts/setup``: which packages are installed, which servers run
    (``postgres``, ``rabbitmq`` with its plugins, or ``rabbitmq-without-plugins``), whether
    the user is root, and whether ``.venv`` is already prepared."""

    def __init__(self, where: Path, *, root: bool, installed: Collection[str],
                 running: Collection[str] = (), venv: bool = True,
                 ensurepip: bool = True) -> None:
        self.where = where
        self.project = where / "project"
        self.bin = where / "bin"
        self.debs = where / "debs"
        self.state = where / "state"
        self.sandbox = where / "sandbox"
        self.hba = where / "etc" / "pg_hba.conf"
        self.log = where / "calls.log"
        self.ports = {"postgres": free_port(), "amqp": free_port(), "management": free_port()}
        self._listeners: list[socket.socket] = []
        for directory in (self.project / "scripts", self.bin, self.state, self.sandbox,
                          self.hba.parent):
            directory.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "scripts" / "setup", self.project / "scripts" / "setup")
        self.hba.write_text("host all all 127.0.0.1/32 scram-sha-256\n")
        for tool in REAL_TOOLS:
            real = shutil.which(tool)
            assert real, f"{tool} is needed to run scripts/setup"
            (self.bin / tool).symlink_to(real)
        self._write_stubs(root=root)
        if ensurepip:
            (self.state / "venv-module").touch()
        for package in installed:
            self._install(package)
        if "postgresql" in installed:
            (self.state / "clusters").write_text(f"15 main {self.ports['postgres']} down\n")
        if venv:
            self._prepare_venv()
        if "postgres" in running:
            (self.state / f"pg-running-{self.ports['postgres']}").touch()
            self._listen(self.ports["postgres"])
        if "rabbitmq" in running:
            (self.state / "plugins").write_text("rabbitmq_management\nrabbitmq_prometheus\n")
            self._listen(self.ports["amqp"])
            self._listen(self.ports["management"])
            self._listen(PROMETHEUS_PORT, taken_is_fine=True)
        if "rabbitmq-without-plugins" in running:
            self._listen(self.ports["amqp"])

    def _listen(self, port: int, *, taken_is_fine: bool = False) -> None:
        listener = socket.socket()
        try:
            listener.bind(("127.0.0.1", port))
        except OSError:
            listener.close()
            if taken_is_fine:  # something on this machine answers there already
                return
            raise
        listener.listen(16)
        self._listeners.append(listener)

    def _stub(self, name: str, body: str = "", into: Path | None = None) -> None:
        path = (into or self.bin) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        refuse = (f"[[ $(id -u) == 0 ]] || {{ echo {shlex.quote(NOT_ROOT[name])} >&2; exit 1; }}\n"
                  if name in NOT_ROOT else "")
        path.write_text(f"#!/bin/bash\nprintf '%q ' {name} \"$@\" >>{self.log}; "
                        f"echo >>{self.log}\nSTATE={self.state}\n{refuse}{body}\n")
        path.chmod(0o755)

    def _write_stubs(self, *, root: bool) -> None:
        pg, amqp = self.ports["postgres"], self.ports["amqp"]
        deb = self.debs
        self._stub("id", f'[[ $1 == -u ]] && echo {0 if root else 1000}')
        self._stub("apt-get", f"""
policy=missing; [[ -x {self.sandbox}/policy-rc.d ]] && policy="$(cat {self.sandbox}/policy-rc.d)"
echo "policy-rc.d during apt-get: ${{policy//$'\\n'/ }}" >>$STATE/apt-policy
if [[ -e $STATE/apt-interrupt ]]; then  # as Ctrl-C or a kill would: setup, then apt-get
  signal="$(cat $STATE/apt-interrupt)"; kill -"$signal" $PPID; kill -"$signal" $$
fi
[[ $1 == install ]] || exit 0
for package in "$@"; do
  [[ -d {deb}/$package ]] || continue
  cp {deb}/$package/* {self.bin}/ 2>/dev/null || true
  [[ ! -x {deb}/$package.postinst ]] || {deb}/$package.postinst
done""")
        self._stub("runuser", 'while [[ $1 != -- ]]; do shift; done; shift; exec "$@"')
        self._stub("kubectl")
        self._stub("python3", f"""
case "$1 $2" in
  "-c import ensurepip") [[ -e $STATE/venv-module ]] ;;
  "-m venv") mkdir -p "$3/bin" && cp {deb}/venv-python "$3/bin/python" ;;
esac""")
        self._stub("venv-python", """
case "$1" in -V) echo "Python 3.11.2" ;; -) cat >/dev/null ;; esac""", into=deb)
        (deb / "python3-venv.postinst").write_text(f"#!/bin/bash\ntouch {self.state}/venv-module\n")
        (deb / "python3-venv.postinst").chmod(0o755)
        # postgresql: a cluster 15/main on the tests' port, created (stopped) by the install
        self._stub("pg_lsclusters", "cat $STATE/clusters 2>/dev/null", into=deb / "postgresql")
        self._stub("pg_ctlcluster", f"[[ $4 == start ]] && touch $STATE/pg-running-{pg}",
                   into=deb / "postgresql")
        (deb / "postgresql.postinst").write_text(
            f"#!/bin/bash\necho '15 main {pg} down' >{self.state}/clusters\n")
        (deb / "postgresql.postinst").chmod(0o755)
        self._stub("pg_isready", '[[ -e $STATE/pg-running-${@: -1} ]]',
                   into=deb / "postgresql-client")
        self._stub("psql", f'[[ $* == *"show hba_file"* ]] && echo {self.hba}; exit 0',
                   into=deb / "postgresql-client")
        listener = f"{shlex.quote(sys.executable)} -c {shlex.quote(LISTENER)} {amqp}"
        self._stub("rabbitmq-server", f"""
[[ $1 == -detached ]] || exit 1
{listener} </dev/null >/dev/null 2>&1 &
echo $! >$STATE/rabbitmq.pid""", into=deb / "rabbitmq-server")
        self._stub("rabbitmq-plugins", """
case "$1" in
  list) cat $STATE/plugins 2>/dev/null || true ;;
  enable) shift
          for plugin in "$@"; do [[ $plugin == -* ]] || echo "$plugin" >>$STATE/plugins; done ;;
esac""", into=deb / "rabbitmq-server")
        self._stub("rabbitmqctl", into=deb / "rabbitmq-server")
        self._stub("rabbitmq-diagnostics", "exit 69", into=deb / "rabbitmq-server")
        self._stub("promtool", into=deb / "prometheus")
        self._stub("chromium", into=deb / "chromium")

    def _install(self, package: str) -> None:
        for command in PACKAGES[package]:
            shutil.copy(self.debs / package / command, self.bin / command)

    def _prepare_venv(self) -> None:
        (self.project / "pyproject.toml").write_text("[project]\nname = 'fake'\n")
        (self.project / "constraints.txt").write_text("fake==1\n")
        venv = self.project / ".venv"
        (venv / "bin").mkdir(parents=True)
        shutil.copy(self.debs / "venv-python", venv / "bin" / "python")
        digest = hashlib.sha256(b"[project]\nname = 'fake'\nfake==1\n").hexdigest()
        (venv / ".kerjasama-installed").write_text(digest + "\n")

    def run(self, *arguments: str, urls: dict[str, str] | None = None) -> Run:
        """Run the copied ``scripts/setup`` with ``arguments``; the services' URLs name this
        machine's ports unless ``urls`` gives others."""
        if not (self.project / "pyproject.toml").exists():
            (self.project / "pyproject.toml").write_text("[project]\nname = 'fake'\n")
            (self.project / "constraints.txt").write_text("fake==1\n")
        pg, amqp, management = (self.ports[name] for name in ("postgres", "amqp", "management"))
        environment = {
            "PATH": str(self.bin), "HOME": str(self.where), "LANG": "C.UTF-8",
            "KERJASAMA_SETUP_SANDBOX": str(self.sandbox),
            "KERJASAMA_AMQP_URL": f"amqp://guest:guest@127.0.0.1:{amqp}/",
            "KERJASAMA_RABBITMQ_MANAGEMENT_URL": f"http://guest:guest@127.0.0.1:{management}/",
            **{f"KERJASAMA_{service}_DATABASE_URL":
               f"postgresql://postgres@127.0.0.1:{pg}/kerjasama_{service.lower()}"
               for service in ("AGREEMENTS", "NOTIFICATIONS", "REPORTING")},
            **(urls or {}),
        }
        self.log.write_text("")
        done = subprocess.run([str(self.project / "scripts" / "setup"), *arguments],
                              env=environment, capture_output=True, text=True, timeout=60)
        calls = [shlex.split(line) for line in self.log.read_text().splitlines()]
        return Run(done.returncode, done.stdout, done.stderr, calls)

    def interrupt_apt_with(self, signal_name: str) -> None:
        """Have ``apt-get`` send ``signal_name`` (``INT``, ``TERM``) to setup, then die of it."""
        (self.state / "apt-interrupt").write_text(signal_name)

    def policy_during_apt(self) -> str:
        """What the policy-rc.d said while apt-get ran ("missing" if there was none)."""
        return (self.state / "apt-policy").read_text()

    def close(self) -> None:
        """Stop the listeners, and the broker a stub ``rabbitmq-server`` started."""
        for listener in self._listeners:
            listener.close()
        pid_file = self.state / "rabbitmq.pid"
        if pid_file.exists():
            try:
                os.kill(int(pid_file.read_text()), signal.SIGTERM)
            except ProcessLookupError:
                pass
