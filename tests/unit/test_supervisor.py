"""The supervisor runs services as processes and stops them all together."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from services.supervisor import Service, arguments, console, discover, mail_catcher, supervise

ROOT = Path(__file__).resolve().parents[2]

# A stand-in for a service: answers /readyz, and records how it ended in its marker file.
FAKE_SERVICE = """
import http.server, os, signal, sys, time
port, marker, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]
if mode == "crash":
    time.sleep(1)  # time for the others to start
    sys.exit(3)
def on_sigterm(*_):
    open(marker, "w").write("stopped by SIGTERM")
    sys.exit(0)
signal.signal(signal.SIGTERM, signal.SIG_IGN if mode == "stubborn" else on_sigterm)
open(marker, "w").write(f"running {os.getpid()}")
class Ready(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/readyz" else 404)
        self.end_headers()
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", port), Ready).serve_forever()
"""

# Runs the supervisor on services given as JSON: [[name, port, mode], ...].
RUNNER = """
import asyncio, json, sys
from services.supervisor import Service, supervise
fake, specs = sys.argv[1], json.loads(sys.argv[2])
services = [
    Service(name, [sys.executable, fake, str(port), f"{sys.argv[3]}/{name}", mode],
            f"http://127.0.0.1:{port}")
    for name, port, mode in specs
]
sys.exit(asyncio.run(supervise(services, ready_timeout=10, stop_timeout=0.5)))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_supervisor(tmp_path: Path, specs: list[tuple[str, int, str]]) -> subprocess.Popen[str]:
    fake = tmp_path / "fake_service.py"
    fake.write_text(FAKE_SERVICE)
    command = [sys.executable, "-c", RUNNER, str(fake), json.dumps(specs), str(tmp_path)]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def wait_until_ready(port: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def finish(supervisor: subprocess.Popen[str]) -> tuple[int, str]:
    output, _ = supervisor.communicate(timeout=15)
    return supervisor.returncode, output


def pid_in(marker: Path) -> int:
    state, pid = marker.read_text().split()
    assert state == "running"
    return int(pid)


def is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_sigterm_stops_every_service_cleanly(tmp_path):
    ports = [free_port(), free_port()]
    supervisor = start_supervisor(tmp_path, [("one", ports[0], "ok"), ("two", ports[1], "ok")])
    for port in ports:
        wait_until_ready(port)
    assert supervisor.stdout is not None
    console = []
    for line in supervisor.stdout:
        console.append(line)
        if line.startswith("Press Ctrl-C to stop."):
            break
    # the console: a line per service once the supervisor saw it ready, then where
    # everything is; not the steps
    assert console[:3] == [f"one: ready on http://127.0.0.1:{ports[0]}\n",
                           f"two: ready on http://127.0.0.1:{ports[1]}\n", "\n"], console
    assert console[3] == "kerjasama is running:\n"

    supervisor.send_signal(signal.SIGTERM)

    status, output = finish(supervisor)
    assert status == 0, output
    assert (tmp_path / "one").read_text() == "stopped by SIGTERM"
    assert (tmp_path / "two").read_text() == "stopped by SIGTERM"
    assert output.splitlines()[-2:] == ["supervisor: stopping", "supervisor: stopped"], output


def test_a_crashing_service_stops_the_others_and_fails(tmp_path):
    ports = [free_port(), free_port()]
    supervisor = start_supervisor(
        tmp_path, [("steady", ports[0], "ok"), ("crashing", ports[1], "crash")]
    )

    status, output = finish(supervisor)

    assert status == 1, output
    assert "crashing exited with status 3" in output
    assert (tmp_path / "steady").read_text() == "stopped by SIGTERM"


def test_a_service_that_ignores_sigterm_is_killed_after_the_grace_period(tmp_path):
    port = free_port()
    supervisor = start_supervisor(tmp_path, [("stubborn", port, "stubborn")])
    wait_until_ready(port)
    pid = pid_in(tmp_path / "stubborn")

    supervisor.send_signal(signal.SIGTERM)

    status, output = finish(supervisor)
    assert status == 0, output
    assert "killing what did not stop" in output
    assert not is_alive(pid)


def test_only_services_with_a_main_module_are_started(tmp_path, monkeypatch):
    (tmp_path / "services" / "agreements").mkdir(parents=True)
    (tmp_path / "services" / "agreements" / "__main__.py").write_text("")
    (tmp_path / "services" / "reporting").mkdir()
    monkeypatch.setenv("KERJASAMA_AGREEMENTS_PORT", "9101")

    services = discover(tmp_path)

    assert [(s.name, s.base_url) for s in services] == [("agreements", "http://127.0.0.1:9101")]
    assert services[0].command[1:] == ("-m", "services.agreements")


async def test_a_port_already_in_use_stops_the_start_with_a_clear_message(
        capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        service = Service("agreements", ("true",), f"http://127.0.0.1:{port}")
        assert await supervise([service]) == 1
    assert f"port {port} of agreements is already in use" in capsys.readouterr().err


CONSOLE_SETTINGS = ("KERJASAMA_VERBOSE", "KERJASAMA_LOG_LEVEL", "KERJASAMA_ACCESS_LOG",
                    "KERJASAMA_LOG_FORMAT", "KERJASAMA_SMTP_HOST", "KERJASAMA_SMTP_PORT")


@pytest.fixture
def unset(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """None of the console's settings set; whatever console() sets is undone after."""
    for name in CONSOLE_SETTINGS:
        monkeypatch.setenv(name, "")  # so that the undo removes what the test sets
        monkeypatch.delenv(name)
    monkeypatch.setenv("KERJASAMA_SMTP_PORT", str(free_port()))  # nobody listens there
    return monkeypatch


def test_run_takes_verbose_and_refuses_anything_else(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert arguments([]).verbose is False
    assert arguments(["--verbose"]).verbose is True
    assert arguments(["-v"]).verbose is True
    with pytest.raises(SystemExit) as refused:
        arguments(["--loud"])
    assert refused.value.code == 2
    assert "unrecognized arguments: --loud" in capsys.readouterr().err


def test_by_default_every_process_of_the_run_logs_only_warnings_and_errors(
        unset: pytest.MonkeyPatch) -> None:
    settings = console(verbose=False)
    assert (settings.log_level, settings.verbose, settings.access_log) == (
        "WARNING", False, False)
    assert os.environ["KERJASAMA_LOG_LEVEL"] == "WARNING"  # what the services inherit
    assert "KERJASAMA_VERBOSE" not in os.environ
    catcher = mail_catcher(quiet=not settings.verbose)
    assert catcher is not None and "--quiet" in catcher  # no line per mail


def test_verbose_shows_every_step_request_message_and_mail(
        unset: pytest.MonkeyPatch) -> None:
    settings = console(verbose=True)
    assert (settings.log_level, settings.verbose, settings.access_log) == ("INFO", True, True)
    assert (os.environ["KERJASAMA_VERBOSE"], os.environ["KERJASAMA_ACCESS_LOG"]) == (
        "true", "true")
    catcher = mail_catcher(quiet=not settings.verbose)
    assert catcher is not None and "--quiet" not in catcher


def test_the_verbose_setting_is_the_same_as_the_option_and_a_chosen_level_stays(
        unset: pytest.MonkeyPatch) -> None:
    unset.setenv("KERJASAMA_VERBOSE", "yes")
    unset.setenv("KERJASAMA_LOG_LEVEL", "debug")
    settings = console(verbose=False)
    assert (settings.log_level, settings.verbose) == ("DEBUG", True)
    assert os.environ["KERJASAMA_VERBOSE"] == "true"
