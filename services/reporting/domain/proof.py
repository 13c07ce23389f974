"""The evidence of a figure (DESIGN §9): the agreements, or the mapping items, behind it,
each with why it counts (or does not) and the event that decided it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from uuid import UUID

from services.reporting.domain.facts import AgreementFacts, EventRef
from services.reporting.domain.figures import FigureKey
from services.reporting.domain.mapping import MappingItem


class Reason(StrEnum):
    """Why an agreement (or a mapping item) counts in a figure, or does not."""

    SIGNED_IN_YEAR = "SIGNED_IN_YEAR"
    FOLLOWED_UP_IN_YEAR = "FOLLOWED_UP_IN_YEAR"
    NOT_SIGNED = "NOT_SIGNED"
    SIGNED_OTHER_YEAR = "SIGNED_OTHER_YEAR"
    REJECTED = "REJECTED"
    WITHDRAWN = "WITHDRAWN"
    NO_FOLLOW_UP_IN_YEAR = "NO_FOLLOW_UP_IN_YEAR"
    REALISED = "REALISED"
    """A mapping item an agreement that names it was signed for."""
    NOT_REALISED = "NOT_REALISED"
    """A mapping item no signed agreement names (yet)."""


@dataclass(frozen=True)
class Item:
    """One agreement, or one mapping item, in the evidence of a figure.

    For a mapping item, ``facts`` is the agreement that realised it (None if none did);
    ``amount`` is the rupiah an item adds to an amount figure; ``events`` every event
    behind an amount that several add up (each follow-up's revenue).
    """

    facts: AgreementFacts | None
    reason: Reason
    event: EventRef | None
    mapping: MappingItem | None = None
    amount: int | None = None
    events: tuple[EventRef, ...] = ()

    @property
    def ident(self) -> UUID:
        """The id of what is listed: the mapping item, else the agreement."""
        if self.mapping is not None:
            return self.mapping.id
        return self.agreement.id

    @property
    def agreement(self) -> AgreementFacts:
        """The agreement listed (an item of an agreement's figure always has one)."""
        if self.facts is None:
            raise ValueError(f"no agreement realised mapping item {self.ident}")
        return self.facts

    @property
    def agreement_id(self) -> UUID | None:
        """The agreement listed, or that realised the mapping item, if any."""
        return None if self.facts is None else self.facts.id

    @property
    def title(self) -> str:
        """The agreement's title, or the mapping item's description (else its affair)."""
        return self.mapping.title if self.mapping is not None else self.agreement.title

    @property
    def lead_opd(self) -> str:
        """The agreement's lead agency, or the agency whose mapping the item is."""
        return self.mapping.opd if self.mapping is not None else self.agreement.lead_opd


@dataclass(frozen=True)
class Evidence:
    """A figure and the agreements (or mapping items) behind it."""

    key: FigureKey
    numerator: int | float
    denominator: int | None
    counted: list[Item] = field(default_factory=list)
    excluded: list[Item] = field(default_factory=list)


def reading_order(item: Item) -> tuple[str, str, str]:
    """Items by agency, title and id."""
    return (item.lead_opd, item.title, str(item.ident))
