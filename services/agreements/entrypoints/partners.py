"""HTTP routes of the partner registry (docs/domain.md#partners). Routes stay thin."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, RedirectResponse, Response

from contracts.commands import MergePartner, RegisterPartner, RevisePartner
from contracts.common import PartnerCategory
from contracts.feed import PARTNER_EVENTS_PATH
from contracts.partner_registry import MergeBody, PartnerBody, PartnerStage, partner_stream_id
from services.agreements.application.queries import AgreementQueries
from services.agreements.application.service import AgreementService
from services.agreements.domain.errors import PartnerNotFound
from services.agreements.entrypoints.http import (
    Caller,
    IdempotencyKey,
    IfMatch,
    answer,
    parse_if_match,
    runner,
)

BIGINT = 2**63 - 1


def parse_partner_id(partner_id: str) -> UUID:
    """A partner id; one that is not a UUID names no partner (404)."""
    try:
        return UUID(partner_id)
    except ValueError:
        raise PartnerNotFound(f"no partner with id {partner_id}") from None


def build_partner_router(service: AgreementService, queries: AgreementQueries) -> APIRouter:
    """The registry's commands and queries."""
    router = APIRouter()
    run = runner(service)

    @router.post("/partners", status_code=201, tags=["partners"],
                 summary="Register a partner (409 with existing_id for one registered already)")
    async def register(caller: Caller, body: PartnerBody,
                       idempotency_key: IdempotencyKey = None) -> JSONResponse:
        command = RegisterPartner(**body.model_dump(),
                                  command_id=idempotency_key or str(uuid4()))
        result = await run(command, caller)
        return answer(result, 201 if result.created else 200, f"/partners/{result.id}")

    @router.put("/partners/{partner_id}", tags=["partners"],
                summary="Replace what the registry knows of a partner")
    async def revise(caller: Caller, partner_id: str, body: PartnerBody,
                     idempotency_key: IdempotencyKey = None,
                     if_match: IfMatch = None) -> JSONResponse:
        command = RevisePartner(**body.model_dump(), partner_id=parse_partner_id(partner_id),
                                expected_version=parse_if_match(if_match),
                                command_id=idempotency_key or str(uuid4()))
        return answer(await run(command, caller), 200)

    @router.post("/partners/{partner_id}/merge", tags=["partners"],
                 summary="Merge a duplicate partner into the partner that stays")
    async def merge(caller: Caller, partner_id: str, body: MergeBody,
                    idempotency_key: IdempotencyKey = None,
                    if_match: IfMatch = None) -> JSONResponse:
        command = MergePartner(into=body.into, partner_id=parse_partner_id(partner_id),
                               expected_version=parse_if_match(if_match),
                               command_id=idempotency_key or str(uuid4()))
        return answer(await run(command, caller), 200)

    @router.get("/partners/{partner_id}", tags=["partners"],
                summary="One partner with its agreements (a merged one: 301 to the partner "
                "it was merged into)")
    async def get(partner_id: str) -> Response:
        view = await queries.partner(parse_partner_id(partner_id))
        if view is None:
            raise PartnerNotFound(f"no partner with id {partner_id}")
        if view["stage"] == PartnerStage.MERGED:
            return RedirectResponse(f"/partners/{view['merged_into']}", status_code=301)
        return JSONResponse(view, headers={"ETag": f'"{view["version"]}"'})

    @router.get(PARTNER_EVENTS_PATH, tags=["partners"],
                summary="A partner's events (CloudEvents, in version order)")
    async def events(partner_id: str) -> list[dict[str, Any]]:
        found = await queries.stream(partner_stream_id(parse_partner_id(partner_id)))
        if not found:
            raise PartnerNotFound(f"no partner with id {partner_id}")
        return found

    @router.get("/partners", tags=["partners"],
                summary="Active partners by name (q: part of the name, however spelt)")
    async def search(q: Annotated[str | None, Query(max_length=300)] = None,
                     category: PartnerCategory | None = None,
                     country: Annotated[str | None, Query(pattern=r"^[A-Z]{2}$")] = None,
                     limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                     offset: Annotated[int, Query(ge=0, le=BIGINT)] = 0
                     ) -> list[dict[str, Any]]:
        return await queries.partners(q, category, country, limit, offset)

    return router
