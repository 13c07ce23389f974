"""A model-based test of the whole system: random command sequences against an oracle.

A Hypothesis state machine sends commands to the agreements service over HTTP — valid
and invalid proposals of every kind and partner category, every action in every stage
(mostly as the TKKSD, now and then as an agency or the regional secretary), inputs at
and beyond the contract's edges, repeated Idempotency-Keys (same and other body, other
caller), stale If-Match, work programs, documents attached to the archive (every kind,
public or not, new versions of earlier ones, files of every type and of none, too
large, malformed forms, a second signed text, by every kind of caller), taken down and
read; partners registered (new, or one the registry holds however spelt, by every
caller, with bodies the contract refuses), revised (renamed onto another partner's name,
stale If-Match), merged (along chains, into itself, into no partner, twice) and read (a
merged one's 301, a search by name), and proposals naming their partner by a snapshot or
a partner_id (known, merged, unknown) — and checks each answer against a model of the
rules (tests/model/expect.py, tests/model/archive.py, tests/model/callers.py,
tests/model/partners.py). At the end of each example it waits until reporting and
notifications have consumed the feed and compares them, the published ``kpi.updated``,
``GET /agreements/{id}`` and the partner registry with an oracle computed from the public
feed alone (tests/model/oracle.py: also every figure per partner category and per
partner, along merges), and looks for dead letters and parked streams
(tests/model/checks.py); at the end of the test, reporting is rebuilt and must give the
same figures.

The three services run once per test, as real processes with a fixed business clock;
examples share them (each makes its own agreements and agencies; the partner registry is
one, as the system's is). The expiry job is slowed to once a day so that only the test
expires agreements, and the partner adoption job (which registers the partners of
agreements proposed in the earlier release) so that only the test runs it, as a rule whose
outcome the model predicts. Profiles:
``KERJASAMA_MODEL_PROFILE=slow`` runs many more and longer examples, from the seed in
``KERJASAMA_MODEL_SEED`` when given; Hypothesis prints the shortest failing sequence.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import os
import random
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, ClassVar
from uuid import uuid4

import asyncpg
import pytest
from hypothesis import HealthCheck, seed, settings
from hypothesis import strategies as st
from hypothesis.internal.conjecture import engine
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from contracts.commands import ProposeAgreement
from contracts.events import AgreementProposedV1
from contracts.partner_registry import partner_key
from contracts.partners import partner_id_of
from plumbing.rabbitadmin import RabbitAdmin
from plumbing.settings import load_settings
from services.agreements.adapters import event_store
from services.agreements.adapters.database import open_database
from services.agreements.adapters.event_store import (
    CommandWrite,
    NewEvent,
    PostgresEventStore,
)
from services.agreements.application.service import AgreementService
from services.agreements.application.streams import state_json
from services.agreements.domain import DecisionContext, decide, evolve
from services.agreements.entrypoints.partner_adoption import adopt_partners
from services.agreements.settings import AgreementsSettings
from tests.broker_users import KPI_READER, LoadedDefinitions
from tests.conftest import DatabaseUrlFactory
from tests.e2e.conftest import running_system
from tests.model.archive import (
    FILENAMES,
    MAX_BYTES,
    PlannedUpload,
    Upload,
    attach,
    plan_unpublish,
    plan_upload,
)
from tests.model.callers import (
    TESTER,
    Caller,
    caller,
    may_act,
    may_archive,
    may_read_archive,
    staff_of,
)
from tests.model.checks import World
from tests.model.expect import (
    ACTIONS,
    ALL_CATEGORIES,
    FOREIGN,
    RECORDING,
    Choices,
    Local,
    Planned,
    apply,
    fits,
    given_partner,
    plan_action,
    plan_proposal,
)
from tests.model.inputs import LONG_TEXTS, SHORT_TEXTS, Text, year_in_domain
from tests.model.partners import (
    BAD,
    CODES,
    CONTACTS,
    MALFORMED,
    SPELLINGS,
    Naming,
    Registered,
    name_ok,
    stored_codes,
    stored_contact,
)
from tests.model.planning import (
    AMOUNT_EDGES,
    AMOUNTS,
    DUE_DATES,
    ITEM_EDGES,
    ITEM_REF_EDGES,
    ITEM_REFS,
    PLANNING_YEARS,
    PRIORITIES,
    PRIORITY_EDGES,
    PRIORITY_SET_EDGES,
    PRIORITY_SETS,
    Item,
    Planning,
    item_body,
    item_status,
    may_map,
    program_body,
    program_ok,
    proposal_planning,
    stored,
)
from tests.model.published import KpiSubscriber
from tests.model.strategies import (
    ACT_CALLERS,
    ARCHIVE_CALLERS,
    CHOICES,
    DOCUMENT_KINDS,
    DOCUMENT_TYPES,
    INTO,
    KEEPERS,
    KEYS,
    KINDS,
    NAMINGS,
    OK_LONG,
    OK_SHORT,
    PROPOSED_ON,
    PROPOSED_ON_EDGES,
    REGISTERING,
    REGISTRARS,
    REVISING,
    SUPERSEDING,
    TARGETS,
    UPLOAD_TARGETS,
    UPLOADS,
    YEAR_EDGES,
    YEARS,
    Sent,
    changed,
    guarded,
    mostly,
    next_document,
    next_step,
)
from tests.system import System

TODAY = date(2024, 6, 28)
PROBLEM = "urn:kerjasama:problem:"
SLOW = os.environ.get("KERJASAMA_MODEL_PROFILE") == "slow"
PROFILE = settings(
    max_examples=300 if SLOW else 8, stateful_step_count=60 if SLOW else 25,
    deadline=None, print_blob=True, suppress_health_check=list(HealthCheck))


class Model(RuleBasedStateMachine):
    """Commands through the public HTTP interface, each answer checked by the model."""

    world: ClassVar[World]
    agreements = Bundle("agreements")

    def __init__(self) -> None:
        super().__init__()
        self.world.examples += 1
        self.opds = tuple(f"M{self.world.examples}{x}" for x in "ABC")
        self.locals: dict[str, Local] = {}
        self.holders: dict[str, str] = {}
        """The agreement of each document attached, by document id."""
        self.other_caller: dict[str | None, str] = {}
        """Agreements the other caller made, by the Idempotency-Key it sent."""
        self.sent: list[Sent] = []
        self.refused: list[str] = []
        self.failed = False
        self.asides = 0
        """Work programs and commands on unknown agreements so far (a few an example)."""
        self.planning = Planning(self.world.priorities)
        self.programs = 0
        """Valid work programs with priorities this example adopted (a few at most)."""
        self.partners: list[str] = []
        """The partners this example registered or its proposals named."""
        self.names = 0
        """New partner names made so far."""
        self.earlier = False
        """Whether this example stored an agreement as the earlier release did."""

    def _key(self, how: str) -> str | None:
        if how == "refused" and self.refused:
            return self.refused.pop()
        return None if how == "none" else str(uuid4())

    def _send(self, path: str, body: dict[str, Any] | None, key: str | None, expected: int,
              if_match: str | None = None, caller: Caller = TESTER,
              upload: Upload | None = None, method: str = "POST", events: int = 1
              ) -> tuple[int, dict[str, Any]]:
        """POST (or ``method``; ``upload``: a multipart upload instead of ``body``); the
        answer must have the status the model expects (never a 5xx); ``events``: how many
        it appends when accepted."""
        headers = {k: v for k, v in (("Idempotency-Key", key), ("If-Match", if_match)) if v}
        headers |= caller.headers()
        request = {"json": body} if upload is None else upload.request()
        response = self.world.http["agreements"].request(method, path, headers=headers,
                                                         **request)
        status = response.status_code
        self.world.record(path, status, response.headers.get("Idempotent-Replayed") == "true",
                          events)
        sent = body if upload is None else upload
        assert status == expected, f"POST {path} {sent!r} as {caller}, key {key}, If-Match " \
                                   f"{if_match}: expected {expected}, got {status} " \
                                   f"{response.text[:500]}"
        answer = response.json() if response.content else {}
        if status >= 400:  # RFC 9457 problem details
            assert response.headers["content-type"].startswith("application/problem+json")
            assert answer["status"] == status, answer
        elif status == 201 and path == "/agreements":
            assert response.headers["Location"] == f"/agreements/{answer['id']}"
        elif status == 201 and path.startswith("/mappings/"):
            assert response.headers["Location"] == f"/mapping-items/{answer['id']}"
        elif status == 201 and path == "/partners":
            assert response.headers["Location"] == f"/partners/{answer['id']}"
        elif status == 201 and upload is not None:
            assert response.headers["Location"] == f"/documents/{answer['document_id']}"
            assert response.headers["ETag"] == f'"{answer["version"]}"', response.headers
        if key and status < 300 and key not in {s.key for s in self.sent}:
            self.sent.append(Sent(path, body, key, status, answer, caller=caller,
                                  upload=upload, method=method))
        elif key and status >= 400 and key not in {s.key for s in self.sent}:
            self.refused.append(key)
        return status, answer

    @staticmethod
    def _if_match(version: int | None) -> str | None:
        return None if version is None else (f'"{version}"' if version % 2 else str(version))

    def _act(self, a: Local, action: str, c: Choices, if_match: str | None, key: str,
             who: Caller = TESTER) -> None:
        version = {"current": a.version, "stale": a.version + 1}.get(if_match or "")
        planned: Planned = plan_action(action, a, c, TODAY, self.locals, version,
                                       may_act(action, who, a))
        status, answer = self._send(planned.path, planned.body, self._key(key),
                                    planned.status, self._if_match(version), who)
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
          supporting=st.lists(st.integers(0, 2), max_size=2), key=st.sampled_from(KEYS),
          priority=mostly(PRIORITIES, PRIORITY_EDGES), item=mostly(ITEM_REFS, ITEM_REF_EDGES),
          cash=mostly(AMOUNTS, AMOUNT_EDGES), in_kind=mostly(AMOUNTS, AMOUNT_EDGES),
          naming=NAMINGS, partner_pick=st.integers(0, 99))
    @guarded
    def propose(self, kind: str, category: str | None, country_fits: bool,
                co_partner: str | None, document_type: str, parent: str,
                burdens_budget: bool, plan_year: int | None, proposed_on: str | None,
                title: Text, partner_name: Text, objective: Text, lead: int,
                supporting: list[int], key: str, priority: str | None = None,
                item: str = "none", cash: Any = None, in_kind: Any = None,
                naming: str = "snapshot", partner_pick: int = 0) -> Any:
        """A proposal, valid or not, of any kind and partner category, dated anywhere,
        with a priority, a mapping item and values or not, naming its partner by a
        snapshot (new to the registry, or another spelling of a partner it holds) or by
        a partner_id (known, merged, unknown; both or neither)."""
        ids = list(self.locals)
        if parent == "fit":
            parent = "last" if document_type in ("PKS", "ADDENDUM") else "none"
        parent_id = {"unknown": str(uuid4()), "first": ids[0] if ids else None,
                     "last": ids[-1] if ids else None}.get(parent)
        named = self.world.registry.naming(self._partner_fields(
            naming, given_partner(kind, category, country_fits, partner_name), kind,
            partner_pick))
        planned, made = plan_proposal(
            kind, category, country_fits, co_partner, document_type, parent_id,
            burdens_budget, plan_year, proposed_on, title, partner_name, objective,
            self.opds[lead], [self.opds[i] for i in supporting], self.locals, TODAY,
            lambda year: proposal_planning(self.planning, priority, item, cash, in_kind,
                                           self.opds[lead], year, str(uuid4())), named)
        status, answer = self._send(planned.path, planned.body, self._key(key),
                                    planned.status, events=1 + named.registers)
        if planned.names is not None:
            fields = [e.get("field") for e in answer.get("errors", [])]
            assert planned.names in fields, f"the 422 names {fields}, not {planned.names}"
        if planned.problem is not None:
            assert answer["type"] == PROBLEM + planned.problem, answer
        if status != 201:
            return multiple()
        assert answer["stage"] == "PROPOSED" and answer["version"] == 1, answer
        self._proposed(answer["id"], made, named)
        if self.sent and self.sent[-1].answer is answer:
            self.sent[-1].made = made
        return answer["id"]

    def _proposed(self, aid: str, made: Local, named: Naming) -> None:
        """An accepted proposal: the agreement, and the partner it recorded (registered
        with it when new)."""
        self.locals[aid] = made.made_as(aid)
        self.world.registry.proposed(named)
        assert named.partner_id is not None
        self.world.recorded[aid] = named.partner_id
        self._touched(named.partner_id)

    def _touched(self, partner_id: str) -> None:
        if partner_id not in self.partners:
            self.partners.append(partner_id)

    def _partner_fields(self, how: str, given: dict[str, str], kind: str, pick: int
                        ) -> dict[str, Any]:
        """The body's fields that name the partner (see strategies.NAMINGS); the snapshot
        ``given`` when the registry holds no partner ``how`` needs."""
        registry = self.world.registry
        if how == "spelling":  # another spelling of a partner's name, in its country
            found = registry.pick(pick, self.partners, stage=None, fits=lambda p: (
                kind in FOREIGN) == (p.country != "ID"))
            if found is not None:
                return {"partner": given | {"name": SPELLINGS[pick % len(SPELLINGS)](
                    found.name), "country": found.country}}
        if how in ("id", "misfit", "merged-id"):
            found = registry.pick(pick, self.partners, stage=(
                "MERGED" if how == "merged-id" else "ACTIVE"), fits=lambda p: how not in (
                "id", "misfit") or fits(kind, p.snapshot) == (how == "id"))
            if found is not None:
                return {"partner_id": found.id}
        fields: dict[str, dict[str, Any]] = {
            "unknown-id": {"partner_id": str(uuid4())}, "neither": {},
            "both": {"partner": given, "partner_id": str(partner_id_of(
                given["name"], given["country"]))}}
        return fields.get(how, {"partner": given})

    @rule(target=agreements, kind=st.sampled_from(KINDS),
          document_type=st.sampled_from(DOCUMENT_TYPES), burdens_budget=st.booleans(),
          plan_year=st.sampled_from((None, *YEARS)), proposed_on=st.sampled_from(PROPOSED_ON),
          lead=st.integers(0, 2), supporting=st.lists(st.integers(0, 2), max_size=2),
          steps=st.integers(0, 10), choice=st.integers(0, 999), pick=st.integers(0, 3),
          item=st.sampled_from(ITEM_REFS), cash=st.sampled_from(AMOUNTS),
          in_kind=st.sampled_from(AMOUNTS), naming=st.sampled_from(("snapshot",) * 3 + ("id",)))
    @guarded
    def propose_well(self, kind: str, document_type: str, burdens_budget: bool,
                     plan_year: int | None, proposed_on: str | None, lead: int,
                     supporting: list[int], steps: int, choice: int, pick: int, item: str,
                     cash: int | None, in_kind: int | None, naming: str = "snapshot") -> Any:
        """A valid proposal (a PKS or ADDENDUM under the last agreement, if any; one of its
        year's priorities, now and then; the lead's mapping item, now and then; its
        partner by a snapshot or, now and then, by the id of a partner that fits), then
        ``steps`` actions of a lifecycle that goes well."""
        year = plan_year or (TODAY if proposed_on is None else date.fromisoformat(
            proposed_on)).year
        lead_opd = self.opds[lead]
        if item == "mine" and not any(i.opd == lead_opd and i.stage == "ACTIVE"
                                      for i in self.planning.items.values()):
            self.map_an_item(year, lead, "own", "adopted", pick, SHORT_TEXTS[1], LONG_TEXTS[1],
                             SHORT_TEXTS[2], 1, "fresh")  # the lead maps it first
        codes = sorted(self.planning.priorities.get(year, ()))
        created = self.propose(kind, None, True, None, document_type, "fit", burdens_budget,
                               plan_year, proposed_on, SHORT_TEXTS[1], SHORT_TEXTS[2],
                               LONG_TEXTS[1], lead, supporting, "fresh",
                               codes[pick] if pick < len(codes) else None, item, cash,
                               in_kind, naming, choice)
        if isinstance(created, str):
            self.advance(created, steps, choice)
        return created

    @rule(target=agreements, kind=st.sampled_from(KINDS), burdens_budget=st.booleans(),
          plan_year=st.sampled_from((None, *YEARS)), proposed_on=st.sampled_from(PROPOSED_ON),
          lead=st.integers(0, 2), supporting=st.lists(st.integers(0, 2), max_size=2),
          steps=st.integers(0, 10), choice=st.integers(0, 999))
    @guarded
    def propose_in_the_earlier_release(self, kind: str, burdens_budget: bool,
                                       plan_year: int | None, proposed_on: str | None,
                                       lead: int, supporting: list[int], steps: int,
                                       choice: int) -> Any:
        """An agreement proposed before ``agreement.proposed.v2``: its proposal stored as
        v1 (no ``partner_id``) and its read-model row as that release wrote them; then
        ``steps`` actions of a lifecycle that goes well, on today's release."""
        planned, made = plan_proposal(
            kind, None, True, None, "MOU", None, burdens_budget, plan_year, proposed_on,
            SHORT_TEXTS[1], SHORT_TEXTS[2], LONG_TEXTS[1], self.opds[lead],
            [self.opds[i] for i in supporting], self.locals, TODAY)
        assert planned.status == 201 and planned.body is not None, planned
        aid = asyncio.run_coroutine_threadsafe(
            store_earlier_proposal(self.world.system.databases["agreements"], planned.body,
                                   TODAY), self.world.loop).result(30)
        self.world.record("/agreements", 201, False)
        self.locals[aid] = made.made_as(aid)
        self.world.legacy[aid] = made.shown["partner"]
        self.world.unadopted.append(aid)
        self.earlier = True
        self.advance(aid, steps, choice)
        return aid

    @rule(agreement=agreements, steps=st.integers(1, 10), choice=st.integers(0, 999))
    @guarded
    def advance_more(self, agreement: str, steps: int, choice: int) -> None:
        """As :meth:`advance` (a second rule, so that lifecycles get far more often)."""
        self.advance(agreement, steps, choice)

    @rule(agreement=agreements, steps=st.integers(1, 10), choice=st.integers(0, 999))
    @guarded
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
            action, choices = step
            self._act(a, action, choices, None, "fresh")
            filed = next_document(a, rng)
            if filed is not None:
                kind, public, supersedes, how, who = filed
                self._attach(a, kind, public, supersedes, 0, how, rng.randrange(4),
                             FILENAMES[0], caller(who, a, self.opds), False, None, "fresh")

    @rule(agreement=agreements, action=st.sampled_from(ACTIONS), choices=CHOICES,
          if_match=st.sampled_from([None, "current", "stale"]), key=st.sampled_from(KEYS),
          who=ACT_CALLERS)
    @guarded
    def act(self, agreement: str, action: str, choices: Choices, if_match: str | None,
            key: str, who: str) -> None:
        """Any action in any stage, with inputs at and beyond the contract's edges, by
        any caller."""
        a = self.locals[agreement]
        self._act(a, action, choices, if_match, key, caller(who, a, self.opds))

    def _superseded(self, a: Local, how: str | None, kind: str, index: int) -> str | None:
        """The document an upload to ``a`` names in ``supersedes`` (see archive.SUPERSEDES;
        ``current``, ``old`` and ``any`` fall back to none when ``a`` has no such
        document)."""
        mine = list(a.documents.values())
        if how in ("current", "old"):
            found = [d.id for d in mine if d.kind == kind
                     and (d.superseded_by is None) == (how == "current")]
            return found[-1] if found else None
        if how == "any":
            return mine[index % len(mine)].id if mine else None
        if how == "foreign":
            theirs = [d for d, aid in self.holders.items() if aid != a.id]
            return theirs[index % len(theirs)] if theirs else str(uuid4())
        return str(uuid4()) if how == "unknown" else how

    def _attach(self, a: Local, kind: str, public: bool, supersedes: str | None, index: int,
                how: str, n: int, filename: tuple[str, str], who: Caller, unknown: bool,
                if_match: str | None, key: str) -> None:
        """Upload a document to ``a`` (``unknown``: to no agreement) as the model says."""
        version = {"current": a.version, "stale": a.version + 1}.get(if_match or "")
        planned: PlannedUpload = plan_upload(
            None if unknown else a, str(uuid4()) if unknown else a.id, kind, public,
            self._superseded(a, supersedes, kind, index), how, n, filename,
            may_archive(who, a), version)
        status, answer = self._send(planned.path, None, self._key(key), planned.status,
                                    self._if_match(version), who, planned.upload)
        if status != 201:
            return
        doc = planned.doc
        assert doc is not None
        sent = {k: answer.get(k) for k in ("sha256", "size", "media_type", "kind", "filename",
                                           "version")}
        assert sent == {"sha256": doc.sha256, "size": doc.size, "media_type": doc.media_type,
                        "kind": doc.kind, "filename": doc.filename,
                        "version": a.version + 1}, f"{planned.path}: {answer}, expected {doc}"
        assert answer["document_id"] not in self.holders, answer
        self.holders[attach(a, doc, answer).id] = a.id

    @rule(agreement=agreements, kind=DOCUMENT_KINDS, public=st.booleans(),
          supersedes=SUPERSEDING, index=st.integers(0, 99), how=UPLOADS,
          n=st.integers(0, 3), filename=st.sampled_from(FILENAMES), who=ARCHIVE_CALLERS,
          to=UPLOAD_TARGETS, if_match=st.sampled_from([None, None, None, "current", "stale"]),
          key=st.sampled_from(KEYS))
    @guarded
    def attach_document(self, agreement: str, kind: str, public: bool, supersedes: str | None,
                        index: int, how: str, n: int, filename: tuple[str, str], who: str,
                        to: str, if_match: str | None, key: str) -> None:
        """A document uploaded to an agreement's archive (or to no agreement) by any caller,
        of any kind, public or not, maybe a new version of an earlier one or a further
        signed text of a signed agreement; the file of any type or of none, at and beyond
        the size limit; the form malformed now and then."""
        a = self.locals[agreement]
        if to == "signed":
            signed = [s for s in self.locals.values() if s.stage in RECORDING
                      and any(d.kind == "SIGNED" for d in s.documents.values())]
            a, kind = (signed[index % len(signed)], "SIGNED") if signed else (a, kind)
        self._attach(a, kind, public, supersedes, index, how, n, filename,
                     caller(who, a, self.opds), to == "unknown", if_match, key)

    @precondition(lambda self: self.holders)
    @rule(index=st.integers(0, 99),
          which=mostly(["published", "published", "any"], ["any", "unknown", "malformed"]),
          reason=st.one_of(st.none(), OK_SHORT), who=ARCHIVE_CALLERS,
          if_match=st.sampled_from([None, None, None, "current", "stale"]),
          key=st.sampled_from(KEYS))
    @guarded
    def unpublish_document(self, index: int, which: str, reason: Text | None, who: str,
                           if_match: str | None, key: str) -> None:
        """One of the example's documents taken off the public register (mostly one that
        is on it; else any, public or not, taken down already or not; or a document nobody
        holds), by any caller."""
        docs = [d for d, aid in self.holders.items() if which != "published"
                or self.locals[aid].documents[d].published] or list(self.holders)
        document = docs[index % len(docs)]
        a = self.locals[self.holders[document]]
        document_id = {"unknown": str(uuid4()), "malformed": "bukan-id"}.get(which, document)
        version = {"current": a.version, "stale": a.version + 1}.get(if_match or "")
        sender = caller(who, a, self.opds)
        holder = None if which in ("unknown", "malformed") else a
        planned = plan_unpublish(document_id, holder, reason, may_archive(sender, a), version)
        status, answer = self._send(planned.path, planned.body, self._key(key),
                                    planned.status, self._if_match(version), sender)
        if status == 200:
            assert (answer["id"], answer["stage"], answer["version"]) == (
                a.id, planned.stage, a.version + 1), f"{planned.path}: {answer}"
            a.documents[document].unpublished = True
            a.version = answer["version"]

    @rule(agreement=agreements, index=st.integers(0, 99), who=ARCHIVE_CALLERS)
    @guarded
    def read_archive(self, agreement: str, index: int, who: str) -> None:
        """An agreement's documents listed, and one of them downloaded, by any caller: the
        list for everyone, the bytes for those who may read them, 403 for the others."""
        a = self.locals[agreement]
        reader = caller(who, a, self.opds)
        http = self.world.http["agreements"]
        listed = http.get(f"/agreements/{a.id}/documents", headers=reader.headers())
        may = may_read_archive(reader, a)
        assert listed.status_code == 200, \
            f"GET /agreements/{a.id}/documents as {reader}: {listed.status_code} {listed.text}"
        want = [d.listed() for d in a.documents.values()]  # metadata, as the events carry it
        assert listed.json() == want, f"{listed.json()} != {want}"
        if not a.documents:
            return
        doc = list(a.documents.values())[index % len(a.documents)]
        got = http.get(f"/documents/{doc.id}", headers=reader.headers())
        assert got.status_code == (200 if may or doc.published else 403), \
            f"GET /documents/{doc.id} ({doc}) as {reader}: {got.status_code} {got.text[:300]}"
        if got.status_code == 200:
            assert (hashlib.sha256(got.content).hexdigest(), got.headers["ETag"],
                    got.headers["content-type"]) == (doc.sha256, f'"{doc.sha256}"',
                                                     doc.media_type), doc

    @precondition(lambda self: self.asides < 4)
    @rule(action=st.sampled_from(ACTIONS), choices=CHOICES)
    @guarded
    def act_on_unknown_agreement(self, action: str, choices: Choices) -> None:
        self.asides += 1
        nobody = Local(str(uuid4()), "KSDD", "MOU", ("REGIONAL_GOVERNMENT",), TODAY, None,
                       frozenset(), {})
        planned = plan_action(action, nobody, choices, TODAY, {})
        self._send(planned.path, planned.body, None, 404 if planned.status != 422 else 422)

    @precondition(lambda self: self.asides < 4)
    @rule(year=mostly(YEARS, YEAR_EDGES), realization=st.sampled_from([80, 62.5, 0, 100, 101]),
          effectiveness=st.sampled_from([60, 0, 100, 33.33, -1]), key=st.sampled_from(KEYS),
          codes=mostly(PRIORITY_SETS, PRIORITY_SET_EDGES), due=st.sampled_from(DUE_DATES))
    @guarded
    def work_program(self, year: int, realization: float, effectiveness: float,
                     key: str, codes: tuple[str, ...] = (), due: str | None = None) -> None:
        """A year's work program (the whole of it: targets, priorities, mapping due
        date), valid or not."""
        self.asides += 1
        valid = (year_in_domain(year) and 0 <= realization <= 100 and 0 <= effectiveness <= 100
                 and program_ok(codes))
        expected = 422 if not valid else 200 if year in self.world.adopted else 201
        status, _ = self._send(f"/work-programs/{year}", program_body(
            realization, effectiveness, codes, due), self._key(key), expected)
        if status < 300:
            self.world.priorities[year] = frozenset(codes)

    def _item_caller(self, who: str, opd: str) -> Caller:
        other = next(o for o in self.opds if o != opd)
        return {"tkksd": TESTER, "own": staff_of(opd), "other": staff_of(other),
                "sekda": Caller("sekda", ("sekda",))}[who]

    @precondition(lambda self: self.programs < 2)
    @rule(year=st.sampled_from(PLANNING_YEARS), codes=st.sampled_from(PRIORITY_SETS[1:]),
          due=st.sampled_from(DUE_DATES))
    @guarded
    def plan_a_year(self, year: int, codes: tuple[str, ...], due: str | None) -> None:
        """A valid work program with priorities, for a year the mapping and the proposals
        use most."""
        self.programs += 1
        self.asides -= 1  # not one of the few edge cases an example tries
        self.work_program(year, 80, 60, "fresh", codes, due)

    @rule(year=st.sampled_from(PLANNING_YEARS), opd=st.integers(0, 2),
          who=st.sampled_from(("own", "own", "tkksd")), how=st.sampled_from(
              ("none", "adopted", "adopted")), pick=st.integers(0, 2),
          partners=st.integers(0, 2), edge=mostly(("none",), ITEM_EDGES),
          key=st.sampled_from(KEYS))
    @guarded
    def map_an_item_or_not(self, year: int, opd: int, who: str, how: str, pick: int,
                           partners: int, edge: str, key: str) -> None:
        """An item added to an agency's mapping: valid three times in four, else with one
        input at or beyond an edge (year, priority, a text, the partners, the caller)."""
        bad_short = next(t for t in SHORT_TEXTS if not t.ok)
        bad_long = next(t for t in LONG_TEXTS if not t.ok)
        texts = {"affair": bad_short, "description": bad_long, "rpjmd": bad_short}
        self.map_an_item(
            {"year-low": 1979, "year-high": 2100, "year-edge": 2099}.get(edge, year), opd,
            {"other": "other", "sekda": "sekda"}.get(edge, who),
            edge if edge in PRIORITY_EDGES else how, pick,
            texts.get(edge, SHORT_TEXTS[1]) if edge == "affair" else SHORT_TEXTS[1],
            texts["description"] if edge == "description" else LONG_TEXTS[1],
            texts["rpjmd"] if edge == "rpjmd" else SHORT_TEXTS[2],
            {"partners": 21, "partners-max": 20}.get(edge, partners), key)

    def map_an_item(self, year: int, opd: int, who: str, how: str, pick: int,
                    affair: Text, description: Text, rpjmd: Text, partners: int,
                    key: str) -> None:
        """An item added to an agency's mapping of a year (mostly with one of the year's
        priorities), valid or not, by any caller."""
        codes = sorted(self.planning.priorities.get(year, ()))
        priority = {"none": None, "adopted": codes[pick % len(codes)] if codes else None}.get(
            how, how)
        agency = self.opds[opd]
        sender = self._item_caller(who, agency)
        body, refused = item_body(affair, description, rpjmd, priority, partners)
        expected = (422 if refused or not year_in_domain(year) else
                    403 if not may_map(sender, agency) else
                    201 if self.planning.priority_rules(priority, year) else 422)
        status, answer = self._send(f"/mappings/{year}/{agency}/items", body,
                                    self._key(key), expected, caller=sender)
        if status == 201:
            assert (answer["stage"], answer["version"]) == ("ACTIVE", 1), answer
            self.planning.items[answer["id"]] = Item(
                answer["id"], year, agency, stored(body, affair, description, rpjmd))

    @precondition(lambda self: self.planning.items)
    @rule(index=st.integers(0, 99), which=mostly(("known",), ("unknown",)),
          withdraw=st.booleans(), who=mostly(("own", "tkksd"), ("other", "sekda")),
          how=mostly(("none", "adopted", "adopted"), PRIORITY_EDGES), pick=st.integers(0, 2),
          affair=OK_SHORT,
          if_match=st.sampled_from([None, None, "current", "stale"]),
          reason=st.one_of(st.none(), OK_SHORT), key=st.sampled_from(KEYS))
    @guarded
    def change_an_item(self, index: int, which: str, withdraw: bool, who: str, how: str,
                       pick: int, affair: Text, if_match: str | None, reason: Text | None,
                       key: str) -> None:
        """A mapping item revised (mostly with one of its year's priorities) or withdrawn
        (or one nobody made), by any caller."""
        items = list(self.planning.items.values())
        item = items[index % len(items)]
        codes = sorted(self.planning.priorities.get(item.year, ()))
        priority = {"none": None, "adopted": codes[pick % len(codes)] if codes else None}.get(
            how, how)
        target = None if which == "unknown" else item
        sender = self._item_caller(who, item.opd)
        version = {"current": item.version, "stale": item.version + 1}.get(if_match or "")
        item_id = item.id if target else str(uuid4())
        if withdraw:
            body = None if reason is None else {"reason": reason.sent}
            refused = [] if reason is None or reason.ok else ["reason"]
            path, method = f"/mapping-items/{item_id}/withdraw", "POST"
        else:
            body, refused = item_body(affair, LONG_TEXTS[1], SHORT_TEXTS[1], priority, 1)
            path, method = f"/mapping-items/{item_id}", "PUT"
        realised = any(a.mapping_item_id == item.id and a.signed_on is not None
                       for a in self.locals.values())
        expected = item_status(self.planning, target, refused, sender, version, priority,
                               withdraw, realised)
        status, answer = self._send(path, body, self._key(key), expected,
                                    self._if_match(version), sender, method=method)
        if status == 200:
            assert target is not None
            assert (answer["id"], answer["version"]) == (item.id, item.version + 1), answer
            item.version = answer["version"]
            item.stage = answer["stage"]
            if withdraw:
                assert answer["stage"] == "WITHDRAWN", answer
                item.reason = None if reason is None else reason.expected
            else:
                item.body = stored(body or {}, affair, LONG_TEXTS[1], SHORT_TEXTS[1])

    @precondition(lambda self: self.planning.items)
    @rule(index=st.integers(0, 99))
    @guarded
    def read_the_mapping(self, index: int) -> None:
        """An agency's mapping of a year and one of its items: as the model has them."""
        items = list(self.planning.items.values())
        item = items[index % len(items)]
        http = self.world.http["agreements"]
        got = http.get(f"/mapping-items/{item.id}")
        assert (got.status_code, got.json(), got.headers["ETag"]) == (
            200, item.shown(), f'"{item.version}"'), got.text
        listed = http.get(f"/mappings/{item.year}/{item.opd}").json()
        want = [i.shown() for i in items if (i.year, i.opd) == (item.year, item.opd)]
        assert listed == want, f"{listed} != {want}"

    # --- the partner registry -----------------------------------------------------------

    def _registry_caller(self, who: str) -> Caller:
        return {"tkksd": TESTER, "staff": staff_of(self.opds[0]),
                "sekda": Caller("sekda", ("sekda",))}[who]

    def _fresh_name(self, index: int) -> str:
        self.names += 1
        text = [t for t in SHORT_TEXTS if t.ok][index % 5]
        return f"{text.sent} {self.opds[0][:-1]}.{self.names}"

    def _partner_body(self, name: str, category: str, country: str, codes: int,
                      contact: int) -> dict[str, Any]:
        """A valid body (codes and contact left out now and then: none)."""
        body: dict[str, Any] = {"name": name, "category": category, "country": country}
        return body | ({"codes": CODES[codes]} if codes else {}) | (
            {"contact": CONTACTS[contact]} if contact or codes % 2 else {})

    def _target(self, which: str, pick: int) -> Registered | str:
        """The partner a command acts on (TARGETS), or the id of none."""
        registry = self.world.registry
        found = {"mine": lambda: registry.pick(pick, self.partners),
                 "any": lambda: registry.pick(pick, []),
                 "merged": lambda: registry.pick(pick, self.partners, stage="MERGED")}.get(
            which, lambda: None)()
        return found or (MALFORMED if which == "malformed" else str(uuid4()))

    @rule(how=REGISTERING, who=REGISTRARS, category=st.sampled_from(ALL_CATEGORIES),
          codes=st.integers(0, 2), contact=st.integers(0, 2), bad=st.sampled_from(sorted(BAD)),
          pick=st.integers(0, 99), key=st.sampled_from(KEYS))
    @guarded
    def register_partner(self, how: str, who: str, category: str, codes: int, contact: int,
                         bad: str, pick: int, key: str) -> None:
        """A partner registered by any caller: new, or one the registry holds under
        another spelling, under the name it had before a revision or as merged since (409
        naming the partner it stands for), or with a body the contract refuses."""
        registry = self.world.registry
        country = "MY" if category.startswith("FOREIGN") else ("SG", "ID", "ID")[pick % 3]
        name = self._fresh_name(pick)
        known = None
        if how in ("spelling", "other country"):
            known = registry.pick(pick, self.partners, stage=None)
        elif how == "renamed":  # the name it was registered with, renamed since
            known = registry.pick(pick, self.partners, stage=None, fits=lambda p: (
                p.key != partner_key(*p.registered_as)))
        elif how == "merged":
            known = registry.pick(pick, self.partners, stage="MERGED")
        if known is not None:
            name, country = known.name, known.country
            if how == "renamed":
                name, country = known.registered_as
            elif how == "other country":
                country = "KR" if country != "KR" else "ID"
            name = SPELLINGS[pick % len(SPELLINGS)](name) if how != "renamed" else name
        body = self._partner_body(name, category, country, codes, contact)
        if how == "longest":
            body = self._partner_body(name.ljust(300, "x"), category, country, 3, 2)
        valid = how != "bad" and name_ok(body["name"])
        self._register(BAD[bad](body) if how == "bad" else body, valid,
                       self._registry_caller(who), key)

    def _register(self, body: dict[str, Any], valid: bool, sender: Caller, key: str) -> None:
        """``POST /partners`` as the model says."""
        registry = self.world.registry
        expected, partner_id = registry.register(body, valid, sender.secretariat
                                                 or bool(sender.agencies))
        status, answer = self._send("/partners", body, self._key(key), expected,
                                    caller=sender)
        if status == 409:
            assert (answer["type"], answer["existing_id"]) == (
                PROBLEM + "partner-exists", partner_id), f"{body}: {answer}"
        if status == 201:
            assert answer == {"id": partner_id, "version": 1, "stage": "ACTIVE"}, answer
            assert partner_id is not None
            registry.partners[partner_id] = Registered(
                partner_id, body["name"], body["category"], body["country"],
                stored_codes(body), stored_contact(body))
            self._touched(partner_id)

    @rule(which=TARGETS, how=REVISING, who=KEEPERS, category=st.sampled_from(ALL_CATEGORIES),
          codes=st.integers(0, 3), contact=st.integers(0, 2), bad=st.sampled_from(sorted(BAD)),
          pick=st.integers(0, 99), if_match=st.sampled_from([None, None, "current", "stale"]),
          key=st.sampled_from(KEYS))
    @guarded
    def revise_partner(self, which: str, how: str, who: str, category: str, codes: int,
                       contact: int, bad: str, pick: int, if_match: str | None,
                       key: str) -> None:
        """What the registry knows of a partner replaced, by any caller: its name kept or
        changed (to one another active partner holds: 409 naming it), a merged partner,
        one the registry does not hold, a stale If-Match, a body the contract refuses."""
        registry = self.world.registry
        target = self._target(which, pick)
        partner = target if isinstance(target, Registered) else None
        name, country = (partner.name, partner.country) if partner else (
            self._fresh_name(pick), "ID")
        other = registry.pick(pick, [], stage="MERGED" if how == "merged name" else "ACTIVE",
                              fits=lambda p: partner is None or p.id != partner.id)
        if how == "rename":
            name = self._fresh_name(pick)
        elif how == "spelling":
            name = SPELLINGS[pick % len(SPELLINGS)](name)
        elif how in ("collide", "merged name") and other is not None:
            name, country = SPELLINGS[pick % len(SPELLINGS)](other.name), other.country
        body = self._partner_body(name, category, country, codes, contact)
        valid = how != "bad" and name_ok(name)
        body = BAD[bad](body) if how == "bad" else body
        partner_id = partner.id if partner else str(target)
        version = {"current": partner.version, "stale": partner.version + 1}.get(
            if_match or "") if partner else {"current": 1, "stale": 2}.get(if_match or "")
        sender = self._registry_caller(who)
        expected, holder = registry.revise(partner_id, body, valid, sender.secretariat,
                                           version)
        status, answer = self._send(f"/partners/{partner_id}", body, self._key(key), expected,
                                    self._if_match(version), sender, method="PUT")
        self._registry_answer(status, answer, holder)
        if status == 200:
            assert partner is not None
            assert answer == {"id": partner_id, "version": partner.version + 1,
                              "stage": "ACTIVE"}, answer
            partner.revised(body)
            partner.version += 1

    def _registry_answer(self, status: int, answer: dict[str, Any],
                         holder: str | None) -> None:
        """A 409 names the problem: the partner merged already, or the one holding the
        name (``existing_id``)."""
        if status == 409:
            assert (answer["type"], answer.get("existing_id")) == (
                (PROBLEM + "partner-exists", holder) if holder else
                (PROBLEM + "partner-merged", None)), answer

    @rule(which=TARGETS, into=INTO, who=KEEPERS, pick=st.integers(0, 99),
          other=st.integers(0, 99), if_match=st.sampled_from([None, None, "current", "stale"]),
          key=st.sampled_from(KEYS))
    @guarded
    def merge_partners(self, which: str, into: str, who: str, pick: int, other: int,
                       if_match: str | None, key: str) -> None:
        """A duplicate merged into the partner that stays, by any caller: into another
        active partner, into a merged one (the one it stands for stays; itself: 422),
        into itself or no partner (422); a partner merged already (409), one the registry
        does not hold (404), a stale If-Match."""
        registry = self.world.registry
        target = self._target(which, pick)
        partner = target if isinstance(target, Registered) else None
        partner_id = partner.id if partner else str(target)
        stays = partner_id if into == "itself" else self._target(into, other)
        if isinstance(stays, Registered) and stays.id == partner_id:
            stays = registry.pick(other, self.partners if into == "mine" else [],
                                  fits=lambda p: p.id != partner_id) or stays
        into_id = stays.id if isinstance(stays, Registered) else stays
        self._merge(partner or partner_id, into_id, who, if_match, key)

    def _merge(self, partner: Registered | str, into_id: str, who: str,
               if_match: str | None, key: str) -> None:
        """``POST /partners/{id}/merge`` (``partner``: the id of none the registry
        holds, or a malformed one) as the model says."""
        registry = self.world.registry
        partner_id = partner.id if isinstance(partner, Registered) else partner
        version = ({"current": partner.version, "stale": partner.version + 1}
                   if isinstance(partner, Registered) else {"current": 1, "stale": 2}
                   ).get(if_match or "")
        sender = self._registry_caller(who)
        expected, survivor = registry.merge(partner_id, into_id, sender.secretariat, version)
        status, answer = self._send(f"/partners/{partner_id}/merge", {"into": into_id},
                                    self._key(key), expected, self._if_match(version), sender)
        self._registry_answer(status, answer, None)
        if status == 422 and into_id != MALFORMED:
            assert answer["type"] == PROBLEM + "unknown-partner", answer
        if status == 200:
            assert isinstance(partner, Registered)
            assert answer == {"id": partner_id, "version": partner.version + 1,
                              "stage": "MERGED"}, answer
            partner.stage, partner.merged_into = "MERGED", survivor
            partner.version += 1

    @rule(chain=st.booleans(), category=st.sampled_from(ALL_CATEGORIES),
          pick=st.integers(0, 99), if_match=st.sampled_from([None, "current"]))
    @guarded
    def merge_duplicates(self, chain: bool, category: str, pick: int,
                         if_match: str | None) -> None:
        """Duplicates merged as the TKKSD does it: one of the example's partners (a new
        one when it has too few) into another, and that one, now and then, into a third
        (a chain: the first then stands for the third); then the first registered again
        under the name it was registered with (409 naming the partner it stands for)."""
        registry = self.world.registry
        while len(chosen := [p for p in self.partners if registry.partners[p].stage
                             == "ACTIVE"]) < 2 + chain:
            self.register_partner("fresh", "tkksd", category, 0, 0, "control", pick, "fresh")
        chosen = chosen[pick % len(chosen):] + chosen[:pick % len(chosen)]
        for merged, stays in itertools.pairwise(chosen[:2 + chain]):
            self._merge(registry.partners[merged], stays, "tkksd", if_match, "fresh")
        first = registry.partners[chosen[0]]  # its name again: 409 naming the one that stays
        name, country = first.registered_as
        name = SPELLINGS[pick % len(SPELLINGS)](name)
        self._register({"name": name, "country": country, "category": first.category},
                       name_ok(name), TESTER, "fresh")

    @precondition(lambda self: self.earlier)
    @rule()
    @guarded
    def adopt_earlier_partners(self) -> None:
        """The adoption job runs (as the service runs it, on its database): the partners
        of the agreements proposed in the earlier release that the registry does not hold
        are registered (adopted), and merged at once into a partner that took their name
        since; their agreements are then found on the partner's page."""
        world = self.world
        expected = world.registry.adopt([world.legacy[aid] for aid in world.unadopted])
        world.unadopted.clear()
        adopted = asyncio.run_coroutine_threadsafe(adopt_earlier_partners(
            world.system.databases["agreements"]), world.loop).result(60)
        world.appended += sum(expected.values())
        world.answers["adopt-partners", 200] += len(adopted)
        assert sorted(adopted) == sorted(expected), f"adopted {adopted}, expected {expected}"

    @rule(which=mostly(("mine", "mine", "any", "merged"), ("unknown", "malformed")),
          pick=st.integers(0, 99))
    @guarded
    def read_partner(self, which: str, pick: int) -> None:
        """``GET /partners/{id}``: an active partner as the model has it, with the
        agreements that recorded it or a partner merged into it; a merged one 301 to the
        partner it stands for (along a chain); 404 for an id the registry does not hold."""
        registry = self.world.registry
        target = self._target(which, pick)
        partner_id = target.id if isinstance(target, Registered) else target
        got = self.world.http["agreements"].get(f"/partners/{partner_id}")
        stays = registry.survivor(partner_id)
        expected = 404 if stays is None else 200 if stays == partner_id else 301
        assert got.status_code == expected, f"GET /partners/{partner_id}: {got.status_code}" \
                                            f" {got.text[:500]}, expected {expected}"
        if expected == 301:
            assert got.headers["Location"] == f"/partners/{stays}", got.headers
        if expected != 200:
            return
        view = got.json()
        shown = registry.partners[partner_id].shown()
        assert ({k: v for k, v in view.items() if k != "agreements"}, got.headers["ETag"]) == (
            shown, f'"{shown["version"]}"'), f"{view} != {shown}"
        listed = {a["id"]: a["partner_id"] for a in view["agreements"]}
        want = {aid: pid for aid, pid in self.world.recorded.items()
                if registry.survivor(pid) == partner_id}
        legacy = {aid: pid for aid, pid in listed.items() if aid in self.world.legacy}
        assert {k: v for k, v in listed.items() if k not in legacy} == want, \
            f"the agreements of {partner_id}: {listed}, expected {want}"
        assert all(registry.survivor(pid) == partner_id for pid in legacy.values()), legacy

    @rule(how=st.sampled_from(("name", "word", "spelling", "nothing")),
          narrow=st.sampled_from((None, None, "country", "category")), pick=st.integers(0, 99))
    @guarded
    def search_partners(self, how: str, narrow: str | None, pick: int) -> None:
        """``GET /partners?q=``: the active partners whose name holds ``q`` however
        spelt (of a country or a category, now and then), as the model has them."""
        registry = self.world.registry
        partner = registry.pick(pick, self.partners, stage=None)
        if partner is None:  # the registry is empty yet
            how, partner = "nothing", Registered("", "", "THIRD_PARTY", "ID")
        q = {"name": partner.name, "word": partner.name.rsplit(" ", 1)[-1],
             "spelling": SPELLINGS[pick % len(SPELLINGS)](partner.name),
             "nothing": f"tiada {uuid4().hex}"}[how]
        country = partner.country if narrow == "country" else None
        category = partner.category if narrow == "category" else None
        params = {k: v for k, v in (("q", q), ("limit", 1000), ("country", country),
                                    ("category", category)) if v is not None}
        got = self.world.http["agreements"].get("/partners", params=params)
        expected = 200 if len(q) <= 300 else 422
        assert got.status_code == expected, f"GET /partners {params}: {got.status_code}"
        if expected == 200:
            want = registry.search(q, country, category)
            assert {p["id"]: p for p in got.json()} == {
                i: registry.partners[i].shown() for i in want}, f"GET /partners {params}"

    @precondition(lambda self: self.sent)
    @rule(index=st.integers(0, 99))
    @guarded
    def repeat_a_request(self, index: int) -> None:
        """The same key and body again: the first answer, and nothing stored."""
        first = self.sent[index % len(self.sent)]
        _, answer = self._send(first.path, first.body, first.key, first.status,
                               caller=first.caller, upload=first.upload, method=first.method)
        assert answer == first.answer, f"{first.path}: {answer} != {first.answer}"

    @precondition(lambda self: self.sent)
    @rule(index=st.integers(0, 99))
    @guarded
    def reuse_a_key_with_another_body(self, index: int) -> None:
        """The same key with another body: 422, and nothing stored."""
        first = self.sent[index % len(self.sent)]
        if first.upload is not None:  # the same form with another file
            self._send(first.path, None, first.key, 422, caller=first.caller,
                       upload=first.upload.changed())
            return
        self._send(first.path, changed(first.body, first.path, TODAY), first.key, 422,
                   caller=first.caller, method=first.method)

    @precondition(lambda self: any(s.made for s in self.sent))
    @rule(target=agreements, index=st.integers(0, 99))
    @guarded
    def propose_again_as_another_caller(self, index: int) -> Any:
        """Another caller's proposal with the same Idempotency-Key and body: keys are
        scoped to the caller (docs/domain.md#boundaries), so it is a new agreement of its
        own, whose partner the registry resolves anew (a partner_id whose partner was
        revised since to a category or country the kind does not take: 422)."""
        first = [s for s in self.sent if s.made][index % sum(1 for s in self.sent if s.made)]
        assert first.made is not None and first.body is not None
        another = Caller("another", TESTER.roles)
        if first.key in self.other_caller:  # the other caller's own repeat: a replay
            _, answer = self._send(first.path, first.body, first.key, 201, caller=another)
            assert answer["id"] == self.other_caller[first.key], answer
            return answer["id"]
        named = self.world.registry.naming({k: first.body[k] for k in (
            "partner", "partner_id") if k in first.body})
        fit = named.recorded is not None and fits(first.made.kind, named.recorded)
        status, answer = self._send(first.path, first.body, first.key, 201 if fit else 422,
                                    caller=another, events=1 + named.registers)
        if status != 201:
            return multiple()
        assert answer["id"] != first.answer["id"], \
            f"another caller's proposal answered with the first caller's agreement {answer}"
        self.other_caller[first.key] = answer["id"]
        assert named.recorded is not None
        made = replace(first.made, categories=(named.recorded["category"],
                                               *first.made.categories[1:]),
                       shown=first.made.shown | {"partner": named.recorded,
                                                 "partner_id": named.partner_id})
        self._proposed(answer["id"], made, named)
        return answer["id"]

    def teardown(self) -> None:
        # after a failed step only catch up, so that the next example starts from here
        self.world.check_example(self.locals, report=not self.failed)


async def store_earlier_proposal(database_url: str, body: dict[str, Any],
                                 today: date) -> str:
    """Store a proposal as the release before ``agreement.proposed.v2`` did: the v1 event
    (today's decision without ``partner_id``) and the read-model row without it."""
    aid = uuid4()
    command = ProposeAgreement(**body, agreement_id=aid, command_id=f"earlier-{aid}")
    [event] = decide(command, None, DecisionContext(today=today))
    data = event.model_dump(mode="json")
    del data["partner_id"]
    row = state_json(evolve(None, event))
    for later in ("partner_id", "documents", "priority", "mapping_item_id", "value_cash",
                  "value_in_kind", "revenue"):
        del row[later]  # that release had none of them
    conn = await asyncpg.connect(database_url)
    try:
        await event_store.append_command(
            conn, str(aid), 0, None,  # type: ignore[arg-type]
            [NewEvent(uuid4(), AgreementProposedV1.event_type, data,
                      {"actor": "earlier-release", "command_id": command.command_id,
                       "command": command.routing_key}, datetime.now(UTC))],
            CommandWrite(f"earlier-release\x1f{command.command_id}", "earlier", "PROPOSED",
                         agreement=row))
    finally:
        await conn.close()
    return str(aid)


async def adopt_earlier_partners(database_url: str) -> list[str]:
    """One run of the partner adoption job, as the service runs it: the ids it adopted."""
    pool = await open_database(load_settings(AgreementsSettings,
                                             agreements_database_url=database_url))
    try:
        return [str(i) for i in await adopt_partners(pool, AgreementService(
            PostgresEventStore(pool)))]
    finally:
        await pool.close()


@pytest.fixture
async def system(broker: LoadedDefinitions, database_url_factory: DatabaseUrlFactory,
                 tmp_path: Path) -> AsyncIterator[System]:
    async with running_system(broker, database_url_factory, tmp_path, TODAY,
                              KERJASAMA_EXPIRY_INTERVAL_SECONDS="86400",
                              KERJASAMA_PARTNER_ADOPTION_INTERVAL_SECONDS="86400",
                              KERJASAMA_REFRESH_AFTER_EVENTS_SECONDS="0.1",
                              KERJASAMA_MAX_DOCUMENT_BYTES=str(MAX_BYTES)) as running:
        yield running


async def test_the_system_agrees_with_a_model_of_it(
        system: System, broker: LoadedDefinitions, monkeypatch: pytest.MonkeyPatch) -> None:
    # every shrinking step runs commands against real processes and waits for them: give
    # shrinking two minutes (Hypothesis' default is five) unless the profile is slow
    monkeypatch.setattr(engine, "MAX_SHRINKING_SECONDS", 600 if SLOW else 120)
    kpis = KpiSubscriber()
    await kpis.start(broker.amqp_url(KPI_READER))
    async with RabbitAdmin(broker.management_url("ADMIN")) as admin:
        world = World(system, admin, broker.vhost, asyncio.get_running_loop(), TODAY, kpis)
        Model.world = world
        if os.environ.get("KERJASAMA_MODEL_SEED"):
            seed(int(os.environ["KERJASAMA_MODEL_SEED"]))(Model)
        try:
            await asyncio.to_thread(run_state_machine_as_test, Model, settings=PROFILE)
            await asyncio.to_thread(world.check_rebuild)
        finally:
            print(world.summary())
            world.close()
            await kpis.stop()
