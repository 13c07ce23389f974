"""Load the West Java demo through the public HTTP interface, idempotently.

Every command carries a stable ``Idempotency-Key`` (``demo-<agreement>-<step>``), so a
second run is answered from the first and stores nothing; the summary says how many
commands were new. The order: work programs (with the year's priorities), the agencies'
cooperation mapping (services/demo/mapping.py), then the agreements, whose proposals may
name a mapping item by its key. Agencies become notification contacts when the
notifications service runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from plumbing.service_client import CliError, ServiceClient
from services.demo.mapping import load_mapping
from services.demo.naskah import signed_text
from services.demo.plan import DemoDataError, agreement_steps, mapping_item_key, parent_key

AGENCY_ACTIONS = ("propose", "resubmit", "withdraw", "plan", "follow-ups", "documents")
"""Steps the agency itself takes (milestone completions too); the TKKSD the rest."""


def roles_for(action: str, lead_opd: str) -> tuple[str, ...]:
    """Who takes a step: the lead agency for its own actions, else the secretariat."""
    if action in AGENCY_ACTIONS or action.startswith("milestones/"):
        return (f"opd:{lead_opd}",)
    return ("tkksd",)


@dataclass
class Summary:
    """What a load did."""

    agreements: int = 0
    commands: int = 0
    new_commands: int = 0
    work_programs: int = 0
    mapping_items: int = 0
    contacts: int = 0
    documents: int = 0
    last_agreement_id: str = ""

    def line(self) -> str:
        """One line for people."""
        return (f"demo: {self.agreements} agreements, {self.work_programs} work programs, "
                f"{self.mapping_items} mapping items, "
                f"{self.commands} commands ({self.new_commands} new), "
                f"{self.documents} signed texts attached, {self.contacts} agency contacts")


async def load(data: dict[str, Any], agreements: ServiceClient,
               notifications: ServiceClient | None = None) -> Summary:
    """Send every command of the demo; returns what happened."""
    summary = Summary()
    if notifications is not None:  # first: the agencies hear of what follows
        for agency in data.get("agencies", []):
            await notifications.request("PUT", f"/contacts/{agency['code']}", json={
                "emails": agency.get("emails", []), "webhooks": [], "language": "id"},
                roles=("tkksd",))
            summary.contacts += 1
    for program in data.get("work_programs", []):
        body = {k: v for k, v in program.items() if k != "year"}
        response = await agreements.request(
            "POST", f"/work-programs/{program['year']}", json=body,
            headers={"Idempotency-Key": f"demo-work-program-{program['year']}"},
            roles=("sekda",))
        summary.work_programs += 1
        summary.commands += 1
        summary.new_commands += "Idempotent-Replayed" not in response.headers
    mapping = await load_mapping(data, agreements)
    summary.mapping_items = mapping.items
    summary.commands += mapping.commands
    summary.new_commands += mapping.new_commands
    ids: dict[str, str] = {}
    for entry in data["agreements"]:
        await _load_agreement(data, entry, ids, mapping.ids, agreements, summary)
    return summary


async def _load_agreement(data: dict[str, Any], entry: dict[str, Any], ids: dict[str, str],
                          items: dict[str, str], agreements: ServiceClient,
                          summary: Summary) -> None:
    lead = entry["proposal"]["lead_opd"]
    for step in agreement_steps(data, entry):
        headers = {"Idempotency-Key": step.idempotency_key}
        roles = roles_for(step.action, lead)
        if step.action == "propose":
            body = dict(step.body or {})
            if parent := parent_key(entry):
                if parent not in ids:
                    raise CliError(f"demo agreement {entry['key']}: parent {parent} must "
                                   "come before it in the data file")
                body["parent_id"] = ids[parent]
            if item := mapping_item_key(entry):
                if item not in items:
                    raise DemoDataError(f"demo agreement {entry['key']}: no mapping item {item}")
                body["mapping_item_id"] = items[item]
            response = await agreements.request("POST", "/agreements", json=body,
                                                headers=headers, roles=roles)
            ids[step.key] = response.json()["id"]
        elif step.action == "documents":
            body = step.body or {}
            content = signed_text(body["proposal"], body["signing"])
            name = f"naskah-{entry['key']}.pdf"
            response = await agreements.request(
                "POST", f"/agreements/{ids[step.key]}/documents", headers=headers,
                files={"file": (name, content, "application/pdf")},
                data={"kind": body["kind"], "public": str(body["public"]).lower()},
                roles=roles)
            summary.documents += 1
        else:
            response = await agreements.request(
                "POST", f"/agreements/{ids[step.key]}/{step.action}", json=step.body,
                headers=headers, roles=roles)
        summary.commands += 1
        summary.new_commands += "Idempotent-Replayed" not in response.headers
    summary.agreements += 1
    summary.last_agreement_id = ids[entry["key"]]
