"""What the agreements service should answer: a model of each agreement and of the rules
of DESIGN §1, §5 and §8, checked in the order of §8 (invalid body 422 → unknown id 404 →
version mismatch 412 → stage 409 → conflicts of the action 409 → broken rule 422)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

from tests.model.inputs import (
    LONG_TEXTS,
    SHORT_TEXTS,
    Text,
    add_years,
    in_domain,
    resolve,
    resolve_start,
    resolve_until,
)

CATEGORIES = {"KSDD": ("REGIONAL_GOVERNMENT",), "KSDPK": ("THIRD_PARTY", "OTHER_INSTITUTION"),
              "KSDPL": ("FOREIGN_REGIONAL_GOVERNMENT",), "KSDLL": ("FOREIGN_INSTITUTION",),
              "SINERGI": ("MINISTRY_OR_AGENCY", "STATE_UNIVERSITY")}
ALL_CATEGORIES = tuple(c for cs in CATEGORIES.values() for c in cs)
FOREIGN = frozenset({"KSDPL", "KSDLL"})
_ANY = ("GOVERNOR", "REGIONAL_SECRETARY", "HEAD_OF_AGENCY")
SIGNATORIES = {c: _ANY for c in ALL_CATEGORIES} | {
    "FOREIGN_REGIONAL_GOVERNMENT": ("GOVERNOR",),
    "FOREIGN_INSTITUTION": ("GOVERNOR", "REGIONAL_SECRETARY")}
BEFORE_SIGNING = frozenset({"PROPOSED", "IN_REVIEW", "REVISION_REQUESTED", "DRAFTING",
                            "IN_DISCUSSION", "AWAITING_APPROVAL", "READY_TO_SIGN"})
RECORDING = frozenset({"SIGNED", "TERMINATED", "EXPIRED"})
STAGES = {"review": {"PROPOSED"}, "request-revision": {"IN_REVIEW"},
          "resubmit": {"REVISION_REQUESTED"}, "reject": {"IN_REVIEW"},
          "withdraw": BEFORE_SIGNING, "draft": {"IN_REVIEW", "DRAFTING"},
          "discuss": {"DRAFTING", "IN_DISCUSSION"}, "approve": {"AWAITING_APPROVAL"},
          "sign": {"READY_TO_SIGN"}, "plan": {"SIGNED"}, "follow-ups": RECORDING,
          "complete": RECORDING, "evaluate": RECORDING, "terminate": {"SIGNED"},
          "expire": {"SIGNED"}}
ACTIONS = tuple(STAGES)
NEXT_STAGE = {"review": "IN_REVIEW", "request-revision": "REVISION_REQUESTED",
              "resubmit": "IN_REVIEW", "reject": "REJECTED", "withdraw": "WITHDRAWN",
              "draft": "DRAFTING", "sign": "SIGNED", "terminate": "TERMINATED",
              "expire": "EXPIRED"}
OUTCOMES = ("AGREED", "CONTINUE", "NEEDS_REVISION")
AUTHORITIES = ("DPRD", "CENTRAL_GOVERNMENT")
ROLES = ("GOVERNOR", "REGIONAL_SECRETARY", "HEAD_OF_AGENCY")
PLANS = (("m1",), ("m1", "m2"), ("m2", "m3"), ("m1", "m1"), ("m3",))
FOLLOW_UP_MILESTONES = (None, "m1", "m2", "m3")
MILESTONE_PATHS = ("m1", "m2", "m3", "bad id")
SCORES = (4, 1, 5, 3, 2, 0, 6)
RECOMMENDATIONS = ("CONTINUE", "EXPAND", "STOP")


def required_approvals(kind: str, burdens_budget: bool) -> frozenset[str]:
    foreign = kind in FOREIGN
    return frozenset({"DPRD"} if burdens_budget or foreign else set()) | frozenset(
        {"CENTRAL_GOVERNMENT"} if foreign else set())


@dataclass
class Local:
    """What the test knows of one agreement it made."""

    id: str
    kind: str
    document_type: str
    categories: tuple[str, ...]
    proposed_on: date
    parent_id: str | None
    required: frozenset[str]
    texts: dict[str, str]
    stage: str = "PROPOSED"
    version: int = 1
    granted: set[str] = field(default_factory=set)
    signed_on: date | None = None
    effective_from: date | None = None
    effective_until: date | None = None
    terminated_on: date | None = None
    milestones: dict[str, date | None] = field(default_factory=dict)

    @property
    def last_day(self) -> date | None:
        if self.effective_until is None or self.terminated_on is None:
            return self.effective_until
        return min(self.effective_until, self.terminated_on)


@dataclass(frozen=True)
class Choices:
    """How an action's body is made (``variant`` picks outcome, role, milestone, …)."""

    when: str = "low"
    start: str = "signed"
    until: str = "year"
    short: Text = SHORT_TEXTS[0]
    long: Text = LONG_TEXTS[0]
    variant: int = 0
    with_body: bool = True


@dataclass
class Planned:
    """A request and the answer the model expects (``stage``: the stage after a 2xx)."""

    path: str
    body: dict[str, Any] | None
    status: int
    stage: str | None = None
    effects: dict[str, Any] = field(default_factory=dict)


def _date_rules(on: date, low: date, today: date) -> bool:
    return low <= on <= today


def plan_action(action: str, a: Local, c: Choices, today: date,
                agreements: dict[str, Local], if_match: int | None = None) -> Planned:
    """The request of ``action`` on ``a`` made from ``c``, and the expected answer."""
    body, ok, rules, effects, conflict = _body(action, a, c, today, agreements)
    path = f"/agreements/{a.id}/" + (
        f"milestones/{quote(MILESTONE_PATHS[c.variant % 4], safe='')}/complete"
        if action == "complete" else action)
    planned = Planned(path, body, 200, effects=effects)
    if not ok:
        planned.status = 422
    elif if_match is not None and if_match != a.version:
        planned.status = 412
    elif a.stage not in STAGES[action] or conflict:
        planned.status = 409
    elif not rules:
        planned.status = 422
    else:
        planned.stage = effects.pop("stage", None) or NEXT_STAGE.get(action, a.stage)
    return planned


def _body(action: str, a: Local, c: Choices, today: date, agreements: dict[str, Local]
          ) -> tuple[dict[str, Any] | None, bool, bool, dict[str, Any], bool]:
    """(body, input valid, rules kept, effects on success, conflict of the action)."""
    short, long, v = c.short, c.long, c.variant
    base = a.proposed_on
    if action in ("review", "resubmit"):
        return ({"note": long.sent} if c.with_body else None), long.ok or not c.with_body, \
            True, {}, False
    if action in ("request-revision", "reject"):
        return {"reason": short.sent}, short.ok, True, {}, False
    if action == "withdraw":
        return ({"reason": short.sent} if c.with_body else None), short.ok or not c.with_body, \
            True, {}, False
    if action == "draft":
        return {"note": long.sent}, long.ok, True, {}, False
    on = resolve(c.when, base, today)
    if action == "discuss":
        outcome = OUTCOMES[v % 3]
        pending = a.required - a.granted
        stage = {"CONTINUE": "IN_DISCUSSION", "NEEDS_REVISION": "DRAFTING"}.get(
            outcome, "AWAITING_APPROVAL" if pending else "READY_TO_SIGN")
        return ({"held_on": on.isoformat(), "summary": long.sent, "outcome": outcome},
                long.ok and in_domain(on), _date_rules(on, base, today), {"stage": stage},
                False)
    if action == "approve":
        authority = AUTHORITIES[v % 2]
        rules = authority in a.required and _date_rules(on, base, today)
        left = a.required - a.granted - {authority}
        return ({"authority": authority, "approved_on": on.isoformat()}, in_domain(on), rules,
                {"stage": "AWAITING_APPROVAL" if left else "READY_TO_SIGN",
                 "granted": authority}, authority in a.granted)
    if action == "sign":
        start = resolve_start(c.start, on if in_domain(on) else base)
        until = resolve_until(c.until, start)
        role = ROLES[v % 3]
        parent = agreements.get(a.parent_id) if a.parent_id else None
        rules = (all(role in SIGNATORIES[cat] for cat in a.categories)
                 and _date_rules(on, base, today) and start <= until <= add_years(start, 5)
                 and (parent is None or parent.stage == "SIGNED"))
        return ({"number": f"120/{v}/{short.sent}", "signed_on": on.isoformat(),
                 "signatory": {"name": short.sent, "role": role},
                 "effective_from": start.isoformat(), "effective_until": until.isoformat()},
                short.ok and all(map(in_domain, (on, start, until))), rules,
                {"signed_on": on, "effective_from": start, "effective_until": until}, False)
    signed_on = a.signed_on or base
    low = min(signed_on, a.effective_from or signed_on)
    if action == "plan":
        ids = PLANS[v % len(PLANS)]
        due = resolve(c.when, signed_on, today)
        done = {m for m, when in a.milestones.items() if when is not None}
        rules = len(set(ids)) == len(ids) and not done & set(ids)
        body: dict[str, Any] = {"milestones": [
            {"id": m, "title": short.sent, "due_on": due.isoformat()} for m in ids]}
        return body, short.ok and in_domain(due), rules, {"plan": ids}, False
    if action in ("follow-ups", "complete", "evaluate"):
        on = resolve(c.when, low, today)
        last = a.last_day
        rules = _date_rules(on, low, today) and (a.stage == "SIGNED" or last is None
                                                 or on <= last)
        if action == "follow-ups":
            milestone = FOLLOW_UP_MILESTONES[v % 4]
            body = {"on": on.isoformat(), "summary": long.sent}
            body |= {"milestone_id": milestone} if milestone else {}
            return body, long.ok and in_domain(on), rules and (
                milestone is None or milestone in a.milestones), {}, False
        if action == "complete":
            milestone = MILESTONE_PATHS[v % 4]
            known = milestone in a.milestones
            return ({"on": on.isoformat()}, milestone != "bad id" and in_domain(on),
                    known and rules, {"completed": (milestone, on)},
                    known and a.milestones[milestone] is not None and a.stage in RECORDING)
        score = SCORES[v % len(SCORES)]
        return ({"on": on.isoformat(), "score": score, "recommendation":
                 RECOMMENDATIONS[v % 3], "note": long.sent},
                long.ok and in_domain(on) and 1 <= score <= 5, rules, {}, False)
    if action == "terminate":
        on = resolve(c.when, signed_on, today)
        until = a.effective_until or signed_on
        return ({"on": on.isoformat(), "reason": short.sent}, short.ok and in_domain(on),
                _date_rules(on, signed_on, min(today, until)), {"terminated_on": on}, False)
    assert action == "expire", action
    until = a.effective_until or today
    on = resolve(c.when, until + timedelta(days=1), today) if c.with_body else today
    return (({"on": on.isoformat()} if c.with_body else None), in_domain(on),
            until < on <= today, {}, a.stage == "SIGNED" and today <= until)


def apply(a: Local, planned: Planned, answer: dict[str, Any]) -> None:
    """Record an accepted action in the model."""
    a.stage, a.version = answer["stage"], answer["version"]
    e = planned.effects
    if "granted" in e:
        a.granted.add(e["granted"])
    if "signed_on" in e:
        a.signed_on, a.effective_from = e["signed_on"], e["effective_from"]
        a.effective_until = e["effective_until"]
    if "plan" in e:
        a.milestones = {m: w for m, w in a.milestones.items() if w is not None} | {
            m: None for m in e["plan"]}
    if "completed" in e:
        a.milestones[e["completed"][0]] = e["completed"][1]
    if "terminated_on" in e:
        a.terminated_on = e["terminated_on"]


def next_step(a: Local, rng: random.Random, agreements: dict[str, Local],
              today: date) -> tuple[str, Choices] | None:
    """The next action of a lifecycle that goes well, with valid inputs (None: nothing)."""
    c = Choices(when=rng.choice(("low", "mid", "today")),
                start=rng.choice(("signed", "later", "earlier")),
                until=rng.choice(("year", "short", "max")),
                short=rng.choice([t for t in SHORT_TEXTS if t.ok]),
                long=rng.choice([t for t in LONG_TEXTS if t.ok]), with_body=rng.random() < 0.5)
    stage = a.stage
    if stage in ("PROPOSED", "REVISION_REQUESTED"):
        return ("review" if stage == "PROPOSED" else "resubmit"), c
    if stage == "IN_REVIEW":
        return rng.choice(("draft", "draft", "draft", "request-revision")), c
    if stage in ("DRAFTING", "IN_DISCUSSION"):
        return "discuss", replace(c, variant=rng.choice((0, 0, 0, 1)))  # mostly AGREED
    if stage == "AWAITING_APPROVAL":
        return "approve", replace(c, variant=AUTHORITIES.index(min(a.required - a.granted)))
    if stage == "READY_TO_SIGN":
        parent = agreements.get(a.parent_id) if a.parent_id else None
        if parent is not None and parent.stage != "SIGNED":
            return None
        roles = [r for r in ROLES if all(r in SIGNATORIES[cat] for cat in a.categories)]
        return "sign", replace(c, variant=ROLES.index(rng.choice(roles)))
    if stage not in RECORDING:
        return None
    open_ids = [m for m, done in a.milestones.items() if done is None]
    options = ["follow-ups", "evaluate"] + (["complete"] if open_ids else [])
    if stage == "SIGNED":
        options += ["plan"] * (not a.milestones) + ["terminate"]
        options += ["expire"] if a.effective_until and a.effective_until < today else []
    else:
        c = replace(c, when="low")  # late records dated inside the in-force period
    action = rng.choice(options)
    if action == "complete":
        return action, replace(c, variant=MILESTONE_PATHS.index(rng.choice(open_ids)))
    if action == "follow-ups":
        ids = [None, *a.milestones]
        return action, replace(c, variant=FOLLOW_UP_MILESTONES.index(rng.choice(ids)))
    if action in ("terminate", "expire"):
        return action, replace(c, when="low")
    return action, replace(c, variant=rng.choice((0, 1, 4)) if action == "plan" else 0)
