"""Keeping the portal's data: agreement, work-program and partner events through the
inbox, figures by revision."""

from __future__ import annotations

import logging

from contracts.codec import Decoded
from contracts.events import AgreementEventData, PartnerEventData, WorkProgramAdopted
from contracts.kpi import KpiUpdated
from plumbing.db import Conn, Pool
from plumbing.inbox import InboxEvent
from services.portal.adapters import partners, priorities, store
from services.portal.adapters.reporting import ReportingReader
from services.portal.domain.partners import evolve as evolve_partner
from services.portal.domain.planning import adopted
from services.portal.domain.register import evolve

log = logging.getLogger(__name__)


async def apply_event(conn: Conn, event: InboxEvent) -> None:
    """Apply one agreement, work-program or partner event (the ``apply`` of the inbox, in
    its transaction); other events are stepped over."""
    decoded = event.payload
    assert isinstance(decoded, Decoded)
    data = decoded.data
    if isinstance(data, WorkProgramAdopted):
        await priorities.replace(conn, adopted(data))
        return
    if isinstance(data, PartnerEventData):
        found = await partners.load(conn, data.partner_id)
        await partners.save(conn, evolve_partner(found, data))
        return
    if not isinstance(data, AgreementEventData):
        return
    view = evolve(await store.load(conn, data.agreement_id), data)
    await store.save(conn, view, decoded.envelope.time)


async def apply_figure(pool: Pool, data: KpiUpdated) -> bool:
    """Keep a published figure unless a later revision is kept; whether it was taken."""
    return await store.save_figures(pool, [data.model_dump(mode="json")]) > 0


async def seed_figures(pool: Pool, reporting: ReportingReader, *, always: bool = False) -> int:
    """Read every figure from reporting when the portal has none yet (or ``always``); how
    many were taken."""
    if not always and await pool.fetchval("SELECT EXISTS (SELECT 1 FROM figures)"):
        return 0
    taken = await store.save_figures(pool, await reporting.figures())
    log.info("portal: %d figures read from reporting", taken)
    return taken
