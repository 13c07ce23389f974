"""HTTP interface of the agreements service (docs/domain.md#http-interface). Routes stay thin."""


import inspect
import re
from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Body, Depends, Header, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from contracts.commands import (
    AdoptWorkProgram,
    AgreementCommand,
    Command,
    CompleteMilestone,
    CompleteMilestoneBody,
    ProposeAgreement,
    ProposeAgreementBody,
    WorkProgramBody,
)
from contracts.common import (
    BUSINESS_YEAR_MAX,
    BUSINESS_YEAR_MIN,
    NO_CONTROL,
    ContractModel,
    Kind,
    Stage,
)
from contracts.feed import (
    AGREEMENT_EVENTS_PATH,
    FEED_PATH,
    WORK_PROGRAM_EVENTS_PATH,
    work_program_stream_id,
)
from plumbing.auth import Principal, principal_of
from plumbing.problems import ProblemException
from services.agreements.application.errors import NotFound
from services.agreements.application.queries import NDJSON, AgreementQueries
from services.agreements.application.service import Accepted, AgreementService
from services.agreements.domain import ACTIONS, Route

IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", min_length=1,
                                              max_length=200, pattern=NO_CONTROL)]
IfMatch = Annotated[str | None, Header(alias="If-Match", max_length=40)]
Caller = Annotated[Principal, Depends(principal_of)]
"""The authenticated caller: its subject is recorded as the actor of the events."""
_IF_MATCH = re.compile(r'^(?:W/)?"?(\d{1,9})"?$')
MilestoneId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.:-]+$", max_length=64)]
"""A milestone id in a path, shaped as contracts.common.Identifier (else a 422)."""
BIGINT = 2**63 - 1
"""Largest PostgreSQL bigint: a position or offset beyond it names nothing."""


ProgramYear = Annotated[int, Path(ge=BUSINESS_YEAR_MIN, le=BUSINESS_YEAR_MAX,
                                   description="Year of the work program.")]

def parse_if_match(value: str | None) -> int | None:
    """``3`` or ``"3"`` (or ``*``) → the expected version; anything else is a 422."""
    if value is None or value.strip() == "*":
        return None
    match = _IF_MATCH.match(value.strip())
    if not match:
        raise ProblemException(422, "Invalid If-Match",
                               f"If-Match must be a version such as 3 or \"3\", not {value!r}")
    return int(match.group(1))


def parse_id(agreement_id: str) -> UUID:
    """An agreement id; one that is not a UUID names no agreement (404)."""
    try:
        return UUID(agreement_id)
    except ValueError:
        raise NotFound(f"no agreement with id {agreement_id}") from None


def answer(result: Accepted, status: int, location: str | None = None) -> JSONResponse:
    """The 200/201 answer of an accepted command, with its ETag (and Location)."""
    headers = {"ETag": f'"{result.version}"'}
    if result.replayed:
        headers["Idempotent-Replayed"] = "true"
    if location:
        headers["Location"] = location
    return JSONResponse({"id": result.id, "version": result.version, "stage": result.stage},
                        status_code=status, headers=headers)


def runner(service: AgreementService) -> Callable[[Command, Principal], Awaitable[Accepted]]:
    """Handle a command as the caller: its subject the actor, its roles the rights."""
    async def run(command: Command, caller: Principal) -> Accepted:
        return await service.handle(command, actor=caller.subject, roles=caller.roles)
    return run


def build_router(service: AgreementService, queries: AgreementQueries) -> APIRouter:
    """Every route of the agreements service."""
    router = APIRouter()
    run = runner(service)

    @router.post("/agreements", status_code=201, tags=["commands"],
                 summary="Propose an agreement")
    async def propose(caller: Caller, body: ProposeAgreementBody,
                      idempotency_key: IdempotencyKey = None) -> JSONResponse:
        command = ProposeAgreement(**body.model_dump(), command_id=idempotency_key or
                                   str(uuid4()))
        result = await run(command, caller)
        return answer(result, 201, f"/agreements/{result.id}")

    def add_action(command_type: type[AgreementCommand], route: Route) -> None:
        # Parameter.empty reads as "no default" to FastAPI: a required body is then a 422
        # when absent (an Ellipsis default would reach the handler and fail as a 500)
        default: Any = inspect.Parameter.empty if route.body_required else None

        async def act(caller: Caller, agreement_id: str, request: Request,
                      body: Annotated[route.body, Body()] = default,  # type: ignore[name-defined]
                      idempotency_key: IdempotencyKey = None,
                      if_match: IfMatch = None) -> JSONResponse:
            fields = body.model_dump() if isinstance(body, ContractModel) else {}
            command = command_type(**fields, agreement_id=parse_id(agreement_id),
                                     expected_version=parse_if_match(if_match),
                                     command_id=idempotency_key or str(uuid4()))
            return answer(await run(command, caller), 200)

        router.add_api_route(f"/agreements/{{agreement_id}}/{route.path}", act,
                             methods=["POST"], summary=route.summary, tags=["commands"],
                             name=route.path)

    for action in ACTIONS:
        if action.route is not None:
            add_action(action.command, action.route)

    @router.post("/agreements/{agreement_id}/milestones/{milestone_id}/complete",
                 tags=["commands"], summary="Record a milestone's completion")
    async def complete(caller: Caller, agreement_id: str, milestone_id: MilestoneId,
                       body: CompleteMilestoneBody, idempotency_key: IdempotencyKey = None,
                       if_match: IfMatch = None) -> JSONResponse:
        command = CompleteMilestone(**body.model_dump(), agreement_id=parse_id(agreement_id),
                                    milestone_id=milestone_id,
                                    expected_version=parse_if_match(if_match),
                                    command_id=idempotency_key or str(uuid4()))
        return answer(await run(command, caller), 200)

    @router.post("/work-programs/{year}", tags=["commands"],
                 summary="Adopt or replace the year's work program")
    async def work_program(caller: Caller, year: ProgramYear,
                           body: WorkProgramBody,
                           idempotency_key: IdempotencyKey = None) -> JSONResponse:
        command = AdoptWorkProgram(**body.model_dump(), year=year,
                                   command_id=idempotency_key or str(uuid4()))
        result = await run(command, caller)
        return answer(result, 201 if result.created else 200)

    @router.get("/agreements/{agreement_id}", tags=["queries"], summary="One agreement")
    async def get(agreement_id: str) -> JSONResponse:
        view = await queries.get(parse_id(agreement_id))
        if view is None:
            raise NotFound(f"no agreement with id {agreement_id}")
        return JSONResponse(view, headers={"ETag": f'"{view["version"]}"'})

    @router.get("/agreements", tags=["queries"], summary="Agreements, filtered")
    async def listing(stage: Stage | None = None, kind: Kind | None = None,
                      lead_opd: Annotated[str | None, Query(pattern=r"^[A-Z0-9_-]+$",
                                                            max_length=40)] = None,
                      plan_year: Annotated[int | None, Query(ge=BUSINESS_YEAR_MIN,
                                                                le=BUSINESS_YEAR_MAX)] = None,
                      limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                      offset: Annotated[int, Query(ge=0, le=BIGINT)] = 0) -> list[dict[str, Any]]:
        return await queries.search(stage=stage, kind=kind, lead_opd=lead_opd,
                                  plan_year=plan_year, limit=limit, offset=offset)

    @router.get(AGREEMENT_EVENTS_PATH, tags=["queries"],
                summary="The agreement's events (CloudEvents, in version order)")
    async def stream(agreement_id: str) -> list[dict[str, Any]]:
        events = await queries.stream(str(parse_id(agreement_id)))
        if not events:
            raise NotFound(f"no agreement with id {agreement_id}")
        return events

    @router.get(WORK_PROGRAM_EVENTS_PATH, tags=["queries"],
                summary="The work program's events of a year (CloudEvents, in version order)")
    async def work_program_events(year: ProgramYear) -> list[dict[str, Any]]:
        events = await queries.stream(work_program_stream_id(year))
        if not events:
            raise NotFound(f"no work program for {year}")
        return events

    @router.get(FEED_PATH, tags=["queries"], response_model=list[dict[str, Any]],
                summary="The global feed (CloudEvents, in position order)",
                description="With `Accept: application/x-ndjson`: the same events, one "
                "CloudEvent a line, encoded by the database (the fast read of a replay).")
    async def feed(request: Request, after: Annotated[int, Query(ge=0, le=BIGINT)] = 0,
                   limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> Any:
        if NDJSON in request.headers.get("accept", ""):
            return Response(await queries.feed_ndjson(after, limit), media_type=NDJSON)
        return await queries.feed(after, limit)

    return router
