"""``GET /parked`` and ``POST /parked/{stream}/retry`` on every consuming service
(docs/domain.md#boundaries).

For operators (role ``operator``, or the TKKSD secretariat): the parked streams of the
service's queue, and a retry of one once a fix is deployed (``kerjasama parked``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request

from contracts.roles import OPERATOR, SECRETARIAT
from plumbing.auth import Principal, principal_of
from plumbing.consumer import QueueConsumer
from plumbing.problems import ProblemException

STREAM = r"^[A-Za-z0-9_.:-]{1,200}$"


async def _operator(request: Request) -> Principal:
    principal = await principal_of(request)
    if not principal.has(OPERATOR, SECRETARIAT):
        raise ProblemException(403, "Forbidden", "parked streams are for operators (role "
                               f"{OPERATOR} or {SECRETARIAT})", "urn:kerjasama:problem:forbidden")
    return principal


def parked_router(consumer: Callable[[], QueueConsumer | None]) -> APIRouter:
    """The routes over the consumer that :func:`consumer` returns (None while starting)."""
    router = APIRouter(tags=["operations"], dependencies=[Depends(_operator)])

    def running() -> QueueConsumer:
        found = consumer()
        if found is None or found.parking is None:
            raise ProblemException(503, "Not consuming", "this service is not consuming "
                                   "events now", "urn:kerjasama:problem:not-consuming")
        return found

    @router.get("/parked", summary="Parked streams: why, and how many events wait")
    async def list_parked() -> list[dict[str, Any]]:
        parking = running().parking
        assert parking is not None
        return [p.as_json() for p in await parking.parked()]

    @router.post("/parked/{stream_id}/retry", summary="Retry a parked stream")
    async def retry(stream_id: Annotated[str, Path(pattern=STREAM)]) -> dict[str, Any]:
        found = running()
        assert found.parking is not None
        if not await found.parking.is_parked(stream_id):
            raise ProblemException(404, "Not parked", f"stream {stream_id} is not parked",
                                   "urn:kerjasama:problem:not-parked")
        return (await found.retry_parked(stream_id)).as_json()

    return router
