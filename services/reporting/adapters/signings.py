"""Signings that count for something else, kept per generation: a PKS or ADDENDUM for its
parent (``child_signings``), an agreement for the mapping item it realises
(``item_realisations``). Both are read and written alike."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from uuid import UUID

from plumbing.db import Conn

SIGNING_LINKS = {"child_signings": ("child_id", "parent_id"),
                 "item_realisations": ("agreement_id", "item_id")}
"""Tables of signings that count for something else, each (signed agreement, what it counts
for): a PKS or ADDENDUM for its parent, an agreement for the mapping item it realises."""


async def linked_signings(conn: Conn, table: str, owners: Iterable[UUID]
                          ) -> dict[UUID, dict[UUID, date]]:
    """Per owner (a parent, a mapping item) in ``table`` of :data:`SIGNING_LINKS`: the
    agreements signed for it and their signing dates."""
    signed, owner = SIGNING_LINKS[table]
    wanted = list(owners)
    if not wanted:
        return {}
    rows = await conn.fetch(f"SELECT {signed}, {owner}, signed_on FROM {table}"
                            f" WHERE {owner} = ANY($1::uuid[])", wanted)
    found: dict[UUID, dict[UUID, date]] = {}
    for row in rows:
        found.setdefault(row[1], {})[row[0]] = row[2]
    return found


async def add_linked_signings(conn: Conn, table: str,
                              links: Sequence[tuple[UUID, UUID, date]]) -> None:
    """Record (signed agreement, owner, signing date) links in ``table`` (once each)."""
    if not links:
        return
    signed, owner = SIGNING_LINKS[table]
    await conn.execute(f"INSERT INTO {table} ({signed}, {owner}, signed_on)"
                       " SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::date[])"
                       f" ON CONFLICT ({signed}) DO NOTHING",
                       [s for s, _, _ in links], [o for _, o, _ in links],
                       [d for _, _, d in links])
