"""Composition root of the portal: the one place where its parts meet."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response
from faststream.rabbit import RabbitBroker
from starlette.exceptions import HTTPException as StarletteHTTPException

from contracts.topology import PORTAL_EVENTS
from plumbing.agreements_client import AgreementsClient, agreements_token_from
from plumbing.auth import authenticator_from
from plumbing.background import every
from plumbing.parking import Parking, in_transaction
from plumbing.runtime import Runtime, service_app
from plumbing.topology import uses_queue
from services.portal.adapters import partners
from services.portal.adapters.database import open_database
from services.portal.adapters.document_cache import DocumentCache
from services.portal.adapters.reporting import ReportingReader
from services.portal.application.documents import Documents
from services.portal.application.service import seed_figures
from services.portal.entrypoints.documents import build_documents_router
from services.portal.entrypoints.i18n import language_of
from services.portal.entrypoints.pages import Pages, build_router
from services.portal.entrypoints.partner_pages import PartnerPages, build_partner_router
from services.portal.entrypoints.subscriber import subscribe
from services.portal.settings import PortalSettings

SEED_SECONDS = 60.0
PARKED_GAUGE_SECONDS = 15.0


def create_app(settings: PortalSettings, agreements: AgreementsClient | None = None,
               reporting: ReportingReader | None = None) -> FastAPI:
    """The portal's HTTP application; its lifespan runs the whole service."""

    async def wire(runtime: Runtime, app: FastAPI) -> None:
        runtime.pool = pool = await open_database(settings)
        await partners.fill_agreement_partner_ids(pool)
        token = agreements_token_from(settings, "portal")
        feed = agreements
        if feed is None:
            feed = AgreementsClient(settings.agreements_url, token=token)
            runtime.on_close(feed.aclose)
        figures = reporting
        if figures is None:
            figures = ReportingReader(str(settings.reporting_url), token)
            runtime.on_close(figures.aclose)
        reader = figures
        runtime.background.add("figures-from-reporting", every(
            lambda: seed_figures(pool, reader), interval=SEED_SECONDS,
            name="figures-from-reporting"))
        parking = Parking(in_transaction(pool), PORTAL_EVENTS)
        runtime.background.add("parked-streams-gauge", every(
            parking.refresh_gauge, interval=PARKED_GAUGE_SECONDS))
        source = feed

        def register(broker: RabbitBroker) -> None:
            subscribe(broker, pool, source, parking=parking,
                      transient_timeout=settings.transient_retry_seconds)

        runtime.subscribe(settings.amqp_url, register, uses=uses_queue(PORTAL_EVENTS),
                          prefetch=settings.prefetch)
        pages = Pages(pool, page_size=settings.page_size)
        app.state.pages = pages
        app.include_router(build_router(pages))
        app.include_router(build_partner_router(PartnerPages(
            pages, pool, page_size=settings.page_size)))
        documents = Documents(pool, DocumentCache(settings.documents_cache_dir,
                                                  settings.documents_cache_max_bytes), source)
        runtime.background.add("documents-cache-sweep", every(
            documents.sweep, interval=settings.documents_cache_sweep_seconds,
            name="documents-cache-sweep"))
        app.state.documents = documents
        app.include_router(build_documents_router(documents, pages))

    app = service_app(title="kerjasama portal",
                      description="The public register of regional cooperation agreements "
                      "and the dashboard of their figures.",
                      authenticator=authenticator_from(settings), wire=wire, public=True)

    @app.exception_handler(StarletteHTTPException)
    async def html_errors(request: Request, exc: StarletteHTTPException) -> Response:
        pages: Pages | None = getattr(request.app.state, "pages", None)
        if exc.status_code == 404 and pages is not None:
            return await pages.not_found(request, language_of(request.query_params.get("lang")))
        return Response(str(exc.detail), status_code=exc.status_code,
                        media_type="text/plain; charset=utf-8")

    return app
