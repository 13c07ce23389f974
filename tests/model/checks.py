"""The running system against the oracle: figures, notices, agreement views, dead letters.

:class:`World` talks to the three services over HTTP (synchronous clients: Hypothesis
runs in a worker thread) and to the broker's management API on the test's event loop.
Examples share the system, so what an example may be blamed for is what it changed: a
figure that already differed from the oracle when the example started fails it only if
the example moved the difference (its offset), and dead letters and parked streams are
counted from where the previous example left them.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from datetime import date
from typing import Any, TypeVar
from urllib.parse import quote

import httpx

from contracts import codec
from plumbing.rabbitadmin import RabbitAdmin
from plumbing.tracing import trace_id_of
from tests.auth import auth_headers
from tests.model.expect import Local
from tests.model.fold import fold
from tests.model.oracle import (
    EVENT_DRIVEN_RULES,
    RATIOS,
    SKIPPED,
    TOLD,
    Key,
    Notice,
    Oracle,
)
from tests.model.partners import Registered, Registry
from tests.model.published import KpiSubscriber
from tests.processes import ROOT
from tests.system import System

T = TypeVar("T")
FIELDS = ("numerator", "denominator", "value", "target", "achievement")
ADDITIVE = frozenset({*RATIOS, "agreements", "sleeping", "expiring_90_days"})
DEAD_LETTER_QUEUES = ("agreements.commands.dlq", "notifications.events.dlq",
                      "reporting.events.dlq")


def _same(a: Any, b: Any) -> bool:
    return (a is None and b is None) or (a is not None and b is not None
                                       and float(a) == float(b))


def offset(key: Key, mine: dict[str, Any], expected: dict[str, Any]) -> tuple[Any, ...] | None:
    """How a figure differs from the oracle's (None: it does not)."""
    if all(_same(mine.get(f), expected[f]) for f in FIELDS) and mine.get("complete") is not False:
        return None
    if key[0] in ADDITIVE:
        return ("offset", mine["numerator"] - expected["numerator"],
                (mine["denominator"] or 0) - (expected["denominator"] or 0),
                mine["target"], expected["target"])
    return ("differs", mine["numerator"], expected["numerator"])


def until(check: Callable[[], T], done: Callable[[T], bool], seconds: float) -> T:
    """Call ``check`` until ``done`` holds of its result or ``seconds`` pass; the last one."""
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if done(result) or time.monotonic() > deadline:
            return result
        time.sleep(0.1)


class World:
    """The shared running system, seen by the examples, and what earlier examples left."""

    def __init__(self, system: System, admin: RabbitAdmin, vhost: str,
                 loop: asyncio.AbstractEventLoop, today: date, kpis: KpiSubscriber) -> None:
        self.system, self.admin, self.vhost, self.loop = system, admin, vhost, loop
        self.kpis = kpis
        self.today = today
        self.http = {name: httpx.Client(base_url=p.url, headers=auth_headers(), timeout=30)
                     for name, p in system.processes.items()}
        self.feed: list[dict[str, Any]] = []
        self.versions: dict[str, int] = {}
        """Per stream (subject), the version of its last event in the feed."""
        self.traces: dict[str, tuple[Any, Any]] = {}
        """The command (actor, command id) of each trace id the feed's events carry: one
        trace per command, one command per trace."""
        self.command_traces: dict[tuple[Any, Any], str] = {}
        self.examples = 0
        self.appended = 0
        """Events the accepted commands appended: what the feed must hold."""
        self.adopted: set[int] = set()
        self.priorities: dict[int, frozenset[str]] = {}
        """The priority codes of each year's work program as last adopted."""
        self.registry = Registry()
        """The partner registry (examples share it, as they share the system)."""
        self.recorded: dict[str, str] = {}
        """The partner each agreement proposed on today's release recorded, by id."""
        self.legacy: dict[str, dict[str, str]] = {}
        """Agreements proposed in the earlier release (their proposals name no partner_id),
        with the partner each named."""
        self.unadopted: list[str] = []
        """Those of them the adoption job has not read yet, in the order of the feed."""
        self.offsets: dict[Key, tuple[Any, ...]] = {}
        self.dead_letters: dict[str, int] = dict.fromkeys(DEAD_LETTER_QUEUES, 0)
        self.parked: set[str] = set()
        self.answers: Counter[tuple[str, int]] = Counter()
        """How often each command (the last part of its path) got each status."""

    def record(self, path: str, status: int, replayed: bool, events: int = 1) -> None:
        """Count an answer to a command; note the events (one, or ``events``: a proposal
        that registers its partner) and work programs it made."""
        self.answers[command_of(path), status] += 1
        if status < 300 and not replayed:
            self.appended += events
        if status < 300 and path.startswith("/work-programs/"):
            self.adopted.add(int(path.rsplit("/", 1)[-1]))

    def summary(self) -> str:
        steps = sum(self.answers.values())
        by_command: dict[str, str] = {}
        for (command, status), n in sorted(self.answers.items()):
            by_command[command] = f"{by_command.get(command, '')} {status}:{n}"
        events = Counter(".".join(str(e["type"]).split(".")[-2:]).removesuffix(".v1")
                         for e in self.feed)
        oracle = Oracle(self.feed, self.today)
        moved = sum(oracle.survivor(f.partner_id) != f.partner_id
                    for f in oracle.facts.values())
        scopes = Counter(k[2].split(":")[0] for k in self.kpis.latest)
        return (f"{self.examples} examples, {steps} requests, {len(self.feed)} events "
                f"{dict(events)}, {len(self.kpis.latest)} figures published "
                f"({scopes['category']} per partner category, {scopes['partner']} per "
                f"partner; {moved} agreements count for the partner theirs was merged "
                "into); answers: " + "; ".join(f"{c}{s}" for c, s in by_command.items()))

    def close(self) -> None:
        for client in self.http.values():
            client.close()

    def call(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(60)

    # --- reading ----------------------------------------------------------------------

    def read_feed(self) -> list[str]:
        """Read the feed's new events; the ones that do not decode."""
        problems = []
        while True:
            after = self.feed[-1]["position"] if self.feed else 0
            page = self.http["agreements"].get("/events", params={"after": after,
                                                                  "limit": 1000}).json()
            for event in page:
                try:
                    codec.decode(event)
                except codec.ContractError as exc:
                    problems.append(f"stored event {event.get('position')} does not decode: "
                                    f"{exc}")
                version = self.versions.get(event["subject"], 0) + 1
                if (event["data"].get("version"), event.get("sequence")) != (
                        version, f"{version:010d}"):
                    problems.append(f"event {event['position']} of {event['subject']}: version "
                                    f"{event['data'].get('version')}, sequence "
                                    f"{event.get('sequence')}; expected {version}")
                self.versions[event["subject"]] = version
                problems += self._traced(event)
            self.feed.extend(page)
            if len(page) < 1000:
                return problems

    def _traced(self, event: dict[str, Any]) -> list[str]:
        """Every event written by this release carries the trace context of the command
        that wrote it (plumbing.tracing): the events of one command share its trace, and no
        two commands share one."""
        trace_id = trace_id_of(event.get("traceparent"))
        command = (event.get("metadata", {}).get("actor"), event.get("correlationid"))
        where = f"event {event['position']} of {event['subject']}"
        if trace_id is None:
            return [] if event["subject"] in self.legacy else [
                f"{where} carries no trace context: {event.get('traceparent')!r}"]
        if (first := self.traces.setdefault(trace_id, command)) != command:
            return [f"{where}: trace {trace_id} carries command {command} and {first}"]
        if (earlier := self.command_traces.setdefault(command, trace_id)) != trace_id:
            return [f"{where}: command {command} wrote in traces {earlier} and {trace_id}"]
        return []

    def figures(self) -> tuple[int | None, dict[Key, dict[str, Any]], str]:
        """(as_of_position, figures, error) of ``GET /kpis``."""
        answer = self.http["reporting"].get("/kpis")
        if answer.status_code != 200:
            return None, {}, f"GET /kpis answered {answer.status_code}: {answer.text[:300]}"
        items = answer.json()
        found = {(i["indicator"], i["year"], i["scope"]): i for i in items}
        return max((i["as_of_position"] for i in items), default=0), found, ""

    def settle(self) -> list[str]:
        """Wait until the feed holds every event appended (it may lag a moment: it hands
        out nothing above a transaction still running anywhere in the cluster) and
        reporting applied them all."""
        problems: list[str] = []
        deadline, stable = time.monotonic() + 30, 0
        while stable < 2:
            problems += self.read_feed()
            last = self.feed[-1]["position"] if self.feed else 0
            position, _, error = self.figures()
            complete = len(self.feed) >= self.appended
            stable = stable + 1 if complete and position == last else 0
            if time.monotonic() > deadline:
                return [*problems, f"reporting did not reach position {last} (at "
                        f"{position}) {error}; feed: {len(self.feed)} of {self.appended} "
                        "events"]
            time.sleep(0.05)
        if len(self.feed) != self.appended:
            problems.append(f"the feed holds {len(self.feed)} events, the accepted commands "
                            f"appended {self.appended}")
        return problems

    # --- checks -------------------------------------------------------------------------

    def check_example(self, agreements: dict[str, Local], report: bool = True) -> None:
        """Every check of the end of an example; fails naming every difference (unless
        not ``report``: then only takes in what the example left, for the next one)."""
        problems = self.settle()
        oracle = Oracle(self.feed, self.today)
        problems += self.check_registry(oracle, report)
        problems += self.check_figures(oracle) + self.check_published()
        problems += self.check_as_of()
        if report:
            problems += self.check_notices(oracle, agreements)
            problems += self.check_views(oracle, agreements)
        problems += self.check_dead_letters() + self.check_parked()
        assert not problems or not report, "\n".join(problems)

    def check_registry(self, oracle: Oracle, report: bool) -> list[str]:
        """The partner registry the feed tells is the model's (after a failed step the
        model takes the feed's, and the count of events appended, so that the next
        example starts from what is)."""
        mine = {pid: p.shown() for pid, p in self.registry.partners.items()}
        problems = [f"partner {pid}: the feed says {oracle.partners.get(pid)}, the model "
                    f"{mine.get(pid)}" for pid in sorted(mine.keys() | oracle.partners.keys())
                    if mine.get(pid) != oracle.partners.get(pid)]
        if not report:
            self.registry = Registry({pid: Registered(
                **p, registered_as=oracle.registered_as[pid])
                for pid, p in oracle.partners.items()})
            self.recorded = {aid: f.partner_id for aid, f in oracle.facts.items()
                             if aid not in self.legacy}
            self.appended = len(self.feed)
        return problems

    def mismatches(self, oracle: Oracle) -> tuple[dict[Key, Any], dict[Key, Any], str]:
        _, mine, error = self.figures()
        expected = oracle.figures()
        offsets = {}
        for key in mine.keys() | expected.keys() | self.offsets.keys():
            zero = oracle.figure(key, {})
            found = offset(key, mine.get(key) or zero, expected.get(key) or zero)
            if found is not None:
                offsets[key] = (found, mine.get(key), expected.get(key))
        new = {k: v for k, v in offsets.items() if v[0] != self.offsets.get(k)}
        return offsets, new, error

    def check_figures(self, oracle: Oracle) -> list[str]:
        """Reporting's figures against the oracle's: no difference this example made."""
        time.sleep(0.3)  # the time-dependent figures are refreshed 0.1 s after events
        offsets, new, error = until(lambda: self.mismatches(oracle),
                                    lambda r: not r[1] and not r[2], 30)
        self.offsets = {k: v[0] for k, v in offsets.items()}
        return ([error] if error else []) + [
            f"figure {key}: reporting {_shown(mine)}, oracle {_shown(expected)}"
            for key, (_, mine, expected) in sorted(new.items())]

    def check_as_of(self) -> list[str]:
        """The figures as of an earlier point of the feed (the middle of what it holds) are
        the oracle's over that prefix, and the evidence of each headline figure lists as
        many agreements as its numerator and denominator (DESIGN §9)."""
        if not self.feed:
            return []
        position = int(self.feed[(len(self.feed) - 1) // 2]["position"])
        prefix = [e for e in self.feed if int(e["position"]) <= position]
        oracle = Oracle(prefix, self.today)
        expected = oracle.figures()
        problems = []
        for year in sorted({k[1] for k in expected} | self.adopted):
            answer = self.http["reporting"].get("/kpis", params={
                "year": year, "as_of_position": position})
            if answer.status_code == 409 and self.parked:
                continue  # a parked stream holds the record back: refused, as it should be
            if answer.status_code != 200:
                problems.append(f"GET /kpis?year={year}&as_of_position={position}: "
                                f"{answer.status_code} {answer.text[:300]}")
                continue
            mine = {(i["indicator"], i["year"], i["scope"]): i for i in answer.json()}
            for key in sorted({k for k in expected if k[1] == year} | mine.keys()):
                zero = oracle.figure(key, {})
                found = offset(key, mine.get(key) or zero, expected.get(key) or zero)
                if found is not None and mine.get(key, {}).get("complete") is not False:
                    problems.append(f"figure {key} as of position {position}: reporting "
                                    f"{_shown(mine.get(key))}, oracle "
                                    f"{_shown(expected.get(key))}")
            for indicator in RATIOS:
                proof = self.http["reporting"].get(f"/kpis/{indicator}/evidence", params={
                    "year": year, "as_of_position": position}).json()
                want = oracle.figure((indicator, year, "province"), expected)
                if (len(proof["counted"]), len(proof["counted"]) + len(proof["excluded"])) \
                        != (want["numerator"], want["denominator"]):
                    problems.append(f"evidence of {indicator} {year} as of {position}: "
                                    f"{len(proof['counted'])} counted, "
                                    f"{len(proof['excluded'])} excluded; oracle {want}")
        return problems

    def check_published(self) -> list[str]:
        """The latest ``kpi.updated`` of every figure is what ``GET /kpis`` says."""
        found = until(lambda: self.kpis.differences(self.figures()[1]), lambda d: not d, 30)
        self.kpis.reported |= found.keys()
        return [f"published figure {key}: {why}" for key, why in sorted(found.items())]

    def notices(self, agreement_id: str) -> set[Notice]:
        answer = self.http["notifications"].get(
            "/deliveries", params={"agreement_id": agreement_id, "limit": 1000})
        return {(d["agreement_id"], d["rule"], d["occasion"], d["recipient"],
                 SKIPPED if d["status"] == "skipped" else TOLD)
                for d in answer.json() if d["rule"] in EVENT_DRIVEN_RULES}

    def check_notices(self, oracle: Oracle, agreements: dict[str, Local]) -> list[str]:
        """Notifications' event-driven notices, compared on (agreement, rule, occasion,
        recipient, told or skipped as old history): the channel and address depend on
        contacts, not on the events."""
        expected = {aid: oracle.notices(aid) for aid in agreements}

        def recorded() -> dict[str, set[Notice]]:
            return {aid: self.notices(aid) for aid in agreements}

        found = until(recorded, expected.__eq__, 30)
        return [f"notices of {aid}: missing {sorted(expected[aid] - found[aid])}, "
                f"unexpected {sorted(found[aid] - expected[aid])}"
                for aid in agreements if found[aid] != expected[aid]]

    def check_views(self, oracle: Oracle, agreements: dict[str, Local]) -> list[str]:
        """``GET /agreements/{id}`` against the fold of its stream (its documents
        included), and the test's model."""
        problems = []
        for opd in {a.shown["lead_opd"] for a in agreements.values()}:
            listed = self.http["agreements"].get("/agreements", params={
                "lead_opd": opd, "limit": 1000}).json()
            mine = {aid for aid, a in agreements.items() if a.shown["lead_opd"] == opd}
            if {a["id"] for a in listed} != mine:
                problems.append(f"GET /agreements?lead_opd={opd} lists {len(listed)} "
                                f"agreements, not the {len(mine)} made")
        for aid, local in agreements.items():
            response = self.http["agreements"].get(f"/agreements/{aid}")
            view = response.json()
            if response.headers.get("ETag") != f'"{local.version}"':
                problems.append(f"agreement {aid}: ETag {response.headers.get('ETag')}")
            stream = self.http["agreements"].get(f"/agreements/{aid}/events").json()
            if [e["id"] for e in stream] != [e["id"] for e in oracle.streams[aid]]:
                problems.append(f"stream of {aid} differs from its events in the feed")
            expected = fold(stream) | {k: v for k, v in oracle.view(aid).items()
                                       if k in ("last_child_signed_on", "sleeping")}
            expected |= {"stage": local.stage, "version": local.version} | local.shown
            for name, value in expected.items():
                if view.get(name) != value:
                    problems.append(f"agreement {aid} {name}: GET says {view.get(name)!r}, "
                                    f"expected {value!r}")
            problems += self.check_archive(local, expected.get("documents", []))
        return problems

    def check_archive(self, local: Local, folded: list[dict[str, Any]]) -> list[str]:
        """The documents the feed holds are the ones the model attached, and
        ``GET /agreements/{id}/documents`` lists them."""
        mine = [d.view() for d in local.documents.values()]
        if folded != mine:
            return [f"agreement {local.id}: the feed's documents {folded}, the model's {mine}"]
        if not mine:
            return []
        listed = self.http["agreements"].get(f"/agreements/{local.id}/documents").json()
        want = [d.listed() for d in local.documents.values()]
        return [] if listed == want else [
            f"GET /agreements/{local.id}/documents: {listed}, expected {want}"]

    def check_dead_letters(self) -> list[str]:
        """No new dead letter in any ``.dlq`` of the vhost (read without taking them)."""
        problems = []
        for queue in DEAD_LETTER_QUEUES:
            path = f"/queues/{quote(self.vhost, safe='')}/{quote(queue, safe='')}/get"
            messages = self.call(self.admin.request("POST", path, {
                "count": 1000, "ackmode": "ack_requeue_true", "encoding": "auto",
                "truncate": 2000})) or []
            if len(messages) > self.dead_letters[queue]:
                reasons = [((m.get("properties") or {}).get("headers") or {}).get("x-error")
                           for m in messages[self.dead_letters[queue]:]]
                problems.append(f"{len(messages) - self.dead_letters[queue]} new dead "
                                f"letter(s) in {queue}: {reasons[:5]}")
            self.dead_letters[queue] = len(messages)
        return problems

    def check_parked(self) -> list[str]:
        """No new parked stream on either consumer (``GET /parked``; 404: none yet)."""
        parked: dict[str, str] = {}
        for name in ("notifications", "reporting"):
            answer = self.http[name].get("/parked")
            if answer.status_code == 404:
                continue
            if answer.status_code != 200:
                return [f"GET /parked of {name}: {answer.status_code} {answer.text[:300]}"]
            parked |= {f"{name}:{p['stream_id']}": str(p.get("reason")) for p in answer.json()}
        new = {k: v for k, v in parked.items() if k not in self.parked}
        self.parked = set(parked)
        return [f"parked streams: {new}"] if new else []

    def check_rebuild(self) -> None:
        """A rebuild of reporting's projection gives the figures live consumption gave (a
        figure absent on one side is its zero: a rebuild need not keep zeros)."""
        oracle = Oracle(self.feed, self.today)
        _, before, error = self.figures()
        assert not error, error
        env = self.system["reporting"].env
        done = subprocess.run([sys.executable, "-m", "services.reporting", "rebuild"],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        _, after, error = until(self.figures, lambda r: not r[2], 10)
        assert not error, error
        new = self.check_figures(oracle) + self.check_published()
        new += [f"{k}: live {_shown(before.get(k))}, rebuilt {_shown(after.get(k))}"
                for k in sorted(before.keys() | after.keys())
                if (before.get(k) or {}).get("revision") != (after.get(k) or {}).get("revision")
                or offset(k, before.get(k) or oracle.figure(k, {}),
                          after.get(k) or oracle.figure(k, {})) is not None]
        assert not new, "after a rebuild:\n" + "\n".join(new)


def command_of(path: str) -> str:
    """``propose``, ``work-program``, a registry command or the action of a request's
    path."""
    if path.startswith("/partners"):
        return ("register-partner" if path == "/partners" else "merge-partner"
                if path.endswith("/merge") else "revise-partner")
    if path.startswith("/work-programs/"):
        return "work-program"
    if path.startswith("/mappings/"):
        return "map"
    if path.startswith("/mapping-items/"):
        return "withdraw-item" if path.endswith("/withdraw") else "revise-item"
    return "propose" if path == "/agreements" else path.rsplit("/", 1)[-1]


def _shown(figure: dict[str, Any] | None) -> str:
    if figure is None:
        return "absent"
    return ", ".join(f"{f}={figure.get(f)}" for f in (*FIELDS, "complete", "revision")
                     if f in figure)
