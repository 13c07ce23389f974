"""Fixtures of the portal: the real agreements service (its archive in the test's
directory) and a relay of its feed (those of the reporting tests), a reporting service
that serves figures, and a running portal."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI

from contracts.partners import partner_id_of
from plumbing.agreements_client import AgreementsClient
from plumbing.settings import load_settings
from services.agreements.app import create_app as create_agreements_app
from services.agreements.settings import AgreementsSettings
from services.portal.adapters.reporting import ReportingReader
from services.portal.app import create_app
from services.portal.settings import PortalSettings
from tests.auth import auth_headers
from tests.conftest import DatabaseUrlFactory
from tests.database_roles import migrated_as_runtime
from tests.integration.reporting.conftest import (  # noqa: F401 - fixtures
    business_day,
    feed,
)
from tests.integration.reporting.support import AgreementsService, FeedRelay
from tests.waiting import read_until


async def applied(app: FastAPI, count: int, seconds: float = 30) -> None:
    """Until the portal's consumer has applied ``count`` events (it applies them some
    time after they are published: a page that shows one of them shows nothing of the
    others yet)."""
    pool = app.state.runtime.pool
    done = await read_until(lambda: pool.fetchval("SELECT count(*) FROM inbox_events"),
                            lambda n: n >= count, seconds, 0.05)
    assert done >= count, f"applied {done} of {count}"


async def figures_applied(app: FastAPI, items: list[dict[str, Any]],
                          seconds: float = 30) -> None:
    """Until the portal holds each of these figures at its revision or a later one (it
    applies each ``kpi.updated`` on its own, some time after it is published)."""
    pool = app.state.runtime.pool
    wanted = {(i["indicator"], i["year"], i["scope"]): i["revision"] for i in items}

    async def missing() -> list[tuple[str, int, str]]:
        rows = await pool.fetch("SELECT indicator, year, scope, revision FROM figures")
        held = {(r["indicator"], r["year"], r["scope"]): r["revision"] for r in rows}
        return [key for key, revision in wanted.items() if held.get(key, 0) < revision]

    left = await read_until(missing, lambda keys: not keys, seconds, 0.05)
    assert not left, f"figures not applied: {left}"


async def relayed(app: FastAPI, relay: FeedRelay) -> list[Any]:
    """Publish every new event of the feed, and wait until the portal has applied every
    event published so far; the new events."""
    events = await relay.relay()
    await applied(app, len(relay.published))
    return events


class Upstream(httpx.AsyncBaseTransport):
    """The agreements service as the portal reaches it: counts the document downloads,
    and can refuse them (``down``) or send other bytes than asked (``tampered``)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.downloads = 0
        self.down = False
        self.tampered = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not request.url.path.startswith("/documents/"):
            return await self.inner.handle_async_request(request)
        self.downloads += 1
        if self.down:
            raise httpx.ConnectError("the agreements service is down", request=request)
        response = await self.inner.handle_async_request(request)
        if not self.tampered:
            return response
        body = await response.aread()
        return httpx.Response(response.status_code, headers=response.headers,
                              content=body[:-1] + bytes([body[-1] ^ 1]))


class ArchiveAgreements(AgreementsService):
    """The real agreements service with its archive; the portal reads it through
    ``upstream`` with a token of its own (``service:portal``, role reporting), as deployed."""

    def __init__(self, http: httpx.AsyncClient, upstream: Upstream) -> None:
        super().__init__(http)
        self.upstream = upstream
        self.client = AgreementsClient("http://agreements", client=httpx.AsyncClient(
            transport=upstream, base_url="http://agreements",
            headers=auth_headers("reporting", subject="service:portal")))

    async def post(self, path: str, body: Any = None, status: int = 200) -> dict[str, Any]:
        """POST and check the status; after a proposal, count the events of its partner's
        stream too (the registry registers a partner with the first proposal naming it),
        so that the feed relay waits for them."""
        result = await super().post(path, body, status)
        if path == "/agreements" and isinstance(body, dict) and body.get("partner"):
            await self.count_partner(partner_id_of(body["partner"]["name"],
                                                   body["partner"]["country"]))
        return result

    async def count_partner(self, partner_id: UUID) -> int:
        """Count the events the registry holds for a partner (none when unknown); how
        many."""
        answer = await self.http.get(f"/partners/{partner_id}/events")
        found = len(answer.json()) if answer.status_code == 200 else 0
        key = f"partner-{partner_id}"
        self.versions[key] = max(self.versions.get(key, 0), found)
        return found

    async def attach(self, aid: str, content: bytes, *, kind: str = "SIGNED",
                     filename: str = "naskah.pdf", public: bool = True,
                     supersedes: str | None = None) -> dict[str, Any]:
        """Attach a document; the archive's answer (document_id, sha256 …)."""
        fields = {"kind": kind, "public": str(public).lower(),
                  **({"supersedes": supersedes} if supersedes else {})}
        answer = await self.http.post(f"/agreements/{aid}/documents", data=fields, files={
            "file": (filename, content, "application/octet-stream")})
        assert answer.status_code == 201, answer.text
        body: dict[str, Any] = answer.json()
        self.versions[aid] = int(body["version"])
        return body

    async def unpublish(self, document_id: str) -> None:
        """Take a public document off the register."""
        await self.post(f"/documents/{document_id}/unpublish", {"reason": "Diunggah keliru"})


@pytest.fixture
async def agreements(database_url_factory: DatabaseUrlFactory, business_day: date,  # noqa: F811
                     tmp_path: Path) -> AsyncIterator[ArchiveAgreements]:
    """The real agreements service on a fresh database, running as deployed (a runtime
    role that owns nothing, after `kerjasama migrate` as the owner), its archive in the
    test's directory."""
    url = await migrated_as_runtime(await database_url_factory("agreements"))
    app = create_agreements_app(load_settings(  # the tests publish the events themselves
        AgreementsSettings, agreements_database_url=url, messaging=False,
        documents_store=str(tmp_path / "archive")))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
                headers=auth_headers(), transport=transport, base_url="http://agreements") as c:
            service = ArchiveAgreements(c, Upstream(transport))
            try:
                yield service
            finally:
                await service.client.aclose()


class Reporting:
    """What reporting serves at ``GET /kpis`` (the portal reads it on first start)."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self.app = FastAPI()
        self.app.get("/kpis")(self._kpis)
        self.reader = ReportingReader("http://reporting", client=httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://reporting"))

    async def _kpis(self) -> list[dict[str, Any]]:
        return self.items


def figure(indicator: str, year: int, scope: str, numerator: int, denominator: int | None,
           *, revision: int = 1, target: float | None = None,
           complete: bool = True) -> dict[str, Any]:
    """A ``kpi.updated`` item."""
    ratio = denominator is not None
    value = (round(numerator * 100 / denominator, 2) if denominator else None) if ratio \
        else float(numerator)
    return {"indicator": indicator, "year": year, "scope": scope, "numerator": numerator,
            "denominator": denominator, "value": value, "target": target,
            "achievement": None if value is None or not target else round(value * 100 / target,
                                                                           2),
            "as_of_position": 10, "revision": revision, "complete": complete}


@pytest.fixture
def reporting() -> Reporting:
    return Reporting()


@pytest.fixture
async def portal(agreements: ArchiveAgreements, reporting: Reporting,
                 fresh_topology: str, database_url_factory: DatabaseUrlFactory,
                 tmp_path: Path) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """A running portal (its lifespan run) over this test's broker, its document cache in
    the test's directory."""
    settings = load_settings(PortalSettings,
                             portal_database_url=await database_url_factory("portal"),
                             amqp_url=fresh_topology, transient_retry_seconds=5,
                             documents_cache_dir=tmp_path / "portal-cache",
                             documents_cache_sweep_seconds=3600)
    app = create_app(settings, agreements.client, reporting.reader)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://portal") as client:
            yield app, client
