"""What the system should say, computed from the public feed alone (docs/domain.md#kpi-formulas,
#lifecycle, #notices, #http-interface).

Written from the rules, not from the services' code; where they are silent, the
conventions are those reporting documents in its domain package:

- scopes: ``province``, ``opd:<lead_opd>``, ``kind:<KIND>``, ``type:<DOCTYPE>``; the
  ``agreements`` count (by proposal year) also has ``stage:<STAGE>`` (the current stage);
- ``signing_days_median`` is the middle value or the mean of the two middle ones,
  ``signing_days_p90`` the nearest rank; days are never negative; a figure exists only
  for a year and scope with a signing;
- ``achievement`` is computed from the published (rounded) value, null for a target 0;
- ``sleeping`` and ``expiring_90_days`` are taken as of 31 December of the year, or of
  ``today`` for the current year, for every year up to ``today``; only what is dated on
  or before that day counts.
- the archive's events (a document attached or taken down) move no figure and give no
  notice: they are neither follow-up activity nor a signing, and leave the stage as it is.
- an agreement with a ``priority`` also counts in ``priority:<code>``, in every figure;
- ``value_cash`` and ``value_in_kind`` sum the proposal's values by the year of signing,
  ``revenue`` the follow-ups' revenue by the year of their date, over the agreement's
  scopes;
- ``items_mapped`` counts the active (not withdrawn) mapping items of each year in
  ``province``, ``opd:<agency>`` and ``priority:<code>``; ``items_mapped_realised`` those
  of them named by an agreement that was signed (whatever became of it later);
- every agreement figure is also kept per ``category:<CATEGORY>`` of the partner the
  proposal recorded (its snapshot: it never changes); ``agreements``, ``value_cash``,
  ``value_in_kind`` and ``revenue`` also per ``partner:<id>``, the id the partner the
  proposal recorded stands for after the merges in the feed (a merge moves the merged
  partner's figures to the partner that stays, along chains); the mapping's figures have
  neither.

A figure absent from either side is its zero (:meth:`Oracle.figure`), so a figure the
system keeps at zero and one it never made compare equal.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from tests.model.fold import AGREEMENT_PREFIX, event_name, fold, partner_id

RATIOS = ("realization", "effectiveness")
EFFECTIVENESS_TYPES = frozenset({"MOU", "PKS"})
FOLLOWING_UP_TYPES = frozenset({"PKS", "ADDENDUM"})
EVENT_DRIVEN_RULES = frozenset({"proposal_received", "revision_requested",
                                "proposal_rejected", "follow_up_plan_requested"})
WORK_PROGRAM_TYPE = "kerjasama.work_program.adopted.v1"
MAPPING_PREFIX = "kerjasama.mapping."
PARTNER_PREFIX = "kerjasama.partner."
AMOUNTS = ("value_cash", "value_in_kind")

Key = tuple[str, int, str]
"""(indicator, year, scope)."""
Notice = tuple[str, str, str, str, str]
"""(agreement_id, rule, occasion, recipient, told or skipped): one notice to one
recipient. The occasion of an event-driven notice is the id of the event that gave rise
to it; a notice about old history is logged as skipped, never sent."""
TOLD, SKIPPED = "told", "skipped"
WIB = ZoneInfo("Asia/Jakarta")


def _day(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def round_half_up(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def percent(numerator: int, denominator: int) -> float | None:
    return None if denominator == 0 else round_half_up(Decimal(numerator * 100) / denominator)


def achievement(value: float | None, target: float | None) -> float | None:
    if value is None or target is None or target == 0:
        return None
    return round_half_up(Decimal(str(value)) * 100 / Decimal(str(target)))


def median(days: list[int]) -> float:
    ordered, middle = sorted(days), len(days) // 2
    return float(ordered[middle]) if len(days) % 2 else (ordered[middle - 1]
                                                          + ordered[middle]) / 2


def p90(days: list[int]) -> float:
    return float(sorted(days)[math.ceil(0.9 * len(days)) - 1])


@dataclass
class Facts:
    """What the figures need of one agreement."""

    id: str
    kind: str
    document_type: str
    lead_opd: str
    supporting_opds: tuple[str, ...]
    plan_year: int | None
    proposed_on: date
    parent_id: str | None
    stage: str
    category: str = ""
    """The category of the partner as the proposal recorded it."""
    partner_id: str = ""
    """The partner the proposal recorded (merges may have made it stand for another)."""
    signed_on: date | None = None
    effective_from: date | None = None
    effective_until: date | None = None
    terminated_on: date | None = None
    activities: set[date] = field(default_factory=set)
    priority: str | None = None
    mapping_item_id: str | None = None
    values: dict[str, int] = field(default_factory=dict)
    revenues: list[tuple[date, int]] = field(default_factory=list)

    @property
    def scopes(self) -> tuple[str, ...]:
        return ("province", f"opd:{self.lead_opd}", f"kind:{self.kind}",
                f"type:{self.document_type}", f"category:{self.category}") + (
            (f"priority:{self.priority}",) if self.priority else ())

    @property
    def last_day(self) -> date | None:
        """Last day in force: the earlier of effective_until and the termination."""
        if self.effective_until is None or self.terminated_on is None:
            return self.effective_until
        return min(self.effective_until, self.terminated_on)

    def in_force_on(self, day: date) -> bool:
        last = self.last_day
        return (self.effective_from is not None and last is not None
                and self.effective_from <= day <= last)


class Oracle:
    """The figures, notices and agreement views the feed implies, on the day ``today``."""

    def __init__(self, feed: Iterable[Mapping[str, Any]], today: date, *,
                 secretariat: str = "TKKSD", sleeping_after_days: int = 90,
                 notice_late_days: int = 30,
                 expiring_within_days: int = 90) -> None:
        self.today = today
        self.secretariat = secretariat
        self.sleeping_after_days = sleeping_after_days
        self.notice_late_days = notice_late_days
        """KERJASAMA_NOTICE_LATE_DAYS (its default): older news is logged, not told."""
        self.expiring_within_days = expiring_within_days
        self.streams: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
        self.facts: dict[str, Facts] = {}
        self.targets: dict[int, tuple[float, float]] = {}
        self.children: dict[str, list[date]] = defaultdict(list)
        self.items: dict[str, dict[str, Any]] = {}
        """Mapping items by id: year, opd, priority and stage, as their events left them."""
        self.partners: dict[str, dict[str, Any]] = {}
        """The registry's partners by id, as their events left them."""
        self.registered_as: dict[str, tuple[str, str]] = {}
        """The name and country each partner was registered with."""
        for event in sorted(feed, key=lambda e: int(e["position"])):
            self._apply(event)

    def _apply(self, event: Mapping[str, Any]) -> None:
        data = event["data"]
        if event["type"] == WORK_PROGRAM_TYPE:
            self.targets[int(data["year"])] = (float(data["realization_target"]),
                                               float(data["effectiveness_target"]))
            return
        if str(event["type"]).startswith(MAPPING_PREFIX):
            item = self.items.setdefault(str(data["item_id"]), {})
            item.update(year=int(data["year"]), opd=data["opd"], stage=data["stage"])
            if "priority" in data or "affair" in data:  # added or revised: the whole item
                item["priority"] = data.get("priority")
            return
        if str(event["type"]).startswith(PARTNER_PREFIX):
            self._partner(event)
            return
        if not str(event["type"]).startswith(AGREEMENT_PREFIX):
            return
        aid = str(data["agreement_id"])
        self.streams[aid].append(event)
        name = event_name(event)
        if name == "proposed":
            self.facts[aid] = Facts(
                id=aid, kind=data["kind"], document_type=data["document_type"],
                lead_opd=data["lead_opd"], supporting_opds=tuple(data["supporting_opds"]),
                plan_year=data.get("plan_year"), proposed_on=date.fromisoformat(
                    data["proposed_on"]), parent_id=data.get("parent_id"), stage=data["stage"],
                priority=data.get("priority"), mapping_item_id=data.get("mapping_item_id"),
                values={k: int(data.get(k) or 0) for k in AMOUNTS},
                category=data["partner"]["category"], partner_id=partner_id(data))
            return
        facts = self.facts[aid]
        facts.stage = data["stage"]
        if name == "signed":
            facts.signed_on = _day(data["signed_on"])
            facts.effective_from = _day(data["effective_from"])
            facts.effective_until = _day(data["effective_until"])
            parent = data.get("parent_id") or facts.parent_id
            if parent is not None and facts.document_type in FOLLOWING_UP_TYPES:
                assert facts.signed_on is not None
                self.children[str(parent)].append(facts.signed_on)
        elif name in ("follow_up_recorded", "milestone_completed"):
            facts.activities.add(date.fromisoformat(data["on"]))
            if data.get("revenue"):
                facts.revenues.append((date.fromisoformat(data["on"]), int(data["revenue"])))
        elif name == "terminated":
            facts.terminated_on = _day(data["on"])

    def _partner(self, event: Mapping[str, Any]) -> None:
        """A partner registered, revised (every field anew) or merged into another."""
        data = event["data"]
        partner = self.partners.setdefault(str(data["partner_id"]), {
            "id": str(data["partner_id"]), "adopted": False, "merged_into": None})
        partner.update(version=data["version"], stage=data["stage"])
        if "into" in data:
            partner["merged_into"] = str(data["into"])
            return
        partner.update({k: data[k] for k in ("name", "category", "country", "codes",
                                             "contact")})
        self.registered_as.setdefault(partner["id"], (data["name"], data["country"]))
        partner["adopted"] = data.get("adopted", partner["adopted"])

    def survivor(self, partner: str) -> str:
        """The partner an id stands for: the last of its chain of merges."""
        seen = {partner}
        while (into := self.partners.get(partner, {}).get("merged_into")) and into not in seen:
            partner = into
            seen.add(into)
        return partner

    # --- (a) reporting ------------------------------------------------------------------

    def _counts(self) -> tuple[Counter[Key], Counter[Key], dict[Key, list[int]]]:
        numerators: Counter[Key] = Counter()
        denominators: Counter[Key] = Counter()
        days: dict[Key, list[int]] = defaultdict(list)
        for f in self.facts.values():
            if f.plan_year is not None:
                signed_in_year = f.signed_on is not None and f.signed_on.year == f.plan_year
                for scope in f.scopes:
                    denominators["realization", f.plan_year, scope] += 1
                    numerators["realization", f.plan_year, scope] += signed_in_year
            last = f.last_day
            if (f.document_type in EFFECTIVENESS_TYPES and f.signed_on is not None
                    and f.effective_from is not None and last is not None
                    and f.effective_from <= last):  # else never in force
                followed = {d.year for d in (*f.activities, *self.children[f.id])}
                for year in range(f.effective_from.year, last.year + 1):
                    for scope in f.scopes:
                        denominators["effectiveness", year, scope] += 1
                        numerators["effectiveness", year, scope] += year in followed
            partner = f"partner:{self.survivor(f.partner_id)}"
            for scope in (*f.scopes, f"stage:{f.stage}", partner):
                numerators["agreements", f.proposed_on.year, scope] += 1
            if f.signed_on is not None:
                for scope in f.scopes:
                    days[("signing_days", f.signed_on.year, scope)].append(
                        max(0, (f.signed_on - f.proposed_on).days))
            for scope in (*f.scopes, partner):
                if f.signed_on is not None:
                    for name in AMOUNTS:
                        numerators[name, f.signed_on.year, scope] += f.values[name]
                for on, amount in f.revenues:
                    numerators["revenue", on.year, scope] += amount
        numerators.update(self._timely())
        numerators.update(self._mapping())
        return numerators, denominators, days

    def _mapping(self) -> Counter[Key]:
        """``items_mapped`` and ``items_mapped_realised`` of every year."""
        counts: Counter[Key] = Counter()
        realised = {f.mapping_item_id for f in self.facts.values()
                    if f.signed_on is not None and f.mapping_item_id}
        for item_id, item in self.items.items():
            if item["stage"] != "ACTIVE":
                continue
            scopes = ["province", f"opd:{item['opd']}"] + (
                [f"priority:{item['priority']}"] if item.get("priority") else [])
            for scope in scopes:
                counts["items_mapped", item["year"], scope] += 1
                counts["items_mapped_realised", item["year"], scope] += item_id in realised
        return counts

    def _timely(self) -> Counter[Key]:
        """``sleeping`` and ``expiring_90_days`` per year, as of the year's end or today."""
        counts: Counter[Key] = Counter()
        signed = [f for f in self.facts.values() if f.signed_on is not None]
        first = min((f.signed_on.year for f in signed if f.signed_on), default=None)
        for year in range(first or self.today.year + 1, self.today.year + 1):
            day = min(self.today, date(year, 12, 31))
            for f in signed:
                assert f.signed_on is not None and f.effective_until is not None
                if f.signed_on > day or not f.in_force_on(day):
                    continue
                known = [d for d in (f.signed_on, *f.activities, *self.children[f.id],
                                     f.terminated_on) if d is not None and d <= day]
                if (day - max(known)).days >= self.sleeping_after_days:
                    counts.update(("sleeping", year, s) for s in f.scopes)
                if (f.effective_until - day).days <= self.expiring_within_days:
                    counts.update(("expiring_90_days", year, s) for s in f.scopes)
        return counts

    def figures(self) -> dict[Key, dict[str, Any]]:
        """Every figure that is not zero (ratios: also every one of a work program year)."""
        numerators, denominators, days = self._counts()
        keys = {k for k, n in numerators.items() if n} | {k for k, d in denominators.items()
                                                            if d}
        keys |= {(i, year, "province") for year in self.targets for i in RATIOS}
        found = {k: self._figure(k, numerators[k], denominators[k]) for k in keys}
        for (_, year, scope), values in days.items():
            for indicator, number in (("signing_days_median", median(values)),
                                      ("signing_days_p90", p90(values))):
                found[indicator, year, scope] = self._figure((indicator, year, scope), number,
                                                             None)
        return found

    def _figure(self, key: Key, numerator: float, denominator: int | None) -> dict[str, Any]:
        indicator, year, scope = key
        if indicator in RATIOS:
            target = self.targets.get(year, (None, None))[RATIOS.index(indicator)]
            value = percent(int(numerator), denominator or 0)
            return {"indicator": indicator, "year": year, "scope": scope,
                    "numerator": numerator, "denominator": denominator or 0, "value": value,
                    "target": target, "achievement": achievement(value, target)}
        return {"indicator": indicator, "year": year, "scope": scope, "numerator": numerator,
                "denominator": None, "value": float(numerator), "target": None,
                "achievement": None}

    def figure(self, key: Key, figures: Mapping[Key, dict[str, Any]]) -> dict[str, Any]:
        """The figure of ``key`` among ``figures``, or its zero."""
        return figures.get(key) or self._figure(key, 0, 0 if key[0] in RATIOS else None)

    # --- (b) notifications --------------------------------------------------------------

    def notices(self, agreement_id: str) -> set[Notice]:
        """The event-driven notices of one agreement (docs/notifications.md#rules), each
        ``told`` or, when what it is about happened more than ``notice_late_days`` before
        the event was recorded (WIB dates), ``skipped`` (#old-history)."""
        found: set[Notice] = set()
        facts = self.facts.get(agreement_id)
        for event in self.streams.get(agreement_id, []):
            name, occasion = event_name(event), str(event["id"])
            if facts is None:
                continue
            if name == "proposed":
                told = self._told(event, "proposed_on")
                found.add((agreement_id, "proposal_received", occasion, self.secretariat,
                           told))
            elif name in ("revision_requested", "rejected"):
                rule = "revision_requested" if name == "revision_requested" \
                    else "proposal_rejected"
                found.add((agreement_id, rule, occasion, facts.lead_opd, TOLD))
            elif name == "signed":
                told = self._told(event, "signed_on")
                for who in (facts.lead_opd, *facts.supporting_opds):
                    found.add((agreement_id, "follow_up_plan_requested", occasion, who, told))
        return found

    def _told(self, event: Mapping[str, Any], dated_by: str) -> str:
        """``told``, or ``skipped`` when the event's business date ``dated_by`` lies more
        than ``notice_late_days`` before the WIB date of its CloudEvent ``time``."""
        happened = date.fromisoformat(event["data"][dated_by])
        recorded = datetime.fromisoformat(event["time"]).astimezone(WIB).date()
        return SKIPPED if (recorded - happened).days > self.notice_late_days else TOLD

    # --- (c) the agreement's state ------------------------------------------------------

    def view(self, agreement_id: str) -> dict[str, Any]:
        """``GET /agreements/{id}``: the fold of its stream, the last signing of a child
        and the sleeping flag on ``today``."""
        state = fold(self.streams[agreement_id])
        children = self.children.get(agreement_id)
        child = max(children) if children else None
        state["last_child_signed_on"] = child and child.isoformat()
        last = max((date.fromisoformat(d) for d in (
            state["signed_on"], state["last_follow_up_on"],
            state["last_milestone_completed_on"], state["last_child_signed_on"]) if d),
            default=None)
        facts = self.facts[agreement_id]
        state["sleeping"] = (state["stage"] == "SIGNED" and facts.in_force_on(self.today)
                             and last is not None
                             and (self.today - last).days >= self.sleeping_after_days)
        return state
