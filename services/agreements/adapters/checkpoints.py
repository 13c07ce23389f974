"""Checkpoints of the running hash, stored beside the events (docs/domain.md#boundaries).

:func:`make_checkpoint` extends the head of the last checkpoint over the feed (below its
safe point, so no slow writer is skipped), signs it and stores it. It runs on the relay's
connection while the relay holds its lock, so one replica at a time checkpoints.
"""

from __future__ import annotations

from plumbing import clock
from plumbing.db import Conn, Pool
from plumbing.ledger import Checkpoint, CheckpointSigner, Head

_COLUMNS = "position, events, hash, signed_at, key_id, signature"
_SAFE_HASHES = ("SELECT position, hash FROM events WHERE position > $1 "
                "AND tx_id < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY position LIMIT $2")
"""The feed's safe prefix (as :func:`event_store.read_feed`), only what the head needs."""


async def latest(conn: Conn | Pool) -> Checkpoint | None:
    """The newest checkpoint, if any."""
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM checkpoints ORDER BY position DESC LIMIT 1")
    return None if row is None else Checkpoint(**dict(row))


async def after(conn: Conn | Pool, position: int, limit: int) -> list[Checkpoint]:
    """Checkpoints after a position, oldest first."""
    rows = await conn.fetch(f"SELECT {_COLUMNS} FROM checkpoints WHERE position > $1 "
                            "ORDER BY position LIMIT $2", position, limit)
    return [Checkpoint(**dict(r)) for r in rows]


async def head_since(conn: Conn | Pool, last: Checkpoint | None,
                     batch: int = 5000) -> Head:
    """The running hash over the feed's safe prefix, continued from ``last``."""
    head = Head() if last is None else Head(last.position, last.events, last.hash)
    while True:
        rows = await conn.fetch(_SAFE_HASHES, head.position, batch)
        for row in rows:
            head = head.after(row["position"], row["hash"])
        if len(rows) < batch:
            return head


async def make_checkpoint(conn: Conn | Pool, signer: CheckpointSigner) -> Checkpoint | None:
    """Sign and store the head when events were added since the last checkpoint."""
    last = await latest(conn)
    head = await head_since(conn, last)
    if last is not None and head.position == last.position:
        return None
    if head.events == 0:
        return None
    checkpoint = signer.sign(head, clock.now().isoformat())
    await store(conn, checkpoint)
    return checkpoint


async def store(conn: Conn | Pool, checkpoint: Checkpoint) -> None:
    """Store a signed checkpoint (a second one at the same position is dropped)."""
    await conn.execute(f"INSERT INTO checkpoints ({_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"
                       " ON CONFLICT (position) DO NOTHING", *checkpoint.to_json().values())
