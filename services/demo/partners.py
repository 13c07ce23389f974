"""The demo's partner registry (docs/domain.md#partners): registered first, merged last.

The TKKSD registers every partner the data lists (``partners``: name, category, country,
registration codes, contact) before the proposals, which then name their partner by
``partner_id``. A name a proposal gives as a snapshot instead is registered with that
proposal when the registry does not know it; the data lists such a name under the partner
it stands for (``duplicates``), and the TKKSD merges it into that partner once the
agreements are in. Every command carries a stable ``Idempotency-Key``
(``demo-partner-<key>-register``, ``demo-partner-<key>-merge-<n>``), so a second load is
answered from the first; a partner registered already under another key (409
``partner-exists``, whose ``existing_id`` is then the partner's id) or merged already (409
``partner-merged``) is taken as done.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from contracts.partners import partner_id_of
from plumbing.service_client import CliError, ServiceClient, describe_problem
from services.demo.plan import DemoDataError

REGISTRY_FIELDS = ("name", "category", "country", "codes", "contact")
"""What a partner entry of the data sends: the body of ``POST /partners``."""
PARTNER_EXISTS = "urn:kerjasama:problem:partner-exists"
PARTNER_MERGED = "urn:kerjasama:problem:partner-merged"
TKKSD = ("tkksd",)  # the secretariat keeps the registry


@dataclass
class PartnerLoad:
    """What loading the registry did, and the service's id of every partner key."""

    ids: dict[str, str] = field(default_factory=dict)
    registered: int = 0
    """Partners the TKKSD registered (the duplicates the proposals register are not
    counted here)."""
    merged: int = 0
    commands: int = 0
    new_commands: int = 0


def duplicates(data: dict[str, Any]) -> list[tuple[str, dict[str, str]]]:
    """Every duplicate the data lists: (the key of the partner it stands for, its name and
    country)."""
    return [(partner["key"], duplicate) for partner in data.get("partners", [])
            for duplicate in partner.get("duplicates", [])]


def _problem_type(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("type") if isinstance(body, dict) else None


def _refused(method: str, path: str, response: httpx.Response) -> CliError:
    return CliError(f"agreements: {method} {path}: {describe_problem(response)}")


async def register_partners(data: dict[str, Any], agreements: ServiceClient) -> PartnerLoad:
    """Register every partner of the data, as the TKKSD; their ids by key."""
    done = PartnerLoad()
    for partner in data.get("partners", []):
        key = partner["key"]
        if key in done.ids:
            raise DemoDataError(f"partner key {key} is used twice")
        body = {name: partner[name] for name in REGISTRY_FIELDS if name in partner}
        response = await agreements.request(
            "POST", "/partners", json=body, ok=(200, 201, 409), roles=TKKSD,
            headers={"Idempotency-Key": f"demo-partner-{key}-register"})
        if response.status_code == 409:
            if _problem_type(response) != PARTNER_EXISTS:
                raise _refused("POST", "/partners", response)
            done.ids[key] = str(response.json()["existing_id"])  # already there
        else:
            done.ids[key] = str(response.json()["id"])
            done.new_commands += "Idempotent-Replayed" not in response.headers
        done.registered += 1
        done.commands += 1
    return done


async def merge_duplicates(data: dict[str, Any], agreements: ServiceClient,
                           done: PartnerLoad) -> None:
    """Merge every duplicate a proposal registered into the partner it stands for, as the
    TKKSD. The duplicate's id is the one its proposal registered it under: derived from
    its name and country (contracts.partners)."""
    merges: dict[str, int] = {}
    for key, duplicate in duplicates(data):
        merges[key] = merges.get(key, 0) + 1
        path = f"/partners/{partner_id_of(duplicate['name'], duplicate['country'])}/merge"
        response = await agreements.request(
            "POST", path, json={"into": done.ids[key]}, ok=(200, 409), roles=TKKSD,
            headers={"Idempotency-Key": f"demo-partner-{key}-merge-{merges[key]}"})
        if response.status_code == 409 and _problem_type(response) != PARTNER_MERGED:
            raise _refused("POST", path, response)
        done.new_commands += (response.status_code == 200
                              and "Idempotent-Replayed" not in response.headers)
        done.merged += 1
        done.commands += 1
