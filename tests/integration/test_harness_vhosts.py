"""The test harness cleans up after runs that were killed before their clean-up."""

from __future__ import annotations

import time

from plumbing.rabbitadmin import RabbitAdmin
from tests.conftest import STALE_AFTER_SECONDS, sweep_stale_vhosts, unique_vhost_name


async def test_left_over_test_vhosts_and_their_users_are_swept_and_current_ones_kept(
        rabbit_admin: RabbitAdmin) -> None:
    old = f"kerjasama-test-{int(time.time()) - STALE_AFTER_SECONDS - 60}-abcdef"
    current = unique_vhost_name()
    for name in (old, current):
        await rabbit_admin.create_vhost(name)
    await rabbit_admin.request("PUT", "/users/kerjasama-reporting-abcdef",
                               {"password": "x" * 20, "tags": ""})
    try:
        swept = await sweep_stale_vhosts(rabbit_admin)
        names = {v["name"] for v in await rabbit_admin.request("GET", "/vhosts")}
        users = {u["name"] for u in await rabbit_admin.request("GET", "/users")}
        assert old in swept and old not in names
        assert current in names and current not in swept
        assert "kerjasama-reporting-abcdef" not in users
    finally:
        await rabbit_admin.delete_vhost(current)
        await rabbit_admin.delete_vhost(old)
