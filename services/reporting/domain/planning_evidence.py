"""The evidence of the planning figures (docs/domain.md#planning): the agreements whose
values or revenue add up to an amount, with the rupiah each adds, and the mapping items
of a year with the agreement that realised each."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from uuid import UUID

from contracts.kpi import Indicator
from services.reporting.domain.facts import AgreementFacts
from services.reporting.domain.figures import FigureKey
from services.reporting.domain.mapping import MappingItem, item_scopes
from services.reporting.domain.proof import Item, Reason


def amount_items(members: Iterable[AgreementFacts], key: FigureKey) -> list[Item]:
    """The agreements that add to an amount figure, each with its amount: for the values,
    those signed in the year with a value (the signing decides); for the revenue, those
    with a follow-up in the year that brought some (the first such follow-up decides,
    every one is named)."""
    found: list[Item] = []
    for facts in members:
        if key.indicator == Indicator.REVENUE:
            dated = [r for r in facts.revenues if r.on.year == key.year and r.amount]
            if dated:
                events = tuple(r.event for r in dated if r.event is not None)
                found.append(Item(facts, Reason.FOLLOWED_UP_IN_YEAR,
                                  events[0] if events else None,
                                  amount=sum(r.amount for r in dated), events=events))
            continue
        value = facts.value_cash if key.indicator == Indicator.VALUE_CASH \
            else facts.value_in_kind
        if value and facts.signed_on is not None and facts.signed_on.year == key.year:
            found.append(Item(facts, Reason.SIGNED_IN_YEAR, facts.signed_by, amount=value))
    return found


def first_realising(agreements: Sequence[AgreementFacts]) -> AgreementFacts | None:
    """The agreement that realised an item first: the earliest signing (then the earliest
    recorded)."""
    signed = [f for f in agreements if f.signed_on is not None]
    if not signed:
        return None
    return min(signed, key=lambda f: (f.signed_on, f.signed_by.position if f.signed_by
                                      else 0, str(f.id)))


def mapping_items(items: Iterable[MappingItem],
                  realising: Mapping[UUID, Sequence[AgreementFacts]],
                  key: FigureKey) -> list[Item]:
    """The active mapping items of the year in the scope: every one for ``items_mapped``
    (REALISED with the agreement and its signing, else NOT_REALISED with the item's own
    last event), the realised ones for ``items_mapped_realised``."""
    found: list[Item] = []
    for item in items:
        if not (item.active and item.year == key.year and key.scope in item_scopes(item)):
            continue
        first = first_realising(realising.get(item.id, ()))
        if first is not None:
            found.append(Item(first, Reason.REALISED, first.signed_by, mapping=item))
        elif key.indicator == Indicator.ITEMS_MAPPED:
            found.append(Item(None, Reason.NOT_REALISED, item.last_event, mapping=item))
    return found
