"""The portal's pages, server-rendered (they work without JavaScript), and the routes of
its open data (entrypoints/open_data.py).

Every page is in Bahasa Indonesia unless ``?lang=en``; every answer carries an ``ETag``
and ``Cache-Control`` (a repeated request with ``If-None-Match`` gets a 304). An unknown
or non-public agreement and an unknown page give the same 404 page.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import jinja2
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from contracts.common import Kind, PartnerCategory
from contracts.documents import MEDIA_TYPES
from contracts.sleeping import SLEEPING_AFTER_DAYS
from plumbing import clock
from plumbing.db import Pool
from plumbing.tables import rupiah
from services.portal.adapters import partners, priorities, store
from services.portal.domain.register import STATUSES
from services.portal.entrypoints.charts import Bar, bars
from services.portal.entrypoints.i18n import MONTHS, TEXT, WORDS, language_of
from services.portal.entrypoints.open_data import OpenData
from services.portal.entrypoints.planning import AMOUNTS, planning
from services.portal.entrypoints.responses import CACHE_SECONDS, cached

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
EXPIRING_DAYS = 90
LISTED = 50
"""Agreements the dashboard lists under each heading (the quietest, the soonest ending)."""
HEADLINE = ("realization", "effectiveness")

Lang = Annotated[str | None, Query(max_length=5, description="id (default) or en")]


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True)
    env.filters["num"] = number
    return env


def number(value: float | int | None) -> str:
    """A figure as people write it: ``69.23``, ``80`` (not ``80.0``), ``-`` for none."""
    if value is None:
        return "-"
    return f"{value:g}" if isinstance(value, float) else str(value)


def long_date(value: date | None, lang: str) -> str:
    """``20 Mei 2021`` / ``20 May 2021``; ``-`` for none."""
    if value is None:
        return "-"
    return f"{value.day} {MONTHS[lang][value.month - 1]} {value.year}"


def human_size(size: int, lang: str) -> str:
    """A size as people read it (SI units): ``482,1 kB`` / ``482.1 kB``, ``900 bita``."""
    if size < 1000:
        return f"{size} {TEXT[lang]['bytes']}"
    value, units = size / 1000, ["kB", "MB", "GB"]
    while value >= 999.95 and len(units) > 1:
        value /= 1000
        units.pop(0)
    unit = units[0]
    text = f"{value:.1f}".removesuffix(".0")
    return f"{text.replace('.', ',') if lang == 'id' else text} {unit}"


def file_type(media_type: str) -> str:
    """What a file is, by its usual extension (``PDF``, ``DOCX``), else its media type."""
    extension = MEDIA_TYPES.get(media_type)
    return extension.lstrip(".").upper() if extension else media_type


class Pages:
    """Renders the pages from the portal's database."""

    def __init__(self, pool: Pool, *, page_size: int = 25,
                 today: Callable[[], date] = clock.today) -> None:
        self._pool = pool
        self._env = _environment()
        self._page_size = page_size
        self._today = today
        self._choices_cache: tuple[float, dict[str, list[Any]]] | None = None
        self.open_data = OpenData(pool, today)

    async def _choices(self) -> dict[str, list[Any]]:
        """The values the register's filters offer, read again at most every minute."""
        now = time.monotonic()
        if self._choices_cache is None or now - self._choices_cache[0] > CACHE_SECONDS:
            self._choices_cache = (now, await store.choices(self._pool))
        return self._choices_cache[1]

    def render(self, name: str, lang: str, **context: Any) -> bytes:
        """A template in a language."""
        t = TEXT[lang]
        words = WORDS[lang]
        text = self._env.get_template(name).render(
            t=t, lang=lang, date=lambda d: long_date(d, lang),
            size=lambda n: human_size(n, lang), file_type=file_type,
            money=lambda n: rupiah(n, lang), amounts=AMOUNTS,
            word=lambda code: words.get(code, code) if code else "-", **context)
        return text.encode()

    async def not_found(self, request: Request, lang: str) -> Response:
        """The 404 page."""
        return cached(request, self.render("not_found.html", lang, path=request.url.path),
                      "text/html; charset=utf-8", status=404)

    def problem(self, lang: str, key: str, status: int,
                headers: Mapping[str, str] | None = None) -> Response:
        """A page that says why an answer cannot be given now (never cached)."""
        return Response(self.render("problem.html", lang, key=key), status_code=status,
                        media_type="text/html; charset=utf-8",
                        headers={"Cache-Control": "no-store", **(headers or {})})

    # --- the dashboard --------------------------------------------------------------

    async def dashboard(self, request: Request, lang: str, year: int | None) -> Response:
        t = TEXT[lang]
        years = await store.figure_years(self._pool)
        today = self._today()
        chosen = year if year in years else next((y for y in years if y <= today.year),
                                                 years[0] if years else today.year)
        items = await store.figures(self._pool)
        by_key = {(i["indicator"], i["year"], i["scope"]): i for i in items}
        charts = []
        headline = [by_key.get((ind, chosen, "province")) for ind in HEADLINE]
        charts.append(self._chart("year", f"{t['realization']} / {t['effectiveness']} {chosen}",
                                  [(t[ind], i) for ind, i in zip(HEADLINE, headline,
                                                                 strict=True)], lang))
        for ind in HEADLINE:
            rows = [(str(y), by_key.get((ind, y, "province"))) for y in sorted(years)]
            charts.append(self._chart(f"years-{ind}", f"{t[ind]}: {t['over_years']}",
                                      rows, lang))
        for prefix, label in (("opd:", "per_agency"), ("kind:", "per_kind")):
            for ind in HEADLINE:
                rows = sorted(((i["scope"].removeprefix(prefix), i) for i in items
                               if i["indicator"] == ind and i["year"] == chosen
                               and i["scope"].startswith(prefix)), key=lambda r: r[0])
                charts.append(self._chart(f"{prefix[:-1]}-{ind}",
                                          f"{t[ind]} {chosen}: {t[label]}", rows, lang))
        quiet, quiet_total, ending, ending_total = await store.watched(
            self._pool, today, SLEEPING_AFTER_DAYS, EXPIRING_DAYS, LISTED)
        sleeping = sorted(((v, last, (today - last).days) for v, last in quiet),
                          key=lambda s: (-s[2], s[0].title))
        expiring = sorted(((v, (v.effective_until - today).days) for v in ending
                           if v.effective_until is not None), key=lambda e: (e[1], e[0].title))
        body = self.render(
            "dashboard.html", lang, year=chosen, years=years or [chosen], charts=charts,
            plan=planning(chosen, items, await priorities.of_year(self._pool, chosen)),
            headline=[i for i in headline if i is not None],
            sleeping=sleeping, expiring=expiring, sleeping_total=quiet_total,
            expiring_total=ending_total,
            counts={k: by_key.get((k, chosen, "province"))
                    for k in ("sleeping", "expiring_90_days")})
        return cached(request, body, "text/html; charset=utf-8")

    def _chart(self, key: str, title: str, rows: list[tuple[str, dict[str, Any] | None]],
               lang: str) -> dict[str, Any]:
        t = TEXT[lang]
        shown = [(label, item) for label, item in rows if item is not None]
        svg = bars(key, title, f"{t['value']} ({t['target']}: red mark)",
                   [Bar(label, item["value"], item["target"], not item["complete"])
                    for label, item in shown])
        return {"key": key, "title": title, "svg": Markup(svg), "rows": shown}

    # --- the register ---------------------------------------------------------------

    async def register(self, request: Request, lang: str, filters: store.Filters,
                       page: int) -> Response:
        found = await store.register(self._pool, filters, self._today(), page,
                                     self._page_size)
        pages = max(1, math.ceil(found.total / self._page_size))
        choices = await self._choices()
        query = {k: v for k, v in (("q", filters.q), ("kind", filters.kind),
                                   ("category", filters.category), ("opd", filters.opd),
                                   ("year", filters.year), ("status", filters.status),
                                   ("priority", filters.priority),
                                   ("lang", lang if lang != "id" else None)) if v}
        body = self.render("register.html", lang, found=found, page=page, pages=pages,
                           filters=filters, choices=choices, statuses=STATUSES, query=query,
                           priority_names=await priorities.names(self._pool),
                           moved=await partners.survivors(self._pool),
                           kinds=[k.value for k in Kind],
                           categories=[c.value for c in PartnerCategory])
        return cached(request, body, "text/html; charset=utf-8")

    async def agreement(self, request: Request, lang: str, agreement_id: UUID) -> Response:
        found = await store.public_one(self._pool, agreement_id, self._today())
        if found is None:
            return await self.not_found(request, lang)
        view, status = found
        year = view.plan_year or view.proposed_on.year  # the year its priority belongs to
        body = self.render("agreement.html", lang, a=view, status=status,
                           priority=await priorities.name(self._pool, view.priority, year),
                           moved=await partners.survivors(self._pool))
        return cached(request, body, "text/html; charset=utf-8")


def build_router(pages: Pages) -> APIRouter:
    """The pages and the open data."""
    router = APIRouter()

    @router.get("/", response_class=HTMLResponse)
    async def dashboard(request: Request, lang: Lang = None,
                        year: Annotated[str | None, Query(max_length=4)] = None) -> Response:
        chosen = int(year) if year and year.isdigit() else None
        return await pages.dashboard(request, language_of(lang), chosen)

    @router.get("/register", response_class=HTMLResponse)
    async def register(request: Request, lang: Lang = None,
                       q: Annotated[str | None, Query(max_length=200)] = None,
                       kind: Annotated[str | None, Query(max_length=20)] = None,
                       category: Annotated[str | None, Query(max_length=40)] = None,
                       opd: Annotated[str | None, Query(max_length=40)] = None,
                       year: Annotated[str | None, Query(max_length=4)] = None,
                       status: Annotated[str | None, Query(max_length=20)] = None,
                       priority: Annotated[str | None, Query(max_length=40)] = None,
                       page: Annotated[str | None, Query(max_length=6)] = None) -> Response:
        filters = store.Filters(
            q=q.strip() or None if q else None, kind=kind or None,
            category=category or None, opd=opd or None,
            year=int(year) if year and year.isdigit() else None,
            status=status if status in STATUSES else None,  # type: ignore[arg-type,unused-ignore]
            priority=priority or None)
        number = int(page) if page and page.isdigit() and int(page) >= 1 else 1
        return await pages.register(request, language_of(lang), filters, number)

    @router.get("/register/{agreement_id}", response_class=HTMLResponse)
    async def agreement(request: Request, agreement_id: str, lang: Lang = None) -> Response:
        try:
            parsed = UUID(agreement_id)
        except ValueError:
            return await pages.not_found(request, language_of(lang))
        return await pages.agreement(request, language_of(lang), parsed)

    @router.get("/open-data/agreements.json")
    async def agreements_json(request: Request) -> Response:
        return await pages.open_data.agreements_json(request)

    @router.get("/open-data/agreements.csv")
    async def agreements_csv(request: Request) -> Response:
        return await pages.open_data.agreements_csv(request)

    @router.get("/open-data/kpis.csv")
    async def kpis_csv(request: Request) -> Response:
        return await pages.open_data.kpis_csv(request)

    @router.get("/feed.atom")
    async def atom(request: Request) -> Response:
        return await pages.open_data.atom(request)

    return router
