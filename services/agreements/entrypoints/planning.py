"""HTTP routes of the planning side (docs/domain.md#planning): the yearly cooperation
mapping and the work program as it stands. Routes stay thin."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Body, Path
from fastapi.responses import JSONResponse

from contracts.commands import (
    AddMappingItem,
    OptionalReasonBody,
    ReviseMappingItem,
    WithdrawMappingItem,
)
from contracts.feed import MAPPING_ITEM_EVENTS_PATH
from contracts.planning import MappingItemBody, MappingStage, mapping_item_stream_id
from services.agreements.application.errors import NotFound
from services.agreements.application.queries import AgreementQueries
from services.agreements.application.service import AgreementService
from services.agreements.domain.errors import MappingItemNotFound
from services.agreements.entrypoints.http import (
    Caller,
    IdempotencyKey,
    IfMatch,
    ProgramYear,
    answer,
    parse_if_match,
    runner,
)

Opd = Annotated[str, Path(pattern=r"^[A-Z0-9_-]+$", max_length=40,
                          description="Agency code.")]


def parse_item_id(item_id: str) -> UUID:
    """A mapping item id; one that is not a UUID names no item (404)."""
    try:
        return UUID(item_id)
    except ValueError:
        raise MappingItemNotFound(f"no mapping item with id {item_id}") from None


def build_planning_router(service: AgreementService, queries: AgreementQueries) -> APIRouter:
    """The mapping's commands and queries, and ``GET /work-programs/{year}``."""
    router = APIRouter()
    run = runner(service)

    @router.post("/mappings/{year}/{opd}/items", status_code=201, tags=["planning"],
                 summary="Add an item to an agency's cooperation mapping of a year")
    async def add(caller: Caller, year: ProgramYear, opd: Opd, body: MappingItemBody,
                  idempotency_key: IdempotencyKey = None) -> JSONResponse:
        command = AddMappingItem(**body.model_dump(), year=year, opd=opd,
                                 command_id=idempotency_key or str(uuid4()))
        result = await run(command, caller)
        return answer(result, 201 if result.created else 200, f"/mapping-items/{result.id}")

    @router.put("/mapping-items/{item_id}", tags=["planning"],
                summary="Replace what a mapping item says")
    async def revise(caller: Caller, item_id: str, body: MappingItemBody,
                     idempotency_key: IdempotencyKey = None,
                     if_match: IfMatch = None) -> JSONResponse:
        command = ReviseMappingItem(**body.model_dump(), item_id=parse_item_id(item_id),
                                    expected_version=parse_if_match(if_match),
                                    command_id=idempotency_key or str(uuid4()))
        return answer(await run(command, caller), 200)

    @router.post("/mapping-items/{item_id}/withdraw", tags=["planning"],
                 summary="Withdraw a mapping item")
    async def withdraw(caller: Caller, item_id: str,
                       body: Annotated[OptionalReasonBody | None, Body()] = None,
                       idempotency_key: IdempotencyKey = None,
                       if_match: IfMatch = None) -> JSONResponse:
        command = WithdrawMappingItem(reason=body.reason if body else None,
                                      item_id=parse_item_id(item_id),
                                      expected_version=parse_if_match(if_match),
                                      command_id=idempotency_key or str(uuid4()))
        return answer(await run(command, caller), 200)

    @router.get("/mapping-items/{item_id}", tags=["planning"], summary="One mapping item")
    async def get(item_id: str) -> JSONResponse:
        item = await queries.mapping_item(parse_item_id(item_id))
        if item is None:
            raise MappingItemNotFound(f"no mapping item with id {item_id}")
        return JSONResponse(item, headers={"ETag": f'"{item["version"]}"'})

    @router.get(MAPPING_ITEM_EVENTS_PATH, tags=["planning"],
                summary="A mapping item's events (CloudEvents, in version order)")
    async def events(item_id: str) -> list[dict[str, Any]]:
        found = await queries.stream(mapping_item_stream_id(parse_item_id(item_id)))
        if not found:
            raise MappingItemNotFound(f"no mapping item with id {item_id}")
        return found

    @router.get("/mappings/{year}", tags=["planning"],
                summary="The year's cooperation mapping, every agency's")
    async def year_mapping(year: ProgramYear,
                           stage: MappingStage | None = None) -> list[dict[str, Any]]:
        return await queries.mapping(year, stage=stage)

    @router.get("/mappings/{year}/{opd}", tags=["planning"],
                summary="One agency's cooperation mapping of a year")
    async def agency_mapping(year: ProgramYear, opd: Opd,
                             stage: MappingStage | None = None) -> list[dict[str, Any]]:
        return await queries.mapping(year, opd, stage)

    @router.get("/work-programs/{year}", tags=["queries"],
                summary="The year's work program: targets, priorities, mapping due date")
    async def work_program(year: ProgramYear) -> JSONResponse:
        view = await queries.work_program(year)
        if view is None:
            raise NotFound(f"no work program for {year}")
        return JSONResponse(view, headers={"ETag": f'"{view["version"]}"'})

    return router
