"""Two replicas of the notifications consumer on one queue and one database, under load,
record each notice exactly once (docs/domain.md#consumers): the broker hands them
alternate deliveries, so one agreement's events are split between them."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date

from plumbing import clock
from plumbing.rabbitadmin import RabbitAdmin
from plumbing.urls import vhost_of

from .conftest import Agreements, NotificationsFactory, SmtpFactory, eventually
from .helpers import signed_ksdpk

AGREEMENTS = 24


async def test_two_replicas_record_each_notice_once(
        agreements: Agreements, notifications_factory: NotificationsFactory,
        smtp_server: SmtpFactory, rabbit_admin: RabbitAdmin) -> None:
    clock.set_clock(date(2021, 4, 20))
    smtp = await smtp_server()
    first = await notifications_factory(smtp_port=smtp.port, prefetch=8)
    second = await notifications_factory(
        smtp_port=smtp.port, prefetch=8,
        notifications_database_url=first.settings.notifications_database_url)
    vhost = vhost_of(first.settings.amqp_url)

    async def both_consume() -> bool:
        queues = {q["name"]: q for q in await rabbit_admin.list_queues(vhost)}
        return bool(queues["notifications.events"].get("consumers") == 2)

    await eventually(both_consume, within=20, what="two consumers on notifications.events")
    answer = await first.client.put("/contacts/DISKUK", json={
        "emails": ["diskuk@jabarprov.go.id"], "language": "id", "name": "DISKUK"})
    assert answer.status_code == 201, answer.text
    ids = [await signed_ksdpk(agreements) for _ in range(AGREEMENTS)]
    events = [event for aid in ids for event in await agreements.events(aid)]
    await agreements.publish(events)  # each agreement's events in order, all at once

    pool = first.runtime.pool

    async def all_applied() -> bool:
        return bool(await pool.fetchval("SELECT count(*) FROM inbox_events") == len(events))

    await eventually(all_applied, within=60, what="every event applied by the replicas")
    await asyncio.gather(first.settle(), second.settle())
    rows = await pool.fetch("SELECT agreement_id::text AS aid, rule, recipient, channel"
                            " FROM deliveries")
    per_notice = Counter((r["aid"], r["rule"], r["recipient"], r["channel"]) for r in rows)
    assert per_notice and max(per_notice.values()) == 1, "a notice was recorded twice"
    shapes = {aid: sorted((rule, recipient, channel) for a, rule, recipient, channel
                          in per_notice if a == aid) for aid in ids}
    expected = shapes[ids[0]]
    assert ("follow_up_plan_requested", "DISKUK", "email") in expected
    assert all(shape == expected for shape in shapes.values())
