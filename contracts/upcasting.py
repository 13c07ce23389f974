"""Upcasters: stored event data of an earlier version read as the current version.

The event store, the feed and the relays keep every event exactly as it was written (the
ledger's hashes cover that form); readers (the agreements domain, the consumers) get the
current model through :mod:`contracts.codec`, which applies :func:`upcast` before
validating. An old event therefore never pins an old model in domain or consumer code.

Each step takes the data of ``<name>.v<N>`` and returns the data of ``<name>.v<N+1>``;
:data:`UPCASTERS` maps the type a step reads to the step. Adding the next breaking change
of a type is one entry (and one function): for ``agreement.proposed.v3``, rename today's
``AgreementProposed`` to ``AgreementProposedV2`` (listed in
``contracts.events.SUPERSEDED_EVENT_MODELS``), make ``AgreementProposed`` the v3 model, and
add ``"kerjasama.agreement.proposed.v2": upcast_agreement_proposed_v2_v3``; a stored v1
then runs through both steps.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from contracts.envelope import TYPE_PREFIX, split_type
from contracts.partners import partner_id_of

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
"""One step: the data of version N to the data of version N+1, as JSON-ready data, without
changing its argument."""


def upcast_agreement_proposed_v1_v2(data: dict[str, Any]) -> dict[str, Any]:
    """``agreement.proposed`` v1 → v2: adds ``partner_id``, derived from the partner's name
    and country as the decider derives it for a new proposal.

    Data whose partner has no text name and country is passed on as it is (without
    ``partner_id``), so that validation names what is wrong with the partner.
    """
    partner = data.get("partner")
    if not isinstance(partner, dict):
        return dict(data)
    name, country = partner.get("name"), partner.get("country")
    if not isinstance(name, str) or not isinstance(country, str):
        return dict(data)
    return {**data, "partner_id": str(partner_id_of(name, country))}


UPCASTERS: Mapping[str, Upcaster] = {
    "kerjasama.agreement.proposed.v1": upcast_agreement_proposed_v1_v2,
}
"""The step that reads each type; it returns the data of the next version of the type."""


def next_version(message_type: str) -> str:
    """``kerjasama.agreement.proposed.v1`` → ``kerjasama.agreement.proposed.v2``."""
    name, version = split_type(message_type)
    return f"{TYPE_PREFIX}{name}.v{version + 1}"


def read_as(message_type: str) -> str:
    """The type whose data a message of ``message_type`` is read as (itself when no step
    applies)."""
    while message_type in UPCASTERS:
        message_type = next_version(message_type)
    return message_type


def upcast(message_type: str, data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The type and data after every step that applies (unchanged when none does). The
    argument is never changed; the data returned may be it when no step applied."""
    step = UPCASTERS.get(message_type)
    while step is not None:
        message_type, data = next_version(message_type), step(data)
        step = UPCASTERS.get(message_type)
    return message_type, data
