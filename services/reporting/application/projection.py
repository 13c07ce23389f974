"""The KPI projection: applies agreement events and refreshes the time-dependent figures.

Every change of a figure's numerator, denominator or target bumps its revision and, when
publishing, queues a ``kpi.updated`` in the outbox, all in the caller's transaction (the
inbox's, so the event id, the stream's version, the figures and the outbox commit
together).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from contracts.codec import Decoded
from contracts.common import BUSINESS_YEAR_MIN, in_business_years
from contracts.events import (
    AgreementEventData,
    EventData,
    MappingEventData,
    PartnerEventData,
    UnknownEvent,
    WorkProgramAdopted,
)
from contracts.kpi import Indicator
from contracts.roles import PROVINCE
from plumbing import clock
from plumbing.db import Conn
from plumbing.delivery import Poison
from plumbing.inbox import InboxEvent
from services.reporting.adapters import (
    outbox,
    parked_rows,
    partner_rows,
    planning_rows,
    record_history,
    report_details,
    store,
)
from services.reporting.application.batch_inputs import read_inputs
from services.reporting.domain import (
    RATIO_INDICATORS,
    Figure,
    FigureKey,
    signing_figures,
    timely_figures,
    zero,
)
from services.reporting.domain.batch import Folded, fold
from services.reporting.domain.contributions import scopes_of
from services.reporting.domain.facts import EventBeforeProposal, EventRef
from services.reporting.domain.figures import Revision, restates, target_of

TIMELY = (Indicator.SLEEPING, Indicator.EXPIRING_90_DAYS)


@dataclass(frozen=True)
class Rules:
    """Tunables of the time-dependent figures."""

    sleeping_after_days: int = 90
    expiring_within_days: int = 90


Cause = Callable[[FigureKey], Mapping[str, str] | None]
"""The trace context of the event that changed a figure (None: the current span's)."""


async def save_changes(conn: Conn, proposed: Mapping[FigureKey, Figure],
                       current: Mapping[FigureKey, Figure], *, publish: bool,
                       cause: Cause | None = None) -> list[Figure]:
    """Store the proposed figures that differ from the current ones, with the next revision
    and their completeness, and queue their ``kpi.updated``; returns what changed.

    Figures of years outside the business-date domain are not kept: an event stored
    before the domain was enforced (a date of 0001-01-01) counts in the years of the
    domain it reaches, and in no other.
    """
    changed: list[Figure] = []
    previous: list[float | None] = []
    gaps = await parked_rows.gaps(conn)
    for key in sorted(proposed):
        if not in_business_years(key.year):
            continue
        new, old = replace(proposed[key], complete=gaps.complete(key)), current.get(key)
        if old is not None and new.same_as(old):
            continue
        changed.append(replace(new, revision=(old.revision if old else 0) + 1))
        previous.append(None if old is None else old.value)
    await store.write_figures(conn, changed)
    if publish and changed:
        await publish_revisions(conn, changed, previous, cause)
    return changed


async def publish_revisions(conn: Conn, changed: Sequence[Figure],
                            previous: Sequence[float | None],
                            cause: Cause | None = None) -> None:
    """Keep the revisions of changed figures (with ``previous`` values) and queue their
    ``kpi.updated``, each in the trace of the event that changed it (``cause``); recorded
    now, from the prefix of the feed applied."""
    position, now = await store.as_of_position(conn), clock.now()
    revisions = [Revision(f, position, now, restates(f.key, now.date(), f.revision > 1),
                          before) for f, before in zip(changed, previous, strict=True)]
    await record_history.add_revisions(conn, revisions)
    await outbox.add(conn, revisions,
                     None if cause is None else [cause(f.key) for f in changed])


class Projection:
    """Applies events to the figures of the generation the connection is in.

    The caller runs one writer of a generation at a time (``generations.enter(pool,
    "write")`` takes the generation's writer lock; a rebuild is its new generation's only
    writer), so reads need no row locks and nothing can deadlock.
    """

    def __init__(self, rules: Rules = Rules()) -> None:
        self.rules = rules

    async def apply(self, conn: Conn, events: Sequence[InboxEvent], *, publish: bool,
                    per_event: bool = True) -> list[Figure]:
        """Apply events (the inbox already checked they are new and, per stream, in order)
        in the caller's transaction; ``per_event`` as in :func:`domain.batch.fold`."""
        named = [(data, event) for event in events if (data := _data(event)) is not None]
        datas = [data for data, _ in named]
        refs = [_ref(event) for _, event in named]
        known = await read_inputs(conn, datas)
        try:
            folded = fold(datas, known.facts, known.children, per_event=per_event, refs=refs,
                          items=known.items, realisations=known.realisations,
                          partners=known.partners)
        except EventBeforeProposal as exc:
            raise Poison("event-before-proposal", str(exc)) from exc
        await store.save_facts(conn, list(folded.facts.values()))
        await planning_rows.save_items(conn, list(folded.items.values()))
        await partner_rows.save_partners(conn, list(folded.partners.values()))
        await planning_rows.add_realisations(conn, folded.realisations)
        await record_history.save_history(conn, folded.steps, {
            event.position: event.payload.envelope.time for _, event in named
            if event.position is not None}, fresh=not per_event)
        await report_details.save(conn, ((data, event.event_id, event.position)
                                         for data, event in named))
        await store.add_child_signings(conn, folded.child_signings)
        await store.save_work_programs(conn, folded.work_programs, folded.priorities)
        traces = [event.trace for _, event in named]

        def cause(key: FigureKey) -> Mapping[str, str] | None:
            index = folded.causes.get(key, folded.year_causes.get(key.year))
            return None if index is None else traces[index] or None

        return await self._figures(conn, folded, publish=publish, cause=cause)

    async def _figures(self, conn: Conn, folded: Folded, *, publish: bool,
                       cause: Cause | None = None) -> list[Figure]:
        days = await store.signing_days(conn, folded.signings)
        values: dict[FigureKey, float] = {}
        for year, where in folded.signings.items():
            per_scope: dict[str, list[int]] = {scope: [] for scope in where}
            for d, opd, kind, doc, priority, category in days.get(year, ()):
                for scope in scopes_of(opd, kind, doc, priority, category):
                    if scope in per_scope:
                        per_scope[scope].append(d)
            for scope, found in per_scope.items():
                values.update(signing_figures(year, scope, found))
        current = await store.figures_of(conn, sorted(folded.deltas.keys() | values.keys()))
        for year in folded.work_programs:
            current.update({f.key: f for f in await store.figures_where(
                conn, indicators=RATIO_INDICATORS, year=year)})
        targets = await store.work_programs(conn) if folded.deltas or folded.work_programs \
            else {}
        proposed: dict[FigureKey, Figure] = {}
        for key, (d_num, d_den) in folded.deltas.items():
            old = current.get(key) or zero(key, target_of(key.indicator, targets.get(key.year)))
            denominator = None if old.denominator is None else old.denominator + d_den
            proposed[key] = replace(old, numerator=old.numerator + d_num,
                                    denominator=denominator)
        for year in folded.work_programs:
            for indicator in RATIO_INDICATORS:
                key = FigureKey(indicator, year, PROVINCE)
                proposed.setdefault(key, current.get(key) or zero(key, None))
            for key in [k for k in current.keys() | proposed.keys() if k.year == year
                        and k.indicator in RATIO_INDICATORS]:
                figure = proposed.get(key) or current[key]
                proposed[key] = replace(figure, target=target_of(key.indicator,
                                                                 targets[year]))
        proposed.update({key: Figure(key, d, None, None) for key, d in values.items()})
        return await save_changes(conn, proposed, current, publish=publish, cause=cause)

    async def mark_completeness(self, conn: Conn) -> list[Figure]:
        """Set every figure's ``complete`` after a stream was parked or released, publishing
        the figures whose completeness changed (the ``on_change`` of the parking)."""
        current = {f.key: f for f in await store.figures_where(conn)}
        return await save_changes(conn, current, current, publish=True)

    async def refresh(self, conn: Conn, today: date, *, publish: bool) -> list[Figure]:
        """Recompute ``sleeping`` and ``expiring_90_days`` as of ``today``."""
        signed = await store.signed_agreements(conn)
        children = await store.all_child_signings(conn)
        existing = await store.figures_where(conn, indicators=TIMELY)
        years = {f.key.year for f in existing}
        first = min((f.signed_on.year for f in signed if f.signed_on), default=today.year + 1)
        years.update(range(max(first, BUSINESS_YEAR_MIN), today.year + 1))
        counts = timely_figures(signed, children, sorted(years), today,
                                sleeping_after_days=self.rules.sleeping_after_days,
                                expiring_within_days=self.rules.expiring_within_days)
        current = {f.key: f for f in existing}
        proposed = {key: Figure(key, counts.get(key, 0), None, None)
                    for key in counts.keys() | current.keys()}
        return await save_changes(conn, proposed, current, publish=publish)


def _ref(event: InboxEvent) -> EventRef | None:
    """The event as recorded (None without a feed position: it has no place in the
    history)."""
    if event.position is None:
        return None
    envelope = event.payload.envelope
    return EventRef(envelope.id, event.position, envelope.type,
                    clock.to_wib(envelope.time).date())


def _data(event: InboxEvent) -> EventData | None:
    """The event's data; None for an event type this reader does not know (stepped
    over: the inbox advances its stream)."""
    decoded = event.payload
    if not isinstance(decoded, Decoded):
        raise TypeError(f"inbox payload is {type(decoded).__name__}, not Decoded")
    if isinstance(decoded.data, UnknownEvent):
        return None
    if isinstance(decoded.data, WorkProgramAdopted | AgreementEventData | MappingEventData
                  | PartnerEventData):
        return decoded.data
    raise Poison("not-applicable", f"{decoded.type} is not an event reporting applies")

