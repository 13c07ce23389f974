"""A model-based test of the whole system: random command sequences against an oracle.

A Hypothesis state machine sends commands to the agreements service over HTTP — valid
and invalid proposals, every action in every stage, inputs at and beyond the contract's
edges, repeated Idempotency-Keys, stale If-Match, work programs — and checks each answer
against a model of the rules (tests/model/expect.py). At the end of each example it waits
until reporting and notifications have consumed the feed and compares them, and
``GET /agreements/{id}``, with an oracle computed from the public feed alone
(tests/model/oracle.py); at the end of the test, reporting is rebuilt and must give the
same figures.

The three services run once per test, as real processes with a fixed business clock;
examples share them (each makes its own agreements and agencies). The expiry job is
slowed to once a day so that only the test expires agreements. Profiles:
``KERJASAMA_MODEL_PROFILE=slow`` runs many more and longer examples, from the seed in
``KERJASAMA_MODEL_SEED`` when given.
"""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, ClassVar
from uuid import uuid4

import pytest
from hypothesis import HealthCheck, seed, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    multiple,
    rule,
    run_state_machine_as_test,
)

from plumbing.rabbitadmin import RabbitAdmin
from tests.broker_users import LoadedDefinitions, definitions_loaded
from tests.conftest import DatabaseUrlFactory
from tests.model.checks import World
from tests.model.expect import (
    ACTIONS,
    ALL_CATEGORIES,
    CATEGORIES,
    FOREIGN,
    Choices,
    Local,
    Planned,
    apply,
    next_step,
    plan_action,
    required_approvals,
)
from tests.model.inputs import (
    LONG_TEXTS,
    SHORT_TEXTS,
    START,
    UNTIL,
    WHEN,
    Text,
    in_domain,
    year_in_domain,
)
from tests.system import System, mail_catcher, make_system

TODAY = date(2024, 6, 28)
SLOW = os.environ.get("KERJASAMA_MODEL_PROFILE") == "slow"
EDGES = os.environ.get("KERJASAMA_MODEL_EDGES", "1") != "0"
"""``KERJASAMA_MODEL_EDGES=0`` draws only inputs inside the contract (to look at the
oracle's comparisons apart from the contract's edges)."""
PROFILE = settings(
    max_examples=300 if SLOW else 12, stateful_step_count=60 if SLOW else 25,
    deadline=None, print_blob=True, suppress_health_check=list(HealthCheck))
KINDS = ("KSDPK", "KSDD", "KSDPL", "KSDLL", "SINERGI")
DOCUMENT_TYPES = ("MOU", "PKS", "LOI", "ADDENDUM")
PROPOSED_ON = (None, "2019-03-15", "2020-07-01", "2021-11-30", "2022-02-28", "2023-12-31")
PROPOSED_ON_EDGES = ("1980-01-01", "1979-12-31", "2099-12-31", "2100-01-01", "0001-01-01")
YEARS = (2021, 2022, 2023, 2024, 2020, 2019)
YEAR_EDGES = (1980, 1979, 1999, 2099, 2100, 0)
KEYS = ("fresh", "none", "refused")


def mostly(usual: Any, everything: Any) -> st.SearchStrategy[Any]:
    """Three times in four one of ``usual``, else anything of ``everything``."""
    if not EDGES:
        return st.sampled_from(usual)
    return st.one_of(*[st.sampled_from(usual)] * 3, st.sampled_from(everything))


OK_SHORT = mostly([t for t in SHORT_TEXTS if t.ok], SHORT_TEXTS)
OK_LONG = mostly([t for t in LONG_TEXTS if t.ok and t.stored is None], LONG_TEXTS)
CHOICES = st.builds(Choices, when=mostly(WHEN[:3] * 3 + WHEN[3:5], WHEN),
                    start=mostly(START[:3], START), until=mostly(UNTIL[:5], UNTIL),
                    short=OK_SHORT, long=OK_LONG,
                    variant=st.integers(0, 20), with_body=st.booleans())


@dataclass
class Sent:
    """An accepted request with an Idempotency-Key, and its answer."""

    path: str
    body: dict[str, Any] | None
    key: str
    status: int
    answer: dict[str, Any]


class Model(RuleBasedStateMachine):
    """Commands through the public HTTP interface, each answer checked by the model."""

    world: ClassVar[World]
    agreements = Bundle("agreements")

    def __init__(self) -> None:
        super().__init__()
        self.world.examples += 1
        self.opds = tuple(f"M{self.world.examples}{x}" for x in "ABC")
        self.locals: dict[str, Local] = {}
        self.sent: list[Sent] = []
        self.refused: list[str] = []
        self.failed = False

    def _key(self, how: str) -> str | None:
        if how == "refused" and self.refused:
            return self.refused.pop()
        return None if how == "none" else str(uuid4())

    def _send(self, path: str, body: dict[str, Any] | None, key: str | None,
              expected: int | Callable[[int], bool], if_match: str | None = None
              ) -> tuple[int, dict[str, Any]]:
        self.failed = True  # until the answer is as expected
        headers = {k: v for k, v in (("Idempotency-Key", key), ("If-Match", if_match)) if v}
        response = self.world.http["agreements"].post(path, json=body, headers=headers)
        status = response.status_code
        self.world.answers[command_of(path), status] += 1
        ok = expected(status) if callable(expected) else status == expected
        assert ok, f"POST {path} {body!r} {headers}: expected {expected}, got {status} " \
                   f"{response.text[:500]}"
        answer = response.json() if response.content else {}
        if status < 300 and response.headers.get("Idempotent-Replayed") != "true":
            self.world.appended += 1  # one event per command accepted
        if key and status < 300 and key not in {s.key for s in self.sent}:
            self.sent.append(Sent(path, body, key, status, answer))
        elif key and status >= 400 and key not in {s.key for s in self.sent}:
            self.refused.append(key)
        self.failed = False
        return status, answer

    def _act(self, a: Local, action: str, c: Choices, if_match: str | None, key: str) -> None:
        version = {"current": a.version, "stale": a.version + 1}.get(if_match or "")
        planned: Planned = plan_action(action, a, c, TODAY, self.locals, version)
        header = None if version is None else (f'"{version}"' if version % 2 else str(version))
        status, answer = self._send(planned.path, planned.body, self._key(key),
                                    planned.status, header)
        if status == 200:
            assert (answer["stage"], answer["version"]) == (planned.stage, a.version + 1), \
                f"{planned.path}: {answer}, expected stage {planned.stage}"
            apply(a, planned, answer)

    @rule(target=agreements, kind=st.sampled_from(KINDS),
          category=mostly([None], ALL_CATEGORIES), country_fits=mostly([True], [False]),
          co_partner=mostly([None, "same"], ["REGIONAL_GOVERNMENT"]),
          document_type=st.sampled_from(DOCUMENT_TYPES),
          parent=mostly(["fit"], ["none", "first", "unknown"]), burdens_budget=st.booleans(),
          plan_year=mostly((None, *YEARS), YEAR_EDGES),
          proposed_on=mostly(PROPOSED_ON, PROPOSED_ON_EDGES), title=OK_SHORT,
          partner_name=OK_SHORT, objective=OK_LONG, lead=st.integers(0, 2),
          supporting=st.lists(st.integers(0, 2), max_size=2), key=st.sampled_from(KEYS))
    def propose(self, kind: str, category: str | None, country_fits: bool,
                co_partner: str | None, document_type: str, parent: str,
                burdens_budget: bool, plan_year: int | None, proposed_on: str | None,
                title: Text, partner_name: Text, objective: Text, lead: int,
                supporting: list[int], key: str) -> Any:
        """A proposal, valid or not, of any kind and partner category, dated anywhere."""
        category = category or CATEGORIES[kind][0]
        country = "MY" if (kind in FOREIGN) == country_fits else "ID"
        partner = {"name": partner_name.sent, "category": category, "country": country}
        co = [] if co_partner is None else [partner | {"name": "Mitra dua"} | (
            {} if co_partner == "same" else {"category": co_partner})]
        ids = list(self.locals)
        if parent == "fit":
            parent = "last" if document_type in ("PKS", "ADDENDUM") else "none"
        parent_id = {"unknown": str(uuid4()), "first": ids[0] if ids else None,
                     "last": ids[-1] if ids else None}.get(parent)
        body: dict[str, Any] = {
            "title": title.sent, "kind": kind, "document_type": document_type,
            "partner": partner, "co_partners": co, "lead_opd": self.opds[lead],
            "objective": objective.sent, "sector": "Ekonomi", "burdens_budget": burdens_budget,
            "supporting_opds": [self.opds[i] for i in supporting]}
        body |= {k: v for k, v in (("plan_year", plan_year), ("proposed_on", proposed_on),
                                   ("parent_id", parent_id)) if v is not None}
        day = TODAY if proposed_on is None else date.fromisoformat(proposed_on)
        valid = (title.ok and partner_name.ok and objective.ok and in_domain(day)
                 and (plan_year is None or year_in_domain(plan_year)))
        categories = [p["category"] for p in (partner, *co)]
        rules = (all(c in CATEGORIES[kind] for c in categories) and country_fits
                 and day <= TODAY and (parent_id is None or parent_id in self.locals)
                 and (parent_id is None or document_type in ("PKS", "ADDENDUM"))
                 and (parent_id is not None or document_type != "ADDENDUM"))
        expected = 201 if valid and rules else 422
        status, answer = self._send("/agreements", body, self._key(key), expected)
        if status != 201:
            return multiple()
        assert answer["stage"] == "PROPOSED" and answer["version"] == 1, answer
        self.locals[answer["id"]] = Local(
            answer["id"], kind, document_type, tuple(categories), day, parent_id,
            required_approvals(kind, burdens_budget),
            {"title": title.expected, "objective": objective.expected})
        return answer["id"]

    @rule(target=agreements, kind=st.sampled_from(KINDS),
          document_type=st.sampled_from(DOCUMENT_TYPES), burdens_budget=st.booleans(),
          plan_year=st.sampled_from((None, *YEARS)), proposed_on=st.sampled_from(PROPOSED_ON),
          lead=st.integers(0, 2), supporting=st.lists(st.integers(0, 2), max_size=2))
    def propose_well(self, kind: str, document_type: str, burdens_budget: bool,
                     plan_year: int | None, proposed_on: str | None, lead: int,
                     supporting: list[int]) -> Any:
        """A valid proposal (a PKS or ADDENDUM under the last agreement, if any)."""
        return self.propose(kind, None, True, None, document_type, "fit", burdens_budget,
                            plan_year, proposed_on, SHORT_TEXTS[1], SHORT_TEXTS[2],
                            LONG_TEXTS[1], lead, supporting, "fresh")

    @rule(agreement=agreements, steps=st.integers(1, 6), choice=st.integers(0, 999))
    def advance_more(self, agreement: str, steps: int, choice: int) -> None:
        """As :meth:`advance` (a second rule, so that lifecycles get far more often)."""
        self.advance(agreement, steps, choice)

    @rule(agreement=agreements, steps=st.integers(1, 6), choice=st.integers(0, 999))
    def advance(self, agreement: str, steps: int, choice: int) -> None:
        """Up to ``steps`` actions of a lifecycle that goes well (a parent first)."""
        rng, a = random.Random(choice), self.locals[agreement]
        for _ in range(steps):
            step = next_step(a, rng, self.locals, TODAY)
            if step is None:
                if a.parent_id is None or a.stage != "READY_TO_SIGN":
                    return
                a = self.locals[a.parent_id]
                continue
            self._act(a, *step, if_match=None, key="fresh")

    @rule(agreement=agreements, action=st.sampled_from(ACTIONS), choices=CHOICES,
          if_match=st.sampled_from([None, "current", "stale"]), key=st.sampled_from(KEYS))
    def act(self, agreement: str, action: str, choices: Choices, if_match: str | None,
            key: str) -> None:
        """Any action in any stage, with inputs at and beyond the contract's edges."""
        self._act(self.locals[agreement], action, choices, if_match, key)

    @rule(action=st.sampled_from(ACTIONS), choices=CHOICES)
    def act_on_unknown_agreement(self, action: str, choices: Choices) -> None:
        nobody = Local(str(uuid4()), "KSDD", "MOU", ("REGIONAL_GOVERNMENT",), TODAY, None,
                       frozenset(), {})
        planned = plan_action(action, nobody, choices, TODAY, {})
        self._send(planned.path, planned.body, None, 404 if planned.status != 422 else 422)

    @rule(year=mostly(YEARS, YEAR_EDGES), realization=st.sampled_from([80, 62.5, 0, 100, 101]),
          effectiveness=st.sampled_from([60, 0, 100, 33.33, -1]), key=st.sampled_from(KEYS))
    def work_program(self, year: int, realization: float, effectiveness: float,
                     key: str) -> None:
        valid = year_in_domain(year) and 0 <= realization <= 100 and 0 <= effectiveness <= 100
        expected = 422 if not valid else 200 if year in self.world.adopted else 201
        self._send(f"/work-programs/{year}", {"realization_target": realization,
                                              "effectiveness_target": effectiveness},
                   self._key(key), expected)
        if valid:
            self.world.adopted.add(year)

    @rule(index=st.integers(0, 99))
    def repeat_a_request(self, index: int) -> None:
        """The same key and body again: the first answer, and nothing stored."""
        if self.sent:
            first = self.sent[index % len(self.sent)]
            _, answer = self._send(first.path, first.body, first.key, first.status)
            assert answer == first.answer, f"{first.path}: {answer} != {first.answer}"

    @rule(index=st.integers(0, 99))
    def reuse_a_key_with_another_body(self, index: int) -> None:
        """The same key with another body: 422, and nothing stored."""
        if self.sent:
            first = self.sent[index % len(self.sent)]
            self._send(first.path, changed(first.body, first.path), first.key, 422)

    def teardown(self) -> None:
        if not self.failed:
            self.world.check_example(self.locals)


def command_of(path: str) -> str:
    """``propose``, ``work-program`` or the action of a request's path."""
    if path.startswith("/work-programs/"):
        return "work-program"
    return "propose" if path == "/agreements" else path.rsplit("/", 1)[-1]


def changed(body: dict[str, Any] | None, path: str) -> dict[str, Any]:
    """Another request body on the same path."""
    if body is None:
        return {"reason": "lain"} if path.endswith("/withdraw") else (
            {"on": TODAY.isoformat()} if path.endswith("/expire") else {"note": "lain"})
    for name in ("title", "reason", "note", "summary", "number"):
        if isinstance(body.get(name), str):
            return body | {name: body[name] + " (lain)"}
    if "realization_target" in body:
        return body | {"realization_target": 50 if body["realization_target"] != 50 else 51}
    if "milestones" in body:
        return body | {"milestones": [m | {"title": "lain"} for m in body["milestones"]]}
    return body | {k: "2020-01-01" if v != "2020-01-01" else "2020-01-02"
                   for k, v in body.items() if k in ("on", "approved_on")}


@pytest.fixture
async def broker(rabbit_admin: RabbitAdmin) -> AsyncIterator[LoadedDefinitions]:
    async with definitions_loaded(rabbit_admin) as loaded:
        yield loaded


@pytest.fixture
async def system(broker: LoadedDefinitions, database_url_factory: DatabaseUrlFactory,
                 tmp_path: Path) -> AsyncIterator[System]:
    services = ("agreements", "notifications", "reporting")
    with mail_catcher(tmp_path / "mail") as smtp_port:
        running = await make_system(
            database_url_factory, smtp_port=smtp_port, workdir=tmp_path, today=TODAY,
            amqp_url={s: broker.amqp_url(s.upper()) for s in services},
            management_url={s: broker.management_url(s.upper()) for s in services},
            KERJASAMA_EXPIRY_INTERVAL_SECONDS="86400",
            KERJASAMA_REFRESH_AFTER_EVENTS_SECONDS="0.1")
        try:
            await running.start()
            yield running
        finally:
            running.stop()


async def test_the_system_agrees_with_a_model_of_it(system: System,
                                                    broker: LoadedDefinitions) -> None:
    async with RabbitAdmin(broker.management_url("ADMIN")) as admin:
        world = World(system, admin, broker.vhost, asyncio.get_running_loop(), TODAY)
        Model.world = world
        if os.environ.get("KERJASAMA_MODEL_SEED"):
            seed(int(os.environ["KERJASAMA_MODEL_SEED"]))(Model)
        try:
            await asyncio.to_thread(run_state_machine_as_test, Model, settings=PROFILE)
            await asyncio.to_thread(world.check_rebuild)
        finally:
            print(world.summary())
            world.close()
