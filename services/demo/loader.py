"""Load the West Java demo through the public HTTP interface, idempotently.

Every command carries a stable ``Idempotency-Key`` (``demo-<agreement>-<step>``), so a
second run is answered from the first and stores nothing; the summary says how many
commands were new. The order: work programs (with the year's priorities), the partner
registry (services/demo/partners.py), the agencies' cooperation mapping
(services/demo/mapping.py), then the agreements, whose proposals name their partner (by
``partner_id``) and may name a mapping item by their keys, and last the merges of the
duplicate partners proposals registered. Agencies become notification contacts when the
notifications service runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from plumbing.service_client import CliError, ServiceClient
from services.demo.mapping import load_mapping
from services.demo.naskah import signed_text
from services.demo.partners import duplicates, merge_duplicates, register_partners
from services.demo.plan import (
    DemoDataError,
    agreement_steps,
    mapping_item_key,
    parent_key,
    registry_key,
)

AGENCY_ACTIONS = ("propose", "resubmit", "withdraw", "plan", "follow-ups", "documents")
"""Steps the agency itself takes (milestone completions too); the TKKSD the rest."""


def roles_for(action: str, lead_opd: str) -> tuple[str, ...]:
    """Who takes a step: the lead agency for its own actions, else the secretariat."""
    if action in AGENCY_ACTIONS or action.startswith("milestones/"):
        return (f"opd:{lead_opd}",)
    return ("tkksd",)


@dataclass
class Keys:
    """The service's ids of the data's keys: agreements (as they are proposed), mapping
    items and partners."""

    mapping_items: dict[str, str]
    partners: dict[str, str]
    agreements: dict[str, str] = field(default_factory=dict)


@dataclass
class Summary:
    """What a load did."""

    agreements: int = 0
    partners: int = 0
    merged_partners: int = 0
    commands: int = 0
    new_commands: int = 0
    work_programs: int = 0
    mapping_items: int = 0
    contacts: int = 0
    documents: int = 0
    last_agreement_id: str = ""

    def line(self) -> str:
        """One line for people."""
        return (f"demo: {self.agreements} agreements, {self.partners} partners "
                f"({self.merged_partners} merged), {self.work_programs} work programs, "
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
    partners = await register_partners(data, agreements)
    mapping = await load_mapping(data, agreements)
    summary.mapping_items = mapping.items
    summary.commands += mapping.commands
    summary.new_commands += mapping.new_commands
    keys = Keys(mapping_items=mapping.ids, partners=partners.ids)
    for entry in data["agreements"]:
        await _load_agreement(data, entry, keys, agreements, summary)
    await merge_duplicates(data, agreements, partners)
    summary.partners = partners.registered + len(duplicates(data))
    summary.merged_partners = partners.merged
    summary.commands += partners.commands
    summary.new_commands += partners.new_commands
    return summary


async def _load_agreement(data: dict[str, Any], entry: dict[str, Any], keys: Keys,
                          agreements: ServiceClient, summary: Summary) -> None:
    ids, items, partners = keys.agreements, keys.mapping_items, keys.partners
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
            if partner := registry_key(entry):
                if partner not in partners:
                    raise DemoDataError(f"demo agreement {entry['key']}: no partner {partner}")
                body["partner_id"] = partners[partner]
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
