"""HTTP routes of the ledger checkpoints (docs/domain.md#checkpoints, #http-interface)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from plumbing.db import Pool
from plumbing.http import problem
from services.agreements.adapters import checkpoints

BIGINT = 2**63 - 1


def build_checkpoint_router(pool: Pool, public_key: dict[str, str]) -> APIRouter:
    """``GET /checkpoints/latest``, ``GET /checkpoints?after=``, ``/checkpoints/public-key``."""
    router = APIRouter(tags=["ledger"])

    @router.get("/checkpoints/public-key", summary="The key that signs the checkpoints "
                "(an Ed25519 JWK)")
    async def public() -> dict[str, str]:
        return public_key

    @router.get("/checkpoints/latest", summary="The newest signed checkpoint")
    async def latest() -> Any:
        checkpoint = await checkpoints.latest(pool)
        if checkpoint is None:
            return problem(404, "No checkpoint", "no checkpoint was signed yet")
        return checkpoint.to_json()

    @router.get("/checkpoints", summary="Signed checkpoints after a position, oldest first")
    async def listing(after: Annotated[int, Query(ge=0, le=BIGINT)] = 0,
                      limit: Annotated[int, Query(ge=1, le=10000)] = 1000
                      ) -> list[dict[str, Any]]:
        return [c.to_json() for c in await checkpoints.after(pool, after, limit)]

    return router
