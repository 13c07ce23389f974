"""kpi.updated on the real broker: one message per change of a figure, none for a duplicate."""

from __future__ import annotations

import asyncio

from prometheus_client import REGISTRY

from contracts.codec import decode
from contracts.events import AgreementProposed
from contracts.kpi import CheckpointRef, KpiUpdated
from tests.integration.reporting.support import (
    AgreementsService,
    FeedRelay,
    ReportingFactory,
    drain,
    kpi_queue,
    wait_applied,
)


def duplicates() -> float:
    return sum(REGISTRY.get_sample_value("kerjasama_messages_total", {
        "queue": "reporting.events", "type": t, "outcome": "duplicate"}) or 0
        for t in ("kerjasama.agreement.signed.v1", AgreementProposed.event_type,
                  "kerjasama.work_program.adopted.v1"))


def updates(messages: list) -> list[tuple[str, KpiUpdated]]:
    found = []
    for message in messages:
        decoded = decode(message.body)
        assert decoded.envelope.source == "/kerjasama/reporting"
        assert message.delivery_mode == 2  # persistent
        assert isinstance(decoded.data, KpiUpdated)
        assert decoded.envelope.subject == (
            f"{decoded.data.indicator.value}/{decoded.data.year}/{decoded.data.scope}")
        found.append((message.routing_key, decoded.data))
    return found


async def test_a_subscriber_gets_one_message_per_change_and_none_for_a_duplicate(
        agreements: AgreementsService, feed: FeedRelay, fresh_topology: str,
        reporting_factory: ReportingFactory) -> None:
    connection, queue = await kpi_queue(fresh_topology, "kpi.realization.#")
    async with connection:
        reporting = await reporting_factory(agreements.client)

        await agreements.work_program(2021, 80, 60)
        published = await feed.relay()
        await wait_applied(reporting, 1)
        got = updates(await drain(queue, at_least=1))
        assert [(key, u.numerator, u.denominator, u.target, u.revision) for key, u in got] == [
            ("kpi.realization.2021.province", 0, 0, 80, 1)]

        aid = await agreements.propose(plan_year=2021, proposed_on="2021-01-11")
        for action, body in (("review", None), ("draft", {"note": "Draf 1"}),
                             ("discuss", {"held_on": "2021-03-02", "summary": "Sepakat",
                                          "outcome": "AGREED"})):
            await agreements.post(f"/agreements/{aid}/{action}", body)
        published += await feed.relay()
        await wait_applied(reporting, agreements.stored)  # the partner's registration too
        proposed = next(e for e in published if e.type.startswith(
            "kerjasama.agreement.proposed."))
        got = updates(await drain(queue, at_least=5))
        assert sorted(key for key, _ in got) == [
            "kpi.realization.2021.category:THIRD_PARTY", "kpi.realization.2021.kind:KSDPK",
            "kpi.realization.2021.opd:DISKUK", "kpi.realization.2021.province",
            "kpi.realization.2021.type:MOU"]
        by_key = dict(got)
        assert by_key["kpi.realization.2021.province"].revision == 2
        assert by_key["kpi.realization.2021.opd:DISKUK"].revision == 1
        assert {(u.numerator, u.denominator, u.value) for u in by_key.values()} == {
            (0, 1, 0.0)}
        # the highest position applied with the group the proposal was applied in
        assert proposed.envelope.position <= by_key[
            "kpi.realization.2021.province"].as_of_position <= published[-1].envelope.position
        # recorded on the clock's day in 2023: a revision of a 2021 figure restates it
        assert (by_key["kpi.realization.2021.province"].restated,
                by_key["kpi.realization.2021.province"].previous_value,
                by_key["kpi.realization.2021.province"].checkpoint) == (True, None, None)
        assert by_key["kpi.realization.2021.opd:DISKUK"].restated is False  # its first
        head = "ab" * 32
        await reporting.pool.execute(  # as learnt from GET /checkpoints
            "INSERT INTO ledger_checkpoints (position, hash, events, signed_at)"
            " VALUES ($1, $2, 2, '2023-01-10T09:00:00+07:00')",
            proposed.envelope.position, head)

        await agreements.post(f"/agreements/{aid}/sign", {
            "number": "120/1/Pem.Um", "signed_on": "2021-04-20",
            "signatory": {"name": "Setiawan", "role": "REGIONAL_SECRETARY"},
            "effective_from": "2021-04-20", "effective_until": "2024-04-19"})
        signed = await feed.relay()
        await wait_applied(reporting, agreements.stored)
        got = updates(await drain(queue, at_least=5))
        assert len(got) == 5
        province = dict(got)["kpi.realization.2021.province"]
        assert (province.numerator, province.denominator, province.value, province.target,
                province.achievement, province.revision) == (1, 1, 100.0, 80, 125.0, 3)
        assert province.as_of_position == signed[0].envelope.position
        assert (province.restated, province.previous_value) == (True, 0.0)
        assert province.checkpoint == CheckpointRef(position=proposed.envelope.position,
                                                    head=head)

        before = duplicates()
        await feed.publish([*signed, published[0], proposed])  # delivered again
        deadline = asyncio.get_running_loop().time() + 30
        while duplicates() < before + 3:
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.02)
        assert updates(await drain(queue, quiet=0.5)) == []
        figure = await reporting.queries.figures(2021)
        assert [f.revision for f in figure if f.indicator == "realization"
                and f.scope == "province"] == [3]
