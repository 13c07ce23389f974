"""The partner pages: ``/partners?q=&page=`` the partners with public agreements, and
``/partners/{id}`` one partner (name, category, country, registration codes; never its
contact) with its public agreements and their totals. A merged partner's page answers 301
to the page of the partner that stays; an unknown or non-public partner gets the 404 page.
Bahasa Indonesia unless ``?lang=en``, like every page."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from plumbing import clock
from plumbing.db import Pool
from services.portal.adapters.partner_queries import listing
from services.portal.application.partners import Moved, find_partner
from services.portal.entrypoints.i18n import language_of
from services.portal.entrypoints.pages import Lang, Pages
from services.portal.entrypoints.responses import CACHE_SECONDS, HTML, cached

PageNumber = Annotated[str | None, Query(max_length=6)]


def _page(value: str | None) -> int:
    return int(value) if value and value.isdigit() and int(value) >= 1 else 1


def _lang_query(lang: str) -> str:
    return "?lang=en" if lang == "en" else ""


class PartnerPages:
    """Renders the partner pages from the portal's database (templates of ``pages``)."""

    def __init__(self, pages: Pages, pool: Pool, *, page_size: int = 25,
                 today: Callable[[], date] = clock.today) -> None:
        self._pages = pages
        self._pool = pool
        self._page_size = page_size
        self._today = today

    async def not_found(self, request: Request, lang: str) -> Response:
        """The 404 page."""
        return await self._pages.not_found(request, lang)

    async def partners(self, request: Request, lang: str, q: str | None,
                       page: int) -> Response:
        found, total = await listing(self._pool, q, self._today(), page, self._page_size)
        pages = max(1, math.ceil(total / self._page_size))
        query = {k: v for k, v in (("q", q), ("lang", lang if lang != "id" else None)) if v}
        body = self._pages.render("partners.html", lang, found=found, total=total, q=q,
                                  page=page, pages=pages, query=query)
        return cached(request, body, HTML)

    async def partner(self, request: Request, lang: str, partner_id: UUID,
                      page: int) -> Response:
        found = await find_partner(self._pool, partner_id, self._today(), page,
                                   self._page_size)
        if found is None:
            return await self.not_found(request, lang)
        if isinstance(found, Moved):
            return RedirectResponse(f"/partners/{found.to}{_lang_query(lang)}",
                                    status_code=301, headers={
                                        "Cache-Control": f"public, max-age={CACHE_SECONDS}"})
        pages = max(1, math.ceil(found.totals.agreements / self._page_size))
        body = self._pages.render("partner.html", lang, p=found.partner, totals=found.totals,
                                  items=found.items, page=page, pages=pages,
                                  query={"lang": "en"} if lang == "en" else {})
        return cached(request, body, HTML)


def build_partner_router(pages: PartnerPages) -> APIRouter:
    """The partner pages."""
    router = APIRouter()

    @router.get("/partners", response_class=HTMLResponse)
    async def partners(request: Request, lang: Lang = None,
                       q: Annotated[str | None, Query(max_length=200)] = None,
                       page: PageNumber = None) -> Response:
        return await pages.partners(request, language_of(lang),
                                    q.strip() or None if q else None, _page(page))

    @router.get("/partners/{partner_id}", response_class=HTMLResponse)
    async def partner(request: Request, partner_id: str, lang: Lang = None,
                      page: PageNumber = None) -> Response:
        try:
            parsed = UUID(partner_id)
        except ValueError:
            return await pages.not_found(request, language_of(lang))
        return await pages.partner(request, language_of(lang), parsed, _page(page))

    return router
