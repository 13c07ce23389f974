"""``python -m bench.profile``: where the time goes, per service, under the benchmark's load.

Usage: ``.venv/bin/python -m bench.profile [--load burst|signings] [--seconds 15]
[--top 25] [--out DIR] [--native]``.

Starts the system as in ``python -m bench`` (real processes, fresh databases and vhost),
puts it under one load — ``burst``: 16 clients proposing over HTTP, as the HTTP and
end-to-end rows; ``signings``: the latency row's signings at 200/s — and samples every
service with py-spy (``pip install py-spy``; a development tool, not a dependency of the
services) for the whole load. Prints, per service, the functions with the most samples on
the stack (inclusive) and on top of it (self), and keeps the collapsed stacks in ``--out``
for a flame graph. First it prints the CPU each process group spent per command during
the load (the services, the mail catcher, PostgreSQL, RabbitMQ, this benchmark's own
HTTP clients): on two shared cores, that is what bounds the rates.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from bench import system

GROUPS = ("services.agreements", "services.notifications", "services.reporting",
          "services.mailcatcher", "postgres", "beam.smp", "py-spy")


def cpu_seconds() -> dict[int, tuple[str, float]]:
    """Every process's command line and CPU seconds so far (user + system)."""
    ticks = os.sysconf("SC_CLK_TCK")
    found: dict[int, tuple[str, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        found[int(entry.name)] = (command, (int(fields[11]) + int(fields[12])) / ticks)
    return found


def cpu_split(before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]],
              commands: int) -> str:
    """CPU per command of each group of processes between two :func:`cpu_seconds`."""
    totals: Counter[str] = Counter()
    for pid, (command, seconds) in after.items():
        group = next((g for g in GROUPS if g in command),
                     "this benchmark (clients)" if pid == os.getpid() else "other")
        totals[group] += seconds - before.get(pid, (command, 0.0))[1]
    lines = [f"CPU per command over {commands} commands:"]
    lines += [f"  {group:28s} {1000 * seconds / max(commands, 1):6.2f} ms"
              for group, seconds in totals.most_common()]
    return "\n".join(lines)


def summarize(collapsed: Path, top: int) -> str:
    """The top inclusive and self frames of a py-spy collapsed-stack file."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = [f.split(" (")[0] + " (" + f.split(" (")[-1].split(":")[0].rsplit("/", 2)[-1]
                  + ")" if " (" in f else f for f in stack.split(";")]
        for frame in set(frames):
            inclusive[frame] += count
        own[frames[-1]] += count
    if not total:
        return "  (no samples)"
    lines = [f"  {total} samples"]
    lines += ["  inclusive:"] + [f"    {100 * n / total:5.1f}%  {frame}"
                                 for frame, n in inclusive.most_common(top)]
    lines += ["  self:"] + [f"    {100 * n / total:5.1f}%  {frame}"
                            for frame, n in own.most_common(top)]
    return "\n".join(lines)


async def run(spy: str, load: str, seconds: float, top: int, out: Path,
              native: bool) -> None:
    async with system.running_system() as (running, amqp_url):
        spies = {}
        for name, process in running.processes.items():
            assert process.process is not None
            target = out / f"{name}.collapsed"
            spies[name] = (target, await asyncio.create_subprocess_exec(
                spy, "record", "--pid", str(process.process.pid), "--format", "raw",
                "--rate", "200", "--duration", str(int(seconds) + 30), "--nonblocking",
                "--output", str(target), *(["--native"] if native else []),
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        await asyncio.sleep(1)
        before = cpu_seconds()
        if load == "burst":
            figures = await system.http_burst(running, seconds)
            commands = int(figures["burst_commands"])
        else:
            figures = await system.kpi_latency(running, amqp_url, signings=int(seconds * 200))
            commands = int(seconds * 200)
        split = cpu_split(before, cpu_seconds(), commands)
        for _, spy_process in spies.values():
            spy_process.send_signal(2)  # SIGINT: py-spy writes what it has
        for _, spy_process in spies.values():
            await asyncio.wait_for(spy_process.wait(), 30)
    print(f"load {load}: " + ", ".join(f"{k} {v:.0f}" for k, v in figures.items()
                                        if isinstance(v, float)))
    print(split)
    for name, (target, _) in spies.items():
        print(f"\n== {name}")
        print(summarize(target, top) if target.exists() else "  (py-spy wrote nothing)")
    print(f"\ncollapsed stacks in {out}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("--load", choices=("burst", "signings"), default="burst")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--native", action="store_true",
                        help="sample C frames too (uvloop, asyncpg, pydantic-core)")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="kerjasama-profile-"))
    out.mkdir(parents=True, exist_ok=True)
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        raise SystemExit("bench.profile: py-spy is not installed (pip install py-spy)")
    asyncio.run(run(spy, args.load, args.seconds, args.top, out, args.native))


if __name__ == "__main__":
    main()
