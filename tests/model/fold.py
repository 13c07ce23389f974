"""(c) of the oracle: one agreement's events folded into what ``GET /agreements/{id}``
shows, for the fields that come straight from the events (docs/domain.md#lifecycle,
#http-interface, #documents: the archive's documents in the order they were attached)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from contracts.partners import partner_id_of

AGREEMENT_PREFIX = "kerjasama.agreement."


def event_name(event: Mapping[str, Any]) -> str:
    """``kerjasama.agreement.signed.v1`` → ``signed`` (every version of a type alike)."""
    return str(event["type"]).removeprefix(AGREEMENT_PREFIX).rsplit(".", 1)[0]


def partner_id(data: Mapping[str, Any]) -> str:
    """The partner id of a proposal: as a v2 event carries it, or (v1, stored before it
    did) derived from the partner's name and country as the contract says."""
    if "partner_id" in data:
        return str(data["partner_id"])
    return str(partner_id_of(data["partner"]["name"], data["partner"]["country"]))


def _later(current: str | None, new: str) -> str:
    return new if current is None else max(current, new)  # ISO dates sort as text


def _attached(documents: list[dict[str, Any]], data: Mapping[str, Any]) -> None:
    """A document added to the archive; the one it supersedes marked so (and kept)."""
    supersedes = data.get("supersedes")
    for d in documents:
        if d["id"] == supersedes:
            d["superseded_by"] = data["document_id"]
    documents.append({k: data[k] for k in (
        "kind", "sha256", "size", "media_type", "filename", "public")} | {
        "id": data["document_id"], "supersedes": supersedes, "superseded_by": None,
        "unpublished": False})


def fold(events: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The state of one agreement from its events, as ``GET /agreements/{id}`` shows it."""
    state: dict[str, Any] = {}
    for event in events:
        data, name = event["data"], event_name(event)
        if name == "proposed":
            state = {k: data.get(k) for k in (
                "title", "kind", "document_type", "partner", "co_partners", "lead_opd",
                "supporting_opds", "objective", "sector", "burdens_budget", "plan_year",
                "proposed_on", "parent_id", "renews_id", "priority", "mapping_item_id",
                "value_cash", "value_in_kind")}
            state.update(
                id=data["agreement_id"], partner_id=partner_id(data),
                required_approvals=sorted(data["required_approvals"]),
                granted_approvals=[], number=None, signed_on=None, signatory=None,
                effective_from=None, effective_until=None, terminated_on=None,
                expired_on=None, milestones=[], follow_ups=0, last_follow_up_on=None,
                last_milestone_completed_on=None, evaluations=[], last_evaluated_on=None,
                last_discussed_on=None, last_reason=None, documents=[], revenue=0)
        elif name in ("revision_requested", "rejected", "withdrawn"):
            state["last_reason"] = data.get("reason")
        elif name == "discussed":
            state["last_discussed_on"] = _later(state["last_discussed_on"], data["held_on"])
        elif name == "approval_granted":
            state["granted_approvals"] = sorted({*state["granted_approvals"],
                                                 data["authority"]})
        elif name == "signed":
            state.update({k: data[k] for k in ("number", "signed_on", "signatory",
                                               "effective_from", "effective_until")})
        elif name == "plan_set":
            done = {m["id"]: m["completed_on"] for m in state["milestones"]}
            state["milestones"] = [{"id": m["id"], "title": m["title"], "due_on": m["due_on"],
                                    "budget": m.get("budget"),
                                    "completed_on": done.get(m["id"])}
                                   for m in data["milestones"]]
        elif name == "follow_up_recorded":
            state["follow_ups"] += 1
            state["last_follow_up_on"] = _later(state["last_follow_up_on"], data["on"])
            state["revenue"] += data.get("revenue") or 0
        elif name == "milestone_completed":
            for m in state["milestones"]:
                if m["id"] == data["milestone_id"]:
                    m["completed_on"] = data["on"]
            state["last_milestone_completed_on"] = _later(
                state["last_milestone_completed_on"], data["on"])
        elif name == "evaluated":
            state["evaluations"].append([data["on"], data["score"], data["recommendation"]])
            state["last_evaluated_on"] = _later(state["last_evaluated_on"], data["on"])
        elif name == "terminated":
            state.update(terminated_on=data["on"], last_reason=data["reason"])
        elif name == "expired":
            state["expired_on"] = data["on"]
        elif name == "document_attached":
            _attached(state["documents"], data)
        elif name == "document_unpublished":
            for d in state["documents"]:
                if d["id"] == data["document_id"]:
                    d["unpublished"] = True
        state.update(stage=data["stage"], version=data["version"])
    return state
