"""The public record of a partner, folded from its stream (``partner-<id>``): what the
partner pages show.

Only the name, category, country and registration codes are public. The contact the
registry keeps (a person, an e-mail address, a telephone number, a postal address) never
enters the portal. A partner merged into another stands for that one: its page moves to
the partner that stays (following a chain of merges) and its agreements are listed there.
Until its registration arrives, a partner is shown as its agreements name it (the snapshot
of the proposal).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any
from uuid import UUID

from contracts.events import PartnerEventData, PartnerMerged, PartnerRegistered, PartnerRevised
from contracts.partner_registry import merge_chain
from services.portal.domain.register import Party

MAX_MERGES = 32
"""Longest chain of merges followed (a longer one, or a loop, is not resolved)."""


class EventBeforeRegistration(ValueError):
    """Raised when a partner event comes for a partner not registered yet."""


@dataclass(frozen=True)
class Code:
    """A registration number of the partner (``NIB 8120000012345``)."""

    scheme: str
    value: str


@dataclass(frozen=True)
class PublicPartner:
    """What the portal keeps of a registered partner."""

    id: UUID
    name: str
    category: str
    country: str
    codes: tuple[Code, ...]
    stage: str
    version: int
    merged_into: UUID | None = None
    """The partner it was merged into (its stage is then MERGED)."""


def evolve(partner: PublicPartner | None, event: PartnerEventData) -> PublicPartner:
    """The partner after ``event`` (its stream's events in version order); the contact is
    left out."""
    if isinstance(event, PartnerRegistered | PartnerRevised):
        if partner is None and isinstance(event, PartnerRevised):
            raise EventBeforeRegistration(f"revision of partner {event.partner_id} before "
                                          "its registration")
        return PublicPartner(
            id=event.partner_id, name=event.name, category=event.category.value,
            country=event.country, codes=tuple(Code(c.scheme, c.value) for c in event.codes),
            stage=event.stage.value, version=event.version,
            merged_into=None if partner is None else partner.merged_into)
    if partner is None:
        raise EventBeforeRegistration(f"{type(event).__name__} of partner "
                                      f"{event.partner_id} before its registration")
    now = replace(partner, stage=event.stage.value, version=event.version)
    if isinstance(event, PartnerMerged):
        return replace(now, merged_into=event.into)
    return now


def survivor(partner_id: UUID, merged_into: Mapping[UUID, UUID | None]) -> UUID | None:
    """The partner ``partner_id`` stands for: itself, or the end of its chain of merges
    (``merged_into`` maps a partner to the one it was merged into). None for a loop, which
    the registry refuses. A partner not registered yet stands for itself."""
    found = merge_chain(partner_id, merged_into.get)
    return None if merged_into.get(found[-1]) is not None else found[-1]


@dataclass(frozen=True)
class Totals:
    """A partner's public agreements in figures (amounts in whole rupiah; None when no
    agreement has one)."""

    agreements: int
    in_force: int
    value_cash: int | None = None
    value_in_kind: int | None = None
    revenue: int | None = None


@dataclass(frozen=True)
class Shown:
    """A partner as the pages show it: from the registry, else from the snapshot its
    agreements carry (``registered`` False)."""

    id: UUID
    name: str
    category: str
    country: str
    codes: tuple[Code, ...]
    registered: bool


def shown(partner_id: UUID, partner: PublicPartner | None, snapshot: Party) -> Shown:
    """What the pages show of a partner: the registry's record when it has arrived, else
    the snapshot of one of its agreements."""
    if partner is None:
        return Shown(partner_id, snapshot.name, snapshot.category, snapshot.country, (),
                     registered=False)
    return Shown(partner_id, partner.name, partner.category, partner.country, partner.codes,
                 registered=True)


def codes_to_json(codes: tuple[Code, ...]) -> list[dict[str, str]]:
    """Codes as stored (``[{scheme, value}]``, as the events carry them)."""
    return [{"scheme": c.scheme, "value": c.value} for c in codes]


def codes_from_json(items: list[dict[str, Any]]) -> tuple[Code, ...]:
    """The codes stored by :func:`codes_to_json`."""
    return tuple(Code(str(c["scheme"]), str(c["value"])) for c in items)
