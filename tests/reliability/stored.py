"""What a service has stored: a fingerprint of every table of its database."""

from __future__ import annotations

import asyncpg

TABLES = """
SELECT quote_ident(table_schema) || '.' || quote_ident(table_name)
FROM information_schema.tables
WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')
ORDER BY 1
"""


async def fingerprint(conn: asyncpg.Connection, *, ignore: frozenset[str] = frozenset()
                      ) -> dict[str, tuple[int, str]]:
    """``{table: (rows, md5 of the rows)}`` of every table but those named in ``ignore``.

    Two equal fingerprints mean nothing was inserted, updated or deleted in between.
    """
    tables = [t for t in await conn.fetchval(f"SELECT array({TABLES})") if t not in ignore]
    if not tables:
        return {}
    query = " UNION ALL ".join(
        f"SELECT '{t}', count(*), md5(coalesce(string_agg(r::text, E'\\n' ORDER BY r::text),"
        f" '')) FROM {t} AS r" for t in tables)
    return {name: (rows, digest) for name, rows, digest in await conn.fetch(query)}


def changes(before: dict[str, tuple[int, str]], after: dict[str, tuple[int, str]]
            ) -> dict[str, str]:
    """What differs between two fingerprints, table by table (empty: nothing)."""
    names = sorted(set(before) | set(after))
    return {n: f"{before.get(n, (0, '-'))[0]} rows -> {after.get(n, (0, '-'))[0]} rows"
            for n in names if before.get(n) != after.get(n)}
