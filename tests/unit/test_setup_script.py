"""``scripts/setup`` installs what is missing as root, says what to run otherwise, starts
what is stopped and leaves alone what runs or lives elsewhere (on a stub Debian machine:
tests.fake_debian)."""

from __future__ import annotations

import signal
from collections.abc import Callable, Collection, Iterator
from pathlib import Path

import pytest

from tests.fake_debian import FakeDebian

SERVERS = ("postgresql", "postgresql-client", "rabbitmq-server")
TOOLS = ("prometheus", "chromium")
EVERYTHING = {*SERVERS, *TOOLS}

MakeMachine = Callable[..., FakeDebian]


def commands_to_run(output: str) -> list[str]:
    """The commands that setup's output sets apart to be run (indented by four spaces)."""
    return [line[4:] for line in output.splitlines() if line.startswith("    ")]


@pytest.fixture
def machine(tmp_path: Path) -> Iterator[MakeMachine]:
    made: list[FakeDebian] = []

    def make(*, root: bool, installed: Collection[str], running: Collection[str] = (),
             venv: bool = True, ensurepip: bool = True) -> FakeDebian:
        made.append(FakeDebian(tmp_path / f"machine{len(made)}", root=root,
                               installed=installed, running=running, venv=venv,
                               ensurepip=ensurepip))
        return made[-1]

    yield make
    for each in made:
        each.close()


def test_as_root_the_missing_packages_are_installed_in_one_apt_line_then_the_servers_start(
        machine: MakeMachine) -> None:
    debian = machine(root=True, installed={"prometheus"})

    run = debian.run()

    assert run.returncode == 0, run.stderr
    installs = run.called("apt-get", "install")
    assert len(installs) == 1
    assert installs[0][:4] == ["apt-get", "install", "-y", "-qq"]
    assert "--no-install-recommends" in installs[0]
    assert sorted(installs[0][5:]) == sorted([*SERVERS, "chromium"])
    assert "policy-rc.d during apt-get: #!/bin/sh exit 101" in debian.policy_during_apt()
    assert not (debian.sandbox / "policy-rc.d").exists(), "the policy outlives the install"
    started = [run.position("pg_ctlcluster", "--skip-systemctl-redirect", "15", "main", "start"),
               run.position("rabbitmq-server", "-detached")]
    assert all(position > run.position("apt-get", "install") for position in started)
    assert run.called("rabbitmq-plugins", "enable", "--quiet",
                      "rabbitmq_management", "rabbitmq_prometheus")
    assert "setup: PostgreSQL ready on 127.0.0.1:" in run.stdout
    assert "setup: RabbitMQ management API ready" in run.stdout


def test_a_postgresql_that_setup_installed_lets_postgres_log_in_from_127_0_0_1_without_password(
        machine: MakeMachine) -> None:
    debian = machine(root=True, installed={"rabbitmq-server", *TOOLS}, running={"rabbitmq"})

    run = debian.run()

    assert run.returncode == 0, run.stderr
    hba = debian.hba.read_text().splitlines()
    rules = [line for line in hba if line and not line.startswith("#")]
    assert rules[0] == "host all all 127.0.0.1/32 trust", "trust must come before scram"
    assert rules[-1] == "host all all 127.0.0.1/32 scram-sha-256"
    reload = run.position("psql", "-p", str(debian.ports["postgres"]), "-XtAqc",
                          "select pg_reload_conf()")
    assert reload > run.position("pg_ctlcluster")
    assert reload < run.position("psql", "postgresql://postgres@127.0.0.1:"
                                 f"{debian.ports['postgres']}/postgres")


def test_not_root_stops_before_any_change_and_prints_the_exact_apt_line(
        machine: MakeMachine) -> None:
    debian = machine(root=False, installed=(), venv=False)

    run = debian.run()

    assert run.returncode == 1
    assert "Run as root (in a root shell: sudo -i, or su -), then run this again:" in run.stderr
    assert commands_to_run(run.stderr) == [
        "apt-get update && apt-get install -y --no-install-recommends postgresql "
        "postgresql-client rabbitmq-server prometheus chromium"]
    assert "nothing was changed" in run.stderr
    assert not run.called("apt-get")
    assert not run.called("python3", "-m", "venv")
    assert not (debian.project / ".venv").exists()


def test_not_root_with_only_test_tools_missing_warns_with_the_apt_line_and_goes_on(
        machine: MakeMachine) -> None:
    debian = machine(root=False, installed=SERVERS, running={"postgres", "rabbitmq"})

    run = debian.run()

    assert run.returncode == 0, run.stderr
    assert ("warning: promtool, chromium missing; the tests that need it fail. To install, as "
            "root (in a root shell: sudo -i, or su -): apt-get update && apt-get install -y "
            "--no-install-recommends prometheus chromium") in run.stdout
    assert not run.called("apt-get")


def test_installed_but_stopped_servers_are_started_without_apt_and_keep_their_logins(
        machine: MakeMachine) -> None:
    debian = machine(root=True, installed=EVERYTHING)
    hba = debian.hba.read_text()

    run = debian.run()

    assert run.returncode == 0, run.stderr
    assert not run.called("apt-get")
    assert run.called("pg_ctlcluster", "--skip-systemctl-redirect", "15", "main", "start")
    assert run.called("rabbitmq-server", "-detached")
    assert run.called("rabbitmq-plugins", "enable")
    assert debian.hba.read_text() == hba, "only a cluster setup installed is opened up"
    assert not run.called("runuser")


STOPPED = {
    "all stopped": ((), [
        "pg_ctlcluster 15 main start",
        "rabbitmq-plugins enable --offline rabbitmq_management rabbitmq_prometheus",
        "rabbitmq-server -detached"]),
    "plugins off": ({"postgres", "rabbitmq-without-plugins"},
                    ["rabbitmq-plugins enable rabbitmq_management rabbitmq_prometheus"]),
}


@pytest.mark.parametrize(("running", "commands"), STOPPED.values(), ids=STOPPED.keys())
def test_not_root_with_servers_stopped_stops_before_any_change_with_the_commands_for_root(
        machine: MakeMachine, running: Collection[str], commands: list[str]) -> None:
    debian = machine(root=False, installed=EVERYTHING, running=running, venv=False)

    run = debian.run()

    assert run.returncode == 1
    assert "nothing was changed" in run.stderr
    assert "Run as root (in a root shell: sudo -i, or su -), then run this again:" in run.stderr
    assert commands_to_run(run.stderr) == commands
    changes = [call for call in run.calls
               if call[0] in {"pg_ctlcluster", "rabbitmq-server"}
               or call[:2] in (["rabbitmq-plugins", "enable"], ["python3", "-m"])]
    assert changes == []
    assert not (debian.project / ".venv").exists()


def test_not_root_with_a_server_missing_and_one_stopped_prints_the_install_then_the_start(
        machine: MakeMachine) -> None:
    debian = machine(root=False, installed={"rabbitmq-server", *TOOLS})

    run = debian.run()

    assert run.returncode == 1
    assert ("missing: PostgreSQL, PostgreSQL's client (psql, pg_isready); stopped: RabbitMQ; "
            "to enable: RabbitMQ's plugins rabbitmq_management, rabbitmq_prometheus") in run.stderr
    assert commands_to_run(run.stderr) == [
        "apt-get update && apt-get install -y --no-install-recommends postgresql "
        "postgresql-client",
        "rabbitmq-plugins enable --offline rabbitmq_management rabbitmq_prometheus",
        "rabbitmq-server -detached"]
    assert not run.called("rabbitmq-server")


def test_not_root_dry_run_says_it_would_stop_with_the_same_commands_and_not_that_it_would_start(
        machine: MakeMachine) -> None:
    debian = machine(root=False, installed=EVERYTHING, venv=False)

    run = debian.run("--dry-run")

    assert run.returncode == 0, run.stderr
    assert "setup: would stop before changing anything: stopped: PostgreSQL 15/main, RabbitMQ" \
        in run.stdout
    assert commands_to_run(run.stdout) == STOPPED["all stopped"][1]
    assert "would start" not in run.stdout
    assert "would create .venv" not in run.stdout
    assert run.stdout.endswith("setup: dry run: nothing was changed\n")
    assert not run.called("pg_ctlcluster")
    assert not run.called("rabbitmq-server")


@pytest.mark.parametrize("signal_name", ["INT", "TERM"])
def test_an_install_interrupted_by_a_signal_leaves_no_policy_rc_d_behind(
        machine: MakeMachine, signal_name: str) -> None:
    debian = machine(root=True, installed={*SERVERS, "prometheus"},
                     running={"postgres", "rabbitmq"})
    debian.interrupt_apt_with(signal_name)

    run = debian.run()

    assert run.returncode == -signal.Signals[f"SIG{signal_name}"], run.stderr
    assert "policy-rc.d during apt-get: #!/bin/sh exit 101" in debian.policy_during_apt()
    assert not (debian.sandbox / "policy-rc.d").exists(), "the policy outlives setup"


def test_a_policy_rc_d_that_was_there_before_is_left_in_place(machine: MakeMachine) -> None:
    debian = machine(root=True, installed={*SERVERS, "prometheus"},
                     running={"postgres", "rabbitmq"})
    policy = debian.sandbox / "policy-rc.d"
    policy.write_text("#!/bin/sh\n# the administrator's\nexit 0\n")
    policy.chmod(0o755)

    run = debian.run()

    assert run.returncode == 0, run.stderr
    assert run.called("apt-get", "install")
    assert policy.read_text() == "#!/bin/sh\n# the administrator's\nexit 0\n"


@pytest.mark.parametrize("root", [True, False], ids=["root", "user"])
def test_with_everything_installed_and_running_nothing_is_installed_or_started(
        machine: MakeMachine, root: bool) -> None:
    debian = machine(root=root, installed=EVERYTHING, running={"postgres", "rabbitmq"})

    run = debian.run()

    assert run.returncode == 0, run.stderr
    changes = [call for call in run.calls
               if call[0] in {"apt-get", "pg_ctlcluster", "rabbitmq-server", "runuser"}
               or call[:2] == ["rabbitmq-plugins", "enable"]
               or call[1:3] == ["-m", "pip"]]
    assert changes == []
    assert "RabbitMQ ready on 127.0.0.1:" in run.stdout


def test_dry_run_prints_the_apt_line_and_the_starts_and_changes_nothing(
        machine: MakeMachine) -> None:
    debian = machine(root=True, installed={"prometheus"}, venv=False, ensurepip=False)

    run = debian.run("--dry-run")

    assert run.returncode == 0, run.stderr
    assert ("setup: would run: apt-get install -y --no-install-recommends python3-venv "
            "postgresql postgresql-client rabbitmq-server chromium") in run.stdout
    assert "would create .venv" in run.stdout
    assert "would start the new PostgreSQL cluster on port" in run.stdout
    assert "would start RabbitMQ (rabbitmq-server -detached)" in run.stdout
    assert "would enable RabbitMQ plugins: rabbitmq_management rabbitmq_prometheus" in run.stdout
    assert {call[0] for call in run.calls} <= {"id", "python3"}
    assert not run.called("python3", "-m")
    assert not (debian.project / ".venv").exists()
    assert not (debian.sandbox / "policy-rc.d").exists()


def test_a_missing_venv_module_is_installed_and_the_venv_made_with_it(
        machine: MakeMachine) -> None:
    debian = machine(root=True, installed=EVERYTHING, running={"postgres", "rabbitmq"},
                     venv=False, ensurepip=False)

    run = debian.run()

    assert run.returncode == 0, run.stderr
    assert [call[5:] for call in run.called("apt-get", "install")] == [["python3-venv"]]
    assert run.position("python3", "-m", "venv") > run.position("apt-get", "install")
    assert run.called("venv-python", "-m", "pip", "install")


def test_servers_that_the_urls_place_on_other_hosts_are_left_alone(
        machine: MakeMachine) -> None:
    debian = machine(root=True, installed=TOOLS)
    elsewhere = {
        "KERJASAMA_AMQP_URL": "amqp://kerjasama:secret@mq.example.org:5672/",
        "KERJASAMA_RABBITMQ_MANAGEMENT_URL": "https://kerjasama:secret@mq.example.org/",
        **{f"KERJASAMA_{service}_DATABASE_URL": "postgresql://k:s@db.example.org/k"
           for service in ("AGREEMENTS", "NOTIFICATIONS", "REPORTING")},
    }

    run = debian.run(urls=elsewhere)

    assert run.returncode == 0, run.stderr
    assert {call[0] for call in run.calls} <= {"id", "kubectl", "venv-python"}
    assert "PostgreSQL ready" not in run.stdout
    assert "RabbitMQ ready" not in run.stdout


def test_an_unknown_argument_is_refused_with_what_is_accepted(machine: MakeMachine) -> None:
    debian = machine(root=True, installed=())

    run = debian.run("--yes")

    assert run.returncode == 2
    assert "unknown argument --yes; accepted: --dry-run" in run.stderr
    assert run.calls == []
