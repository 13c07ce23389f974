"""Health, readiness, metrics and RFC 9457 problem responses."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from fastapi import FastAPI, HTTPException
from prometheus_client import CollectorRegistry, Counter
from pydantic import BaseModel, Field

from plumbing.http import (
    ProblemException,
    ReadyCheck,
    health_router,
    install_problem_handlers,
    problem,
)


class Partner(BaseModel):
    name: str
    country: str = Field(pattern="^[A-Z]{2}$")


class Proposal(BaseModel):
    title: str
    partner: Partner


ClientFactory = Callable[..., httpx.AsyncClient]


async def ok() -> bool:
    return True


async def down() -> bool:
    return False


async def hangs() -> bool:
    await asyncio.sleep(30)
    return True


async def broken() -> bool:
    raise ConnectionRefusedError("database refused")


def make_app(checks: dict[str, ReadyCheck], registry: CollectorRegistry) -> FastAPI:
    app = FastAPI()
    app.include_router(health_router(checks, timeout=0.2, registry=registry))
    install_problem_handlers(app)

    @app.post("/agreements")
    async def propose(body: Proposal) -> dict[str, str]:
        return {"title": body.title}

    @app.get("/agreements/{agreement_id}")
    async def get(agreement_id: str) -> dict[str, str]:
        if agreement_id == "conflict":
            raise ProblemException(409, "Action not allowed", "agreement is SIGNED",
                                   stage="SIGNED")
        raise HTTPException(404, f"no agreement {agreement_id}")

    return app


@pytest.fixture
async def client_for() -> AsyncIterator[ClientFactory]:
    clients: list[httpx.AsyncClient] = []

    def make(
        checks: dict[str, ReadyCheck], registry: CollectorRegistry | None = None
    ) -> httpx.AsyncClient:
        app = make_app(checks, registry or CollectorRegistry())
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t")
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


async def test_healthz_answers_ok(client_for) -> None:
    response = await client_for({"db": down}).get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_is_200_when_every_check_passes(client_for) -> None:
    response = await client_for({"db": ok, "broker": ok}).get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"db": "ok", "broker": "ok"}}


async def test_readyz_is_503_naming_the_failed_checks(client_for) -> None:
    client = client_for({"db": broken, "broker": ok, "smtp": down, "feed": hangs})
    started = asyncio.get_running_loop().time()
    response = await client.get("/readyz")
    assert asyncio.get_running_loop().time() - started < 2
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["broker"] == "ok"
    assert checks["smtp"] == "failed"
    assert "database refused" in checks["db"]
    assert checks["feed"] == "failed: no answer within 0.2s"


async def test_metrics_exposes_the_registry_in_prometheus_format(client_for) -> None:
    registry = CollectorRegistry()
    handled = Counter("kerjasama_test_handled", "handled", ["type"], registry=registry)
    handled.labels("agreement.signed").inc(3)
    response = await client_for({}, registry).get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    assert 'kerjasama_test_handled_total{type="agreement.signed"} 3.0' in response.text


async def test_invalid_body_is_a_422_problem_naming_each_field(client_for) -> None:
    response = await client_for({}).post("/agreements", json={"partner": {"country": "id"}})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "about:blank" and body["status"] == 422
    fields = {e["field"] for e in body["errors"]}
    assert fields == {"body.title", "body.partner.name", "body.partner.country"}
    for field in fields:
        assert field in body["detail"]


async def test_http_errors_and_unknown_routes_are_problems(client_for) -> None:
    client = client_for({})
    missing = await client.get("/agreements/abc")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json() == {"type": "about:blank", "title": "Not Found", "status": 404,
                              "detail": "no agreement abc"}
    no_route = await client.get("/nowhere")
    assert no_route.status_code == 404
    assert no_route.json()["title"] == "Not Found"
    wrong_method = await client.delete("/agreements")
    assert wrong_method.status_code == 405
    assert wrong_method.headers["content-type"] == "application/problem+json"
    assert "POST" in wrong_method.headers["allow"]


async def test_problem_exception_carries_extensions(client_for) -> None:
    response = await client_for({}).get("/agreements/conflict")
    assert response.status_code == 409
    assert response.json() == {"type": "about:blank", "title": "Action not allowed",
                               "status": 409, "detail": "agreement is SIGNED",
                               "stage": "SIGNED"}


def test_problem_defaults_title_to_the_status_phrase() -> None:
    response = problem(412, detail="version is 4", type_="/problems/version-mismatch",
                       current_version=4)
    assert response.status_code == 412
    assert response.media_type == "application/problem+json"
    assert response.body == (b'{"type":"/problems/version-mismatch","title":"Precondition '
                             b'Failed","status":412,"detail":"version is 4","current_version":4}')


def test_a_file_name_is_offered_safely_in_both_forms() -> None:
    from plumbing.http import content_disposition

    header = content_disposition('Naskah "final" \\ Jawa Barat \u2013 2021.pdf')
    assert header == ("attachment; filename=\"Naskah _final_ _ Jawa Barat _ 2021.pdf\"; "
                      "filename*=UTF-8''Naskah%20%22final%22%20%5C%20Jawa%20Barat%20"
                      "%E2%80%93%202021.pdf")
    assert content_disposition("foto.png", inline=True).startswith("inline; ")
