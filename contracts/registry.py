"""Every message type of the contract, by its CloudEvent type."""

from __future__ import annotations

from pydantic import BaseModel

from contracts.commands import COMMAND_MODELS, command_type
from contracts.envelope import split_type
from contracts.events import EVENT_MODELS, SUPERSEDED_EVENT_MODELS
from contracts.kpi import KpiUpdated
from contracts.ledger import LedgerCheckpointed
from contracts.replies import CommandReply

EVENT_TYPES: dict[str, type[BaseModel]] = {
    m.event_type: m for m in (*EVENT_MODELS, *SUPERSEDED_EVENT_MODELS)}
"""Every event type, superseded versions included (their data is read as the current
version: contracts.upcasting)."""
COMMAND_TYPES: dict[str, type[BaseModel]] = {command_type(m): m for m in COMMAND_MODELS}
OTHER_TYPES: dict[str, type[BaseModel]] = {
    KpiUpdated.event_type: KpiUpdated,
    LedgerCheckpointed.event_type: LedgerCheckpointed,
    CommandReply.event_type: CommandReply,
}
MESSAGE_TYPES: dict[str, type[BaseModel]] = {**EVENT_TYPES, **COMMAND_TYPES, **OTHER_TYPES}

# name without version -> versions known, to tell "unknown type" from "unsupported version"
KNOWN_VERSIONS: dict[str, set[int]] = {}
for _type in MESSAGE_TYPES:
    _name, _version = split_type(_type)
    KNOWN_VERSIONS.setdefault(_name, set()).add(_version)

STREAM_FAMILIES = ("agreement", "work_program", "mapping", "partner", "ledger")
"""Families of the event streams: a reader steps over a type of these it does not know."""


def in_stream_family(message_type: str) -> bool:
    """Whether a type belongs to a known stream family (``kerjasama.agreement.*``,
    ``kerjasama.mapping.*``, …)."""
    try:
        name, _ = split_type(message_type)
    except ValueError:
        return False
    return name.split(".", 1)[0] in STREAM_FAMILIES and message_type not in COMMAND_TYPES
