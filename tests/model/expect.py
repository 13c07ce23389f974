"""What the agreements service should answer: a model of each agreement and of the rules
of docs/domain.md#kpi-formulas, #lifecycle and #http-interface, checked in the order of
docs/domain.md#errors (invalid body 422 → unknown id 404 → version mismatch 412 → stage
409 → conflicts of the action 409 → broken rule 422)."""

from __future__ import annotations

from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from contracts.partners import partner_id_of
from tests.model.inputs import (
    LONG_TEXTS,
    SHORT_TEXTS,
    Text,
    add_years,
    in_domain,
    resolve,
    resolve_start,
    resolve_until,
    year_in_domain,
)
from tests.model.partners import Naming, name_ok
from tests.model.planning import ProposalPlanning, amount_ok

if TYPE_CHECKING:
    from tests.model.archive import Doc

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
REVENUES: tuple[Any, ...] = (None, 2_500_000, None, 125_000_000, -5)
"""A follow-up's revenue by ``variant % 5`` (the last one refused by the contract)."""


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
    shown: dict[str, Any]
    """Fields ``GET /agreements/{id}`` must show as they were sent (texts normalised), and
    the partner it recorded."""
    supporting: tuple[str, ...] = ()
    stage: str = "PROPOSED"
    version: int = 1
    granted: set[str] = field(default_factory=set)
    signed_on: date | None = None
    effective_from: date | None = None
    effective_until: date | None = None
    terminated_on: date | None = None
    milestones: dict[str, date | None] = field(default_factory=dict)
    documents: dict[str, Doc] = field(default_factory=dict)
    """The archive, by document id, in the order the documents were attached."""
    mapping_item_id: str | None = None
    """The mapping item it realises once signed."""

    @property
    def last_day(self) -> date | None:
        if self.effective_until is None or self.terminated_on is None:
            return self.effective_until
        return min(self.effective_until, self.terminated_on)

    def made_as(self, agreement_id: str) -> Local:
        """A new agreement as this one was proposed (nothing shared with it)."""
        return Local(agreement_id, self.kind, self.document_type, self.categories,
                     self.proposed_on, self.parent_id, self.required, dict(self.shown),
                     self.supporting, mapping_item_id=self.mapping_item_id)


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
    names: str | None = None
    """The one field a 422 must name (docs/domain.md#boundaries), when one input is refused."""
    problem: str | None = None
    """The type of problem a 422 must be (its last part), when one rule is broken."""


def given_partner(kind: str, category: str | None, country_fits: bool,
                  name: Text) -> dict[str, str]:
    """The partner a proposal names by a snapshot: ``category`` None is the kind's first,
    the country the kind's (or not, unless ``country_fits``)."""
    country = "MY" if (kind in FOREIGN) == country_fits else "ID"
    return {"name": name.sent, "category": category or CATEGORIES[kind][0],
            "country": country}


def fits(kind: str, partner: Mapping[str, str]) -> bool:
    """Whether a partner's category and country fit the kind of cooperation."""
    return (partner["category"] in CATEGORIES[kind]
            and (kind in FOREIGN) == (partner["country"] != "ID"))


def plan_proposal(kind: str, category: str | None, country_fits: bool, co_partner: str | None,
                  document_type: str, parent_id: str | None, burdens_budget: bool,
                  plan_year: int | None, proposed_on: str | None, title: Text,
                  partner_name: Text, objective: Text, lead_opd: str, supporting: list[str],
                  known: Container[str], today: date,
                  planning: Callable[[int], ProposalPlanning] | None = None,
                  naming: Naming | None = None) -> tuple[Planned, Local]:
    """``POST /agreements`` and its expected answer; the model of the agreement made (its
    id to be set from the answer). ``category`` None: the kind's first category;
    ``planning`` gives the planning side's fields for the year the proposal belongs to;
    ``naming`` how it names its partner (None: by the snapshot of ``partner_name``,
    ``category`` and the country, recorded under the id derived from it)."""
    partner = given_partner(kind, category, country_fits, partner_name)
    if naming is None:
        naming = Naming({"partner": partner}, partner,
                        str(partner_id_of(partner["name"], partner["country"])))
    co = [] if co_partner is None else [partner | {"name": "Mitra dua"} | (
        {} if co_partner == "same" else {"category": co_partner})]
    body: dict[str, Any] = {
        "title": title.sent, "kind": kind, "document_type": document_type, **naming.fields,
        "co_partners": co, "lead_opd": lead_opd, "objective": objective.sent,
        "sector": "Ekonomi", "burdens_budget": burdens_budget, "supporting_opds": supporting}
    body |= {k: v for k, v in (("plan_year", plan_year), ("proposed_on", proposed_on),
                               ("parent_id", parent_id)) if v is not None}
    day = today if proposed_on is None else date.fromisoformat(proposed_on)
    extra = planning(day.year if plan_year is None else plan_year) if planning else None
    body |= extra.body if extra else {}
    named = naming.fields.get("partner")
    refused: list[str | None] = [name for name, ok in (
        ("title", title.ok), ("objective", objective.ok),
        ("partner.name", named is None or name_ok(named["name"])),
        ("proposed_on", in_domain(day)),
        ("plan_year", plan_year is None or year_in_domain(plan_year))) if not ok]
    refused += extra.refused if extra else []
    refused += [None] * naming.malformed  # both or neither: no one field to name
    recorded = naming.recorded
    others = (all(fits(kind, p) for p in co) and day <= today
              and (parent_id is None or parent_id in known)
              and (parent_id is None or document_type in ("PKS", "ADDENDUM"))
              and (parent_id is not None or document_type != "ADDENDUM")
              and (extra is None or extra.rules))
    rules = recorded is not None and fits(kind, recorded) and others
    categories = tuple(p["category"] for p in (recorded or partner, *co))
    made = Local("", kind, document_type, categories, day, parent_id,
                 required_approvals(kind, burdens_budget),
                 {"title": title.expected, "objective": objective.expected,
                  "lead_opd": lead_opd, "partner": recorded, "partner_id": naming.partner_id},
                 tuple(supporting), mapping_item_id=body.get("mapping_item_id"))
    planned = Planned("/agreements", body, 201 if rules and not refused else 422)
    planned.names = f"body.{refused[0]}" if len(refused) == 1 and refused[0] else None
    if recorded is None and others and not refused:
        planned.problem = "unknown-partner"  # the one rule broken
    return planned, made


def _date_rules(on: date, low: date, today: date) -> bool:
    return low <= on <= today


def plan_action(action: str, a: Local, c: Choices, today: date,
                agreements: dict[str, Local], if_match: int | None = None,
                allowed: bool = True) -> Planned:
    """The request of ``action`` on ``a`` made from ``c``, and the expected answer
    (``allowed``: whether the caller may ask for it, checked after the body)."""
    body, ok, rules, effects, conflict = _body(action, a, c, today, agreements)
    path = f"/agreements/{a.id}/" + (
        f"milestones/{quote(MILESTONE_PATHS[c.variant % 4], safe='')}/complete"
        if action == "complete" else action)
    planned = Planned(path, body, 200, effects=effects)
    if not ok:
        planned.status = 422
    elif not allowed:
        planned.status = 403
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
            revenue = REVENUES[v % len(REVENUES)]
            body = {"on": on.isoformat(), "summary": long.sent}
            body |= {"milestone_id": milestone} if milestone else {}
            body |= {"revenue": revenue} if revenue is not None else {}
            return body, long.ok and in_domain(on) and amount_ok(revenue), rules and (
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
