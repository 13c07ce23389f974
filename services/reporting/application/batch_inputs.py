"""What the projection reads before it folds a batch of events (:func:`..domain.batch.fold`):
the facts of the batch's agreements and of those it may move (parents, agreements naming a
partner merged in the batch), children's signings, mapping items and their realisations,
and the chains of merges of every partner involved."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from contracts.events import AgreementEventData, EventData
from plumbing.db import Conn
from services.reporting.adapters import partner_rows, planning_rows, store
from services.reporting.domain.batch import Children, Realisations
from services.reporting.domain.facts import AgreementFacts
from services.reporting.domain.mapping import MappingItem
from services.reporting.domain.needs import (
    moving_partners,
    related,
    related_items,
    related_partners,
)
from services.reporting.domain.partners import PartnerFacts


@dataclass(frozen=True)
class Inputs:
    """The state a batch is folded into (the arguments of ``fold`` besides the events)."""

    facts: dict[UUID, AgreementFacts]
    children: Children
    items: dict[UUID, MappingItem]
    realisations: Realisations
    partners: dict[UUID, PartnerFacts]


async def read_inputs(conn: Conn, datas: Sequence[EventData]) -> Inputs:
    """Read what folding ``datas`` needs (a merge brings every agreement whose partner's
    chain passes through the partner merged: a rare event, a few more statements)."""
    own = {d.agreement_id for d in datas if isinstance(d, AgreementEventData)}
    facts = await store.load_facts(conn, own)
    parents = related(datas, facts)
    if parents - facts.keys():
        facts.update(await store.load_facts(conn, parents - facts.keys()))
    partners = await partner_rows.chains(conn, related_partners(datas, facts))
    moved: set[UUID] = set()
    moving = moving_partners(datas, partners)
    if moving:
        group = await partner_rows.merged_into_any(conn, moving)
        naming = {k: v for k, v in (await partner_rows.facts_naming(conn, group)).items()
                  if k not in facts}
        facts.update(naming)
        moved = set(naming)
        partners.update(await partner_rows.chains(conn, group - partners.keys()))
    children: dict[UUID, dict[UUID, date]] = await store.child_signings(
        conn, own | parents | moved)
    items = related_items(datas, facts)
    return Inputs(facts, children, await planning_rows.load_items(conn, items),
                  await planning_rows.realisations(conn, items), partners)
