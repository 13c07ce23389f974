"""The agreements service serves its message contract to anyone: ``GET /asyncapi.json``
and ``GET /schemas/{type}.json``, equal to the committed files."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from plumbing.settings import load_settings
from services.agreements.app import create_app
from services.agreements.settings import AgreementsSettings

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"


@pytest.fixture
async def anyone() -> AsyncIterator[httpx.AsyncClient]:
    """A caller without a token (the routes need no database: no lifespan runs)."""
    app = create_app(load_settings(AgreementsSettings, messaging=False))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://agreements") as client:
        yield client


async def test_the_asyncapi_document_is_served_without_a_token_as_committed(
        anyone: httpx.AsyncClient) -> None:
    answer = await anyone.get("/asyncapi.json")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.content == (CONTRACTS / "asyncapi.json").read_bytes()
    again = await anyone.get("/asyncapi.json", headers={"If-None-Match": answer.headers["etag"]})
    assert again.status_code == 304 and not again.content


async def test_every_committed_schema_is_served_without_a_token_as_committed(
        anyone: httpx.AsyncClient) -> None:
    files = sorted((CONTRACTS / "schemas").glob("*.json"))
    assert len(files) > 40 and (CONTRACTS / "schemas" / "cloudevent.json") in files
    for path in files:
        answer = await anyone.get(f"/schemas/{path.name}")
        assert answer.status_code == 200, path.name
        assert answer.content == path.read_bytes(), path.name
    signed = json.loads((await anyone.get("/schemas/kerjasama.agreement.signed.v1.json")).text)
    assert "signed_on" in json.dumps(signed)


async def test_an_unknown_type_is_a_404_problem_that_points_to_the_list(
        anyone: httpx.AsyncClient) -> None:
    answer = await anyone.get("/schemas/kerjasama.agreement.sign.v9.json")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert "/asyncapi.json" in answer.json()["detail"]


async def test_the_rest_of_the_service_still_needs_a_token(anyone: httpx.AsyncClient) -> None:
    for path in ("/agreements", "/events", "/checkpoints/latest", "/schemas", "/schemas/",
                 "/asyncapi.json/x", "/asyncapi.jsonx", "/schemas/x/y.json", "/schemas/.json",
                 "/schemas/..%2Fasyncapi.json", "/schemas/%2E%2E%2F%2E%2E%2Fpyproject.toml.json"):
        assert (await anyone.get(path)).status_code == 401, path  # only the contract is open
