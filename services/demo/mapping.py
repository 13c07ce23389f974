"""The demo's yearly cooperation mapping (docs/domain.md#planning), sent before the proposals.

Each agency adds its own items; an item the data marks ``revised`` is then replaced by its
changed body, one marked ``withdrawn`` withdrawn with that reason. Every command carries a
stable ``Idempotency-Key`` (``demo-mapping-<item>-<step>``), so a second load answers the
same items and stores nothing. Items are named in the data by a local key; the load tells the
ids the service gave them, for the proposals that name an item (``mapping_item``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from plumbing.service_client import ServiceClient
from services.demo.plan import DemoDataError

ITEM_FIELDS = ("affair", "description", "prospective_partners", "rpjmd_target", "priority")
"""What an item says: the body of its add and of its revision (the whole item)."""


@dataclass(frozen=True)
class MappingStep:
    """One public mapping command: which item (by key), the action and its body."""

    key: str
    action: str  # "add", "revise" or "withdraw"
    body: dict[str, Any]
    idempotency_key: str


@dataclass
class MappingLoad:
    """What loading the mapping did, and the service's id of every item key."""

    ids: dict[str, str] = field(default_factory=dict)
    items: int = 0
    commands: int = 0
    new_commands: int = 0


def item_steps(item: dict[str, Any]) -> list[MappingStep]:
    """The commands that bring one item where the data says it stands."""
    key = item["key"]
    body = {name: item.get(name) for name in ITEM_FIELDS}
    body["prospective_partners"] = body["prospective_partners"] or []
    steps = [MappingStep(key, "add", body, f"demo-mapping-{key}-add")]
    if changes := item.get("revised"):
        unknown = set(changes) - set(ITEM_FIELDS)
        if unknown:
            raise DemoDataError(f"mapping item {key}: cannot revise {sorted(unknown)}")
        steps.append(MappingStep(key, "revise", {**body, **changes},
                                 f"demo-mapping-{key}-revise"))
    if reason := item.get("withdrawn"):
        steps.append(MappingStep(key, "withdraw", {"reason": reason},
                                 f"demo-mapping-{key}-withdraw"))
    return steps


async def load_mapping(data: dict[str, Any], agreements: ServiceClient) -> MappingLoad:
    """Send every mapping command of the demo, each agency's as that agency."""
    done = MappingLoad()
    for mapping in data.get("mappings", []):
        year, opd = mapping["year"], mapping["opd"]
        roles = (f"opd:{opd}",)  # an agency maps for itself
        for item in mapping["items"]:
            if item["key"] in done.ids:
                raise DemoDataError(f"mapping item key {item['key']} is used twice")
            for step in item_steps(item):
                headers = {"Idempotency-Key": step.idempotency_key}
                if step.action == "add":
                    response = await agreements.request(
                        "POST", f"/mappings/{year}/{opd}/items", json=step.body,
                        headers=headers, roles=roles)
                    done.ids[step.key] = response.json()["id"]
                    done.items += 1
                elif step.action == "revise":
                    response = await agreements.request(
                        "PUT", f"/mapping-items/{done.ids[step.key]}", json=step.body,
                        headers=headers, roles=roles)
                else:
                    response = await agreements.request(
                        "POST", f"/mapping-items/{done.ids[step.key]}/withdraw",
                        json=step.body, headers=headers, roles=roles)
                done.commands += 1
                done.new_commands += "Idempotent-Replayed" not in response.headers
    return done
