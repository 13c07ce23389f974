"""Turn the demo data file into the public commands that produce it (pure, no I/O).

An agreement entry describes where the agreement stands: its proposal, the date it was discussed,
the approvals, the signing, the plan, completed milestones, follow-ups, evaluations and a
termination; or where it stopped (``until``, ``rejected``). The steps are the HTTP actions of
docs/domain.md#http-interface that a secretariat would have taken, in order, each with a stable
idempotency key so that loading twice stores nothing new.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA_FILE = Path(__file__).with_name("west_java_2021.json")
LOCAL_KEYS = ("parent", "mapping_item")
"""Proposal fields naming another entry of the data file by its key; the loader sends the id.
A proposal's ``partner`` too, when it is a key of the data's ``partners`` (the loader sends
``partner_id``); a partner object is sent as it is, a snapshot the registry resolves."""
STOPS = ("PROPOSED", "IN_REVIEW", "DRAFTING", "IN_DISCUSSION", "AWAITING_APPROVAL",
         "READY_TO_SIGN", "SIGNED")


class DemoDataError(ValueError):
    """Raised when the demo data file is not what the loader expects."""


@dataclass(frozen=True)
class Step:
    """One public command: the agreement it acts on (by key), the action and its body."""

    key: str
    action: str  # "propose" or a docs/domain.md#http-interface action path such as "sign"
    body: dict[str, Any] | None
    idempotency_key: str


def load_data(path: Path = DATA_FILE) -> dict[str, Any]:
    """The demo data file, parsed."""
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DemoDataError(f"cannot read the demo data {path}: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("agreements"), list):
        raise DemoDataError(f"{path}: expected an object with an 'agreements' list")
    return data


def signatory(data: dict[str, Any], role: str, lead_opd: str) -> dict[str, str]:
    """Name and role of who signs for the province."""
    names: dict[str, str] = data.get("signatories", {})
    agencies = {a["code"]: a["name"] for a in data.get("agencies", [])}
    name = names.get(f"{role}:{lead_opd}") or names.get(role)
    if name is None:
        name = f"Kepala {agencies.get(lead_opd, lead_opd)}"
    return {"name": name, "role": role}


def agreement_steps(data: dict[str, Any], entry: dict[str, Any]) -> list[Step]:
    """The commands that bring one agreement where the entry says it stands."""
    key = entry["key"]
    default = ("SIGNED" if "signing" in entry
               else "IN_REVIEW" if "rejected" in entry else "PROPOSED")
    until = entry.get("until", default)
    if until not in STOPS:
        raise DemoDataError(f"agreement {key}: until {until!r} is not one of {STOPS}")
    steps: list[Step] = []

    def add(action: str, body: dict[str, Any] | None = None, suffix: str = "") -> None:
        steps.append(Step(key, action, body, f"demo-{key}-{action}{suffix}"))

    proposal = {k: v for k, v in entry["proposal"].items() if k not in LOCAL_KEYS
                and not (k == "partner" and isinstance(v, str))}
    add("propose", proposal)
    if until == "PROPOSED":
        return steps
    add("review")
    if reason := entry.get("revision"):
        add("request-revision", {"reason": reason})
        add("resubmit")
    if reason := entry.get("rejected"):
        add("reject", {"reason": reason})
        return steps
    if until == "IN_REVIEW":
        return steps
    add("draft", {"note": "Draf naskah disusun bersama mitra"})
    if until == "DRAFTING":
        return steps
    outcome = "CONTINUE" if until == "IN_DISCUSSION" else "AGREED"
    add("discuss", {"held_on": entry["discussed_on"], "outcome": outcome,
                    "summary": "Pembahasan naskah kerja sama bersama mitra"})
    if until == "IN_DISCUSSION":
        return steps
    for authority, on in entry.get("approvals", {}).items():
        add("approve", {"authority": authority, "approved_on": on}, f"-{authority}")
    if until in ("AWAITING_APPROVAL", "READY_TO_SIGN"):
        return steps
    signing = dict(entry["signing"])
    role = signing.pop("role")
    # the signed text first: a province may require it before the signing is recorded
    named = {**proposal, "partner": partner_of(data, entry)}  # the name the text gives
    add("documents", {"kind": "SIGNED", "public": True, "proposal": named,
                      "signing": signing})
    add("sign", {**signing, "signatory": signatory(data, role, proposal["lead_opd"])})
    steps.extend(_after_signing(entry))
    return steps


def _after_signing(entry: dict[str, Any]) -> list[Step]:
    key = entry["key"]
    steps: list[Step] = []
    if plan := entry.get("plan"):
        steps.append(Step(key, "plan", {"milestones": plan}, f"demo-{key}-plan"))
    for milestone, on in entry.get("completed", {}).items():
        steps.append(Step(key, f"milestones/{milestone}/complete", {"on": on},
                          f"demo-{key}-complete-{milestone}"))
    for n, follow_up in enumerate(entry.get("follow_ups", []), start=1):
        steps.append(Step(key, "follow-ups", follow_up, f"demo-{key}-follow-up-{n}"))
    for n, evaluation in enumerate(entry.get("evaluations", []), start=1):
        steps.append(Step(key, "evaluate", evaluation, f"demo-{key}-evaluate-{n}"))
    if terminated := entry.get("terminated"):
        steps.append(Step(key, "terminate", terminated, f"demo-{key}-terminate"))
    return steps


def registry_key(entry: dict[str, Any]) -> str | None:
    """The key of the registered partner an entry's proposal names, if it names one (else
    its ``partner`` is a snapshot, registered with the proposal when it is new)."""
    partner = entry["proposal"].get("partner")
    return partner if isinstance(partner, str) else None


def partner_of(data: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
    """The partner an entry's proposal names: the registered one's name, category and
    country, or the snapshot the proposal gives."""
    key = registry_key(entry)
    if key is None:
        return dict(entry["proposal"]["partner"])
    for partner in data.get("partners", []):
        if partner["key"] == key:
            return {field: partner[field] for field in ("name", "category", "country")}
    raise DemoDataError(f"agreement {entry['key']}: no partner {key} in 'partners'")


def parent_key(entry: dict[str, Any]) -> str | None:
    """The key of the agreement an entry's proposal names as parent, if any."""
    parent = entry["proposal"].get("parent")
    return parent if isinstance(parent, str) else None


def mapping_item_key(entry: dict[str, Any]) -> str | None:
    """The key of the mapping item an entry's proposal realises, if any."""
    item = entry["proposal"].get("mapping_item")
    return item if isinstance(item, str) else None
