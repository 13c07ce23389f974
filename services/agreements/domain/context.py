"""What a decision needs to know besides the command and the agreement's own state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from contracts.common import PartnerRecord
from services.agreements.domain.mapping_item import MappingItemState
from services.agreements.domain.partner_state import PartnerState
from services.agreements.domain.state import AgreementState


@dataclass(frozen=True)
class NamedPartner:
    """The partner a proposal names, as the registry resolved it: its id (the partner
    that stays, when the one named was merged) and the snapshot the proposal records (the
    agency's words when it named the partner, else the registry's)."""

    id: UUID
    record: PartnerRecord


@dataclass(frozen=True)
class DecisionContext:
    """Today's business date (WIB), for a PKS or ADDENDUM the parent agreement, and what a
    proposal or mapping item names on other streams (the year's priorities, a mapping item).

    The service layer loads the parent named by the command's or the state's
    ``parent_id`` before deciding; ``None`` means it does not exist (or none is named).
    """

    today: date
    parent: AgreementState | None = None
    require_signed_text: bool = False
    """Whether signing needs the signed text attached first (KERJASAMA_REQUIRE_SIGNED_TEXT)."""
    priorities: frozenset[str] | None = None
    """The priority codes of the year a proposal or mapping item belongs to, loaded when
    the command names a priority; None when that year has no work program."""
    mapping_item: MappingItemState | None = None
    """The mapping item a proposal names, loaded by the service layer (None: no such item)."""
    item_realised: bool = False
    """For a withdrawal of a mapping item: whether a signed agreement names it."""
    partner: NamedPartner | None = None
    """The partner a proposal names, resolved in the registry by the service layer."""
    key_holder: UUID | None = None
    """For a registration or revision of a partner: the active partner that holds the
    normalised name and country given, if any."""
    survivor: PartnerState | None = None
    """For a merge: the partner merged into (the one it was merged into, when that one
    was itself merged); None when there is no such partner."""
