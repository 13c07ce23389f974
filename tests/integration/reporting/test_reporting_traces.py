"""Each ``kpi.updated`` is published in the trace of the event that changed its figure,
even when events of several commands are applied in one group."""

from __future__ import annotations

from dataclasses import replace

from contracts.codec import decode
from plumbing.agreements_client import inbox_event
from plumbing.tracing import trace_id_of
from tests.integration.reporting.support import (
    AgreementsService,
    FeedRelay,
    ReportingFactory,
    drain,
    kpi_queue,
    kpis_published,
)

TRACE_2021 = "11111111111111111111111111111111"
TRACE_2022 = "22222222222222222222222222222222"


async def test_each_kpi_update_of_a_group_carries_the_trace_of_the_event_that_caused_it(
        agreements: AgreementsService, feed: FeedRelay, fresh_topology: str,
        reporting_factory: ReportingFactory) -> None:
    connection, queue = await kpi_queue(fresh_topology, "kpi.agreements.#")
    async with connection:
        reporting = await reporting_factory(agreements.client, consume=False)
        await agreements.propose(proposed_on="2021-01-11")
        await agreements.propose(proposed_on="2022-03-01", lead_opd="DISPARBUD",
                                 title="Promosi wisata")
        proposals = [e for e in await feed.new_events()
                     if e.type.startswith("kerjasama.agreement.proposed.")]
        traces = [{"traceparent": f"00-{t}-00f067aa0ba902b7-01"} for t in (TRACE_2021,
                                                                             TRACE_2022)]
        group = [replace(inbox_event(event), trace=trace)  # handed in by two commands
                 for event, trace in zip(proposals, traces, strict=True)]
        await reporting.service.handle_group(group)  # one transaction, one group
        await kpis_published(reporting)

        got = [m for m in await drain(queue, quiet=2.0)
               if str(m.routing_key).endswith(".province")]
    by_year = {}
    for message in got:
        data = decode(message.body)
        by_year[data.data.year] = (trace_id_of(str(message.headers["traceparent"])),
                                   trace_id_of(data.envelope.traceparent))
    assert by_year == {2021: (TRACE_2021, TRACE_2021), 2022: (TRACE_2022, TRACE_2022)}
