"""On a bare Debian 12, ``./scripts/setup`` and ``./scripts/test`` set everything up and the
tests pass (slow: not in the default suite; needs root, Debian's mirrors and PyPI).

A minimal bookworm (``mmdebstrap --variant=minbase``: no Python, no PostgreSQL, no RabbitMQ)
gets a clone of this checkout and a ``policy-rc.d`` that refuses service starts, so no
package starts a server. Everything inside runs in its own network, mount, PID and UTS
namespaces: its own loopback, so its PostgreSQL and RabbitMQ take 5432 and 5672 without
touching this machine's; ``slirp4netns`` gives it outbound traffic only (apt and pip), and
the mounts (/proc, /dev) exist only in its mount namespace and vanish with it, whatever
way the run ends. There, as root: ``scripts/setup --dry-run`` (prints the apt line,
changes nothing), ``scripts/setup`` (installs and starts everything), then
``scripts/test`` on a smoke subset of the integration tests against the chroot's servers.

    .venv/bin/pytest -m slow tests/e2e/test_setup_bare_debian.py -s
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
MIRRORS = ("deb http://deb.debian.org/debian bookworm main",
           "deb http://deb.debian.org/debian bookworm-updates main",
           "deb http://deb.debian.org/debian-security bookworm-security main")
HOST_TOOLS = {"mmdebstrap": "mmdebstrap", "slirp4netns": "slirp4netns", "unshare": "util-linux",
              "ip": "iproute2", "git": "git"}
"""Commands this test runs on the host, and the Debian package of each."""
SMOKE = ("tests/integration/test_plumbing_db.py", "tests/integration/test_plumbing_amqp.py",
         "tests/integration/test_plumbing_topology.py",
         "tests/integration/agreements/test_event_store.py")
"""The tests run inside: PostgreSQL, RabbitMQ with its management API, and an event store."""
TIME_BOX = 45 * 60

INSIDE = """
cd /srv/kerjasama
echo '== dry-run'; ./scripts/setup --dry-run; echo "== rc $?"
echo '== psql after the dry run'; command -v psql; echo "== rc $?"
echo '== setup'; ./scripts/setup; echo "== rc $?"
echo '== test'; ./scripts/test {smoke} -p no:cacheprovider; echo "== rc $?"
"""

NAMESPACE = """
set -eu
root="$1"
PATH="$PATH:/usr/sbin:/sbin"
echo bookworm >/proc/sys/kernel/hostname
ip link set lo up
tries=0
until ip -4 addr show dev tap0 2>/dev/null | grep -q inet; do
  tries=$((tries + 1)); [ "$tries" -lt 100 ] || { echo 'no network from slirp4netns'; exit 90; }
  sleep 0.1
done
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
mount -t tmpfs -o mode=1777 shm "$root/dev/shm"
script="$2"
shift 2
exec chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@" /bin/bash -c "$script"
"""
"""Run by the host's ``sh`` inside the new namespaces (arguments: the root, the script, and
the chroot's environment beyond HOME, LANG, TERM and PATH), as their PID 1 once it becomes
the chroot's ``bash``: when that ends, the kernel ends every process left (the servers)."""
PASSED_ON = ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_DEFAULT_TIMEOUT", "http_proxy",
             "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY")
"""This machine's settings for reaching PyPI that the chroot gets too (not its local
wheel directories: the chroot downloads what it installs)."""


@pytest.fixture(scope="session", autouse=True)
def _no_test_touches_the_default_vhost() -> None:
    """Nothing here uses this machine's broker (the chroot runs its own)."""


def host_tools() -> None:
    """The host's tools are there: installed with apt-get as root when missing, else a
    failure that says what to install (never a skip)."""
    missing = sorted({package for command, package in HOST_TOOLS.items()
                      if not shutil.which(command, path=os.environ["PATH"] + ":/usr/sbin:/sbin")})
    also = f"; and apt-get install {' '.join(missing)}" if missing else ""
    if os.geteuid() != 0:
        pytest.fail("building and entering the Debian 12 chroot needs root (mmdebstrap"
                    f" --mode=root, chroot, unshare){also}")
    if missing:
        if not shutil.which("apt-get"):
            pytest.fail(f"missing {', '.join(missing)} and no apt-get to install them")
        installed = subprocess.run(
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"}, capture_output=True,
            text=True)
        assert installed.returncode == 0, f"apt-get install: {installed.stderr}"


def network_settings(root: Path) -> list[str]:
    """KEY=VALUE settings that let pip in the chroot reach PyPI as it does here: those of
    PASSED_ON that name no local file, and this machine's CA bundle, copied in (a network
    that inspects TLS signs with its own CA; a bare Debian has no ca-certificates)."""
    settings = [f"{name}={os.environ[name]}" for name in PASSED_ON
                if os.environ.get(name) and "file:" not in os.environ[name]]
    bundles = [os.environ.get(name) for name in ("PIP_CERT", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")]
    bundle = next((Path(path) for path in [*bundles, "/etc/ssl/certs/ca-certificates.crt"]
                   if path and Path(path).is_file()), None)
    if bundle:
        (root / "etc/ssl").mkdir(exist_ok=True)
        shutil.copy(bundle, root / "etc/ssl/host-ca-bundle.crt")
        settings.append("PIP_CERT=/etc/ssl/host-ca-bundle.crt")
    return settings


def mounts_under(path: Path) -> list[str]:
    """The mount points of this (the host's) mount namespace under ``path``."""
    with open("/proc/self/mountinfo") as mountinfo:
        points = [line.split()[4] for line in mountinfo]
    return [point for point in points if point == str(path) or point.startswith(f"{path}/")]


@pytest.fixture
def bookworm(tmp_path: Path) -> Iterator[Path]:
    """A minimal Debian 12 root file system with a clone of this checkout in
    /srv/kerjasama and a policy-rc.d that refuses to start services; removed afterwards."""
    host_tools()
    root = tmp_path / "bookworm"
    started = time.monotonic()
    built = subprocess.run(["mmdebstrap", "--mode=root", "--variant=minbase", "bookworm",
                            str(root), *MIRRORS], capture_output=True, text=True, timeout=900)
    assert built.returncode == 0, f"mmdebstrap failed:\n{built.stderr[-3000:]}"
    print(f"\nmmdebstrap: minimal bookworm in {time.monotonic() - started:.0f} s")
    policy = root / "usr/sbin/policy-rc.d"  # after mmdebstrap, which removes its own
    policy.write_text("#!/bin/sh\n# no service starts in this chroot\nexit 101\n")
    policy.chmod(0o755)
    (root / "etc/hostname").write_text("bookworm\n")  # and /etc/hosts, as the installer writes
    (root / "etc/hosts").write_text("127.0.0.1\tlocalhost\n127.0.1.1\tbookworm\n"
                                    "::1\tlocalhost ip6-localhost ip6-loopback\n")
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(ROOT),
                    str(root / "srv/kerjasama")], check=True)
    try:
        yield root
    finally:
        assert not mounts_under(root), "a mount of the chroot reached the host's namespace"
        shutil.rmtree(root, ignore_errors=True)


def run_inside(root: Path, script: str, log: Path) -> tuple[int, str]:
    """Run ``script`` with bash in the chroot, in new namespaces with outbound networking by
    slirp4netns; its output goes to ``log``. Everything inside ends with it."""
    with log.open("w") as output:
        inside = subprocess.Popen(
            ["unshare", "--net", "--mount", "--uts", "--pid", "--fork", "--kill-child",
             "--propagation", "private", "sh", "-c", NAMESPACE, "namespace", str(root), script,
             *network_settings(root)],
            stdout=output, stderr=subprocess.STDOUT)
        network = subprocess.Popen(
            ["slirp4netns", "--configure", "--mtu=65520", "--disable-host-loopback",
             str(inside.pid), "tap0"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            returncode = inside.wait(timeout=TIME_BOX)
        except subprocess.TimeoutExpired:
            inside.kill()  # --kill-child: its PID 1, and with it every process inside, ends
            inside.wait()
            returncode = -1
        finally:
            network.terminate()
            network.wait()
    return returncode, log.read_text()


def sections(output: str) -> dict[str, tuple[str, int]]:
    """The output of each ``== name`` section of INSIDE, and its exit status."""
    found = {}
    for name, text, code in re.findall(r"^== (.+?)\n(.*?)^== rc (\d+)$", output, re.S | re.M):
        found[name] = (text, int(code))
    return found


def test_setup_and_test_on_a_bare_debian_12_install_start_and_pass(
        bookworm: Path, tmp_path: Path) -> None:
    started = time.monotonic()
    returncode, output = run_inside(bookworm, INSIDE.format(smoke=" ".join(SMOKE)),
                                    tmp_path / "inside.log")
    print(f"inside the chroot: {time.monotonic() - started:.0f} s, exit {returncode}\n"
          f"{output[-6000:]}")
    assert returncode != -1, f"not done within {TIME_BOX // 60} minutes"
    steps = sections(output)

    dry_run, code = steps["dry-run"]
    assert code == 0
    assert re.search(r"^setup: would run: apt-get install -y --no-install-recommends python3 "
                     r"python3-venv postgresql postgresql-client rabbitmq-server prometheus "
                     r"chromium ", dry_run, re.M), dry_run
    assert steps["psql after the dry run"][1] != 0, "the dry run installed something"

    setup, code = steps["setup"]
    assert code == 0, setup
    assert "setup: installing from Debian's packages: python3 python3-venv postgresql" in setup
    assert "setup: PostgreSQL ready on 127.0.0.1:5432" in setup
    assert "setup: RabbitMQ management API ready on 127.0.0.1:15672" in setup

    tests, code = steps["test"]
    assert "installing" not in tests.split("\n== ", 1)[0], "the second setup installed again"
    assert re.search(r"^=+ \d+ passed", tests, re.M), tests[-3000:]
    assert code == 0, tests[-3000:]
