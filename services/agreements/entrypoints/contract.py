"""The message contract, served to anyone: ``GET /asyncapi.json`` and
``GET /schemas/{type}.json``, byte for byte the files committed in ``contracts/``
(generated from its models, docs/integration.md)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from fastapi import APIRouter, Request, Response

import contracts
from plumbing.http import problem

CONTRACTS = Path(contracts.__file__).resolve().parent
PUBLIC_PATHS = re.compile(r"/asyncapi\.json|/schemas/[^/]+\.json")
"""The paths of this router, matched whole: no token is needed to read the contract."""


class _File:
    """A contract file read once: its bytes and their ETag."""

    def __init__(self, path: Path) -> None:
        self.body = path.read_bytes()
        self.etag = f'"{hashlib.sha256(self.body).hexdigest()}"'

    def response(self, request: Request) -> Response:
        headers = {"ETag": self.etag, "Cache-Control": "public, max-age=300"}
        if self.etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        return Response(self.body, media_type="application/json", headers=headers)


def contract_router(root: Path = CONTRACTS) -> APIRouter:
    """The routes that serve the AsyncAPI document and every message's JSON Schema."""
    router = APIRouter(tags=["contract"])
    asyncapi = _File(root / "asyncapi.json")
    schemas = {p.name.removesuffix(".json"): _File(p)
               for p in sorted((root / "schemas").glob("*.json"))}

    @router.get("/asyncapi.json", summary="The AsyncAPI document of every channel and "
                "message (no token needed)")
    async def asyncapi_document(request: Request) -> Response:
        return asyncapi.response(request)

    @router.get("/schemas/{message_type}.json", summary="The JSON Schema of one message "
                "type, e.g. kerjasama.agreement.signed.v1, or cloudevent (no token needed)")
    async def schema(message_type: str, request: Request) -> Response:
        found = schemas.get(message_type)
        if found is None:
            return problem(404, "Unknown message type",
                           f"no schema for {message_type[:200]!r}: the types are listed in "
                           "/asyncapi.json (e.g. kerjasama.agreement.signed.v1)")
        return found.response(request)

    return router
