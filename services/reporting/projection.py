"""The KPI projection: applies agreement events and refreshes the time-dependent figures.

Every change of a figure's numerator, denominator or target bumps its revision and, when
publishing, queues a ``kpi.updated`` in the outbox, all in the caller's transaction (the
inbox's, so the event id, the stream's version, the figures and the outbox commit
together).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date

from contracts.codec import Decoded
from contracts.events import AgreementEventData, AgreementSigned, WorkProgramAdopted
from contracts.kpi import Indicator
from plumbing.consumer import Poison
from plumbing.db import Conn
from plumbing.inbox import InboxEvent

from .adapters import outbox, store
from .domain import (
    RATIO_INDICATORS,
    AgreementFacts,
    Figure,
    FigureKey,
    contributions,
    difference,
    evolve,
    scopes,
    signing_figures,
    timely_figures,
    zero,
)
from .domain.contributions import EFFECTIVENESS_TYPES, FOLLOWING_UP_TYPES, Term
from .domain.facts import EventBeforeProposal
from .domain.figures import PROVINCE, target_of

TIMELY = (Indicator.SLEEPING, Indicator.EXPIRING_90_DAYS)


@dataclass(frozen=True)
class Rules:
    """Tunables of the time-dependent figures."""

    sleeping_after_days: int = 90
    expiring_within_days: int = 90


async def save_changes(conn: Conn, proposed: Mapping[FigureKey, Figure],
                       current: Mapping[FigureKey, Figure], *, publish: bool) -> list[Figure]:
    """Store the proposed figures that differ from the current ones, with the next revision,
    and queue their ``kpi.updated``; returns what changed."""
    changed: list[Figure] = []
    for key in sorted(proposed):
        new, old = proposed[key], current.get(key)
        if old is not None and new.same_as(old):
            continue
        changed.append(replace(new, revision=(old.revision if old else 0) + 1))
    await store.write_figures(conn, changed)
    if publish and changed:
        await outbox.add(conn, changed, await store.as_of_position(conn))
    return changed


class Projection:
    """Applies events to the figures of the generation the connection is in.

    The caller runs one writer of a generation at a time (``generations.enter(pool,
    "write")`` takes the generation's writer lock; a rebuild is its new generation's only
    writer), so reads need no row locks and nothing can deadlock.
    """

    def __init__(self, rules: Rules = Rules()) -> None:
        self.rules = rules

    async def apply(self, conn: Conn, event: InboxEvent, *, publish: bool) -> list[Figure]:
        """Apply one event (the inbox already checked it is new and in order)."""
        decoded = event.payload
        if not isinstance(decoded, Decoded):
            raise TypeError(f"inbox payload is {type(decoded).__name__}, not Decoded")
        data = decoded.data
        if isinstance(data, WorkProgramAdopted):
            return await self._adopt(conn, data, publish=publish)
        if isinstance(data, AgreementEventData):
            try:
                return await self._agreement_event(conn, data, publish=publish)
            except EventBeforeProposal as exc:
                raise Poison("event-before-proposal", str(exc)) from exc
        raise Poison("not-applicable", f"{decoded.type} is not an agreement event")

    async def _agreement_event(self, conn: Conn, data: AgreementEventData, *,
                               publish: bool) -> list[Figure]:
        own = data.agreement_id
        facts = await store.load_facts(conn, [own])
        after = evolve(facts.get(own), data)
        parent = None
        if (isinstance(data, AgreementSigned) and after.parent_id is not None
                and after.document_type in FOLLOWING_UP_TYPES):
            parent = after.parent_id
            facts.update(await store.load_facts(conn, [parent]))
        ids = [own] if parent is None else [own, parent]
        children = await store.child_signings(conn, [i for i in ids if _has_children(
            facts.get(i), after if i == own else None)])
        before = _sum(contributions(facts.get(i), children.get(i, ())) for i in ids)
        await store.save_facts(conn, after)
        facts[own] = after
        if parent is not None and after.signed_on is not None:
            await store.add_child_signing(conn, own, parent, after.signed_on)
            children.setdefault(parent, []).append(after.signed_on)
        now = _sum(contributions(facts.get(i), children.get(i, ())) for i in ids)
        deltas = difference(before, now)
        current = await store.figures_of(conn, sorted(deltas))
        proposed: dict[FigureKey, Figure] = {}
        targets: dict[int, tuple[float, float] | None] = {}
        for key, (d_num, d_den) in deltas.items():
            old = current.get(key)
            if old is None:
                if key.year not in targets:
                    targets[key.year] = await store.work_program(conn, key.year)
                old = zero(key, target_of(key.indicator, targets[key.year]))
            denominator = None if old.denominator is None else old.denominator + d_den
            proposed[key] = replace(old, numerator=old.numerator + d_num,
                                    denominator=denominator)
        if isinstance(data, AgreementSigned) and after.signed_on is not None:
            proposed.update(await self._signing_days(conn, after.signed_on.year,
                                                     scopes(after), current))
        return await save_changes(conn, proposed, current, publish=publish)

    async def _signing_days(self, conn: Conn, year: int, where: Iterable[str],
                            current: dict[FigureKey, Figure]) -> dict[FigureKey, Figure]:
        signed = await store.signing_days(conn, year)
        values: dict[FigureKey, float] = {}
        for scope in where:
            values.update(signing_figures(year, scope, [
                days for days, opd, kind, doc in signed
                if scope in (PROVINCE, f"opd:{opd}", f"kind:{kind}", f"type:{doc}")]))
        current.update(await store.figures_of(conn, sorted(values)))
        return {key: Figure(key, days, None, None) for key, days in values.items()}

    async def _adopt(self, conn: Conn, data: WorkProgramAdopted, *,
                     publish: bool) -> list[Figure]:
        targets = (data.realization_target, data.effectiveness_target)
        await store.save_work_program(conn, data.year, targets)
        existing = await store.figures_where(conn, indicators=RATIO_INDICATORS,
                                             year=data.year)
        current = {f.key: f for f in existing}
        proposed = {f.key: replace(f, target=target_of(f.key.indicator, targets))
                    for f in existing}
        for indicator in RATIO_INDICATORS:
            key = FigureKey(indicator, data.year, PROVINCE)
            proposed.setdefault(key, zero(key, target_of(indicator, targets)))
        return await save_changes(conn, proposed, current, publish=publish)

    async def refresh(self, conn: Conn, today: date, *, publish: bool) -> list[Figure]:
        """Recompute ``sleeping`` and ``expiring_90_days`` as of ``today``."""
        signed = await store.signed_agreements(conn)
        children = await store.all_child_signings(conn)
        existing = await store.figures_where(conn, indicators=TIMELY)
        years = {f.key.year for f in existing}
        years.update(range(min((f.signed_on.year for f in signed if f.signed_on),
                               default=today.year + 1), today.year + 1))
        counts = timely_figures(signed, children, sorted(years), today,
                                sleeping_after_days=self.rules.sleeping_after_days,
                                expiring_within_days=self.rules.expiring_within_days)
        current = {f.key: f for f in existing}
        proposed = {key: Figure(key, counts.get(key, 0), None, None)
                    for key in counts.keys() | current.keys()}
        return await save_changes(conn, proposed, current, publish=publish)


def _has_children(facts: AgreementFacts | None, after: AgreementFacts | None) -> bool:
    """Whether children's signings can matter: only to a signed MOU or PKS (effectiveness)."""
    return any(f is not None and f.signed_on is not None
               and f.document_type in EFFECTIVENESS_TYPES for f in (facts, after))


def _sum(parts: Iterable[Counter[Term]]) -> Counter[Term]:
    total: Counter[Term] = Counter()
    for part in parts:
        total.update(part)
    return total

