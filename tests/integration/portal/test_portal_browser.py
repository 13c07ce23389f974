"""The portal in a real browser: Debian's Chromium driven by Playwright (its executable
path set; Playwright's browser downloads are never used, and a missing browser fails the
test). Open the dashboard, choose a year, filter the register, open an agreement (its
documents listed, one fetched and checked against the SHA-256 shown), download the CSV,
switch language, move by keyboard, read the planning section (priorities by name, mapping
and value in rupiah, also on a phone), follow an agreement's partner to its page (both
languages) and search the partners, and check each page with axe-core: no serious or
critical violation. Screenshots go to the test's temporary directory (and, with
KERJASAMA_SCREENSHOTS_DIR set, there too: how the ones in docs/ were made)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import shutil
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Locator, Page, async_playwright

from contracts.partners import partner_id_of
from plumbing.http import serve
from plumbing.settings import load_settings
from services.portal.app import create_app
from services.portal.application.service import seed_figures
from services.portal.settings import PortalSettings
from tests.conftest import DatabaseUrlFactory
from tests.integration.portal.conftest import ArchiveAgreements, Reporting, figure, relayed
from tests.integration.portal.test_portal import history, until_listed
from tests.integration.portal.test_portal_planning import (
    PLANNING_FIGURES,
    PRIORITIES_2021,
    adopt,
    until_shown,
)
from tests.integration.reporting.support import FeedRelay

SHOPEE_PARTNER = {"name": "PT Shopee International Indonesia", "category": "THIRD_PARTY",
                  "country": "ID"}
SHOPEE = partner_id_of(SHOPEE_PARTNER["name"], "ID")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def chromium() -> str:
    """Debian's Chromium; the test fails (never skips) without it."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "Chromium is missing: ./scripts/setup installs Debian's chromium package"
    return found


@pytest.fixture
async def site(agreements: ArchiveAgreements, feed: FeedRelay, reporting: Reporting,
               fresh_topology: str, database_url_factory: DatabaseUrlFactory,
               tmp_path: Path) -> AsyncIterator[tuple[str, dict[str, str]]]:
    """The portal served on a port of its own, with the history of test_portal and the
    2021 figures; (its base URL, the agreements' ids)."""
    settings = load_settings(PortalSettings,
                             portal_database_url=await database_url_factory("portal"),
                             amqp_url=fresh_topology, transient_retry_seconds=5,
                             documents_cache_dir=tmp_path / "portal-cache")
    app = create_app(settings, agreements.client, reporting.reader)
    port, stop = _free_port(), asyncio.Event()
    server = asyncio.create_task(serve(app, "127.0.0.1", port, stop=stop,
                                       log_level="warning"))
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, trust_env=False) as client:
            for _ in range(600):
                try:
                    if (await client.get("/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.05)
            await adopt(agreements, PRIORITIES_2021)
            ids = await history(agreements)
            await agreements.post(f"/agreements/{ids['shopee']}/follow-ups", {
                "on": "2021-09-01", "summary": "Penjualan produk UMKM", "revenue": 75_000_000})
            answer = await agreements.http.put(f"/partners/{SHOPEE}", json={
                **SHOPEE_PARTNER, "codes": [{"scheme": "NIB", "value": "8120000012345"}],
                "contact": {"email": "kerjasama@shopee.example"}})
            assert answer.status_code == 200, answer.text
            await agreements.count_partner(SHOPEE)
            await relayed(app, feed)
            await until_listed(client, 2)
        reporting.items = [
            figure("realization", 2021, "province", 9, 13, revision=5, target=80),
            figure("effectiveness", 2021, "province", 13, 19, revision=3, target=60,
                   complete=False),
            figure("realization", 2021, "opd:DISKUK", 2, 3, revision=2, target=80),
            figure("realization", 2021, "kind:KSDPK", 5, 7, revision=2, target=80),
            figure("realization", 2020, "province", 4, 8, revision=2, target=75),
            *PLANNING_FIGURES]
        await seed_figures(app.state.runtime.pool, reporting.reader, always=True)
        async with httpx.AsyncClient(base_url=base, trust_env=False) as client:
            await until_shown(client, "/?year=2021", PRIORITIES_2021[0]["name"])
        yield base, ids
    finally:
        stop.set()
        await server


async def shot(page: Page, tmp_path: Path, name: str) -> None:
    await page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)
    keep = os.environ.get("KERJASAMA_SCREENSHOTS_DIR")
    if keep:
        await page.screenshot(path=str(Path(keep) / f"{name}.png"), full_page=False)


async def shot_of(locator: Locator, tmp_path: Path, name: str) -> None:
    """A screenshot of one part of a page (kept like :func:`shot`)."""
    await locator.screenshot(path=str(tmp_path / f"{name}.png"))
    keep = os.environ.get("KERJASAMA_SCREENSHOTS_DIR")
    if keep:
        await locator.screenshot(path=str(Path(keep) / f"{name}.png"))


async def accessible(page: Page) -> None:
    """No serious or critical axe-core violation on the page."""
    results: Any = await Axe().run(page)
    bad = [(v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"]][:3])
           for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, f"{page.url}: {bad}"


async def test_the_portal_works_in_a_real_browser(site: tuple[str, dict[str, str]],
                                                  tmp_path: Path) -> None:
    base, ids = site
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium(), headless=True)
        try:
            context = await browser.new_context(viewport={"width": 1200, "height": 900},
                                                accept_downloads=True)
            page = await context.new_page()

            await page.goto(f"{base}/?year=2020")  # the dashboard, a year chosen in it
            assert await page.locator("html").get_attribute("lang") == "id"
            await page.select_option("#year", "2021")
            await page.get_by_role("button", name="Tampilkan").click()
            await page.wait_for_url("**/?year=2021")
            assert await page.locator("h1").inner_text() == "Dasbor 2021"
            assert await page.locator("svg.chart").count() >= 3
            assert "69.23%" in await page.locator("main").inner_text()
            assert "(sementara)" in await page.locator("main").inner_text()
            await accessible(page)
            await shot(page, tmp_path, "dashboard-id")

            await page.keyboard.press("Tab")  # the first stop is the skip link
            assert await page.evaluate("document.activeElement.className") == "skip"
            await page.keyboard.press("Enter")  # the browser moves to #content soon after
            await page.wait_for_url(re.compile(r"#content$"))

            await page.get_by_role("link", name="Daftar kerja sama", exact=True).click()
            await page.wait_for_url("**/register")
            assert "2 kerja sama" in await page.get_by_role("status").inner_text()
            await page.get_by_label("Cari (judul, nomor, mitra)").fill("angkasa")
            await page.keyboard.press("Enter")
            await page.wait_for_url("**/register?q=angkasa**")
            assert "1 kerja sama" in await page.get_by_role("status").inner_text()
            await page.get_by_label("Cari (judul, nomor, mitra)").fill("")
            await page.get_by_label("Status").select_option("in_force")
            await page.get_by_role("button", name="Saring").click()
            await page.wait_for_url("**status=in_force**")
            rows = page.locator("tbody tr")
            assert await rows.count() == 1
            await accessible(page)
            await shot(page, tmp_path, "register-id")

            await rows.get_by_role("link", name="Pemasaran produk UMKM di Shopee").click()
            await page.wait_for_url(f"**/register/{ids['shopee']}")
            assert await page.locator("h1").inner_text() == "Pemasaran produk UMKM di Shopee"
            assert "Tindak lanjut" in await page.locator("main").inner_text()
            listed = page.get_by_role("table", name="Dokumen")
            assert await listed.is_visible()
            link = listed.get_by_role("link", name="PKS Shopee 2021.pdf")
            fetched = await page.request.get(f"{base}{await link.get_attribute('href')}")
            digest = hashlib.sha256(await fetched.body()).hexdigest()
            assert fetched.ok and digest in await listed.inner_text()
            await accessible(page)
            await shot(page, tmp_path, "agreement-id")

            await page.get_by_role("link", name="English", exact=True).click()
            await page.wait_for_load_state()
            assert await page.locator("html").get_attribute("lang") == "en"
            assert "Follow-up" in await page.locator("main").inner_text()
            await shot(page, tmp_path, "agreement-en")

            async with page.expect_download() as download_info:
                await page.get_by_role("link", name="CSV", exact=True).click()
            download = await download_info.value
            saved = tmp_path / download.suggested_filename
            await download.save_as(saved)
            lines = saved.read_text().splitlines()
            assert lines[0].startswith("# licence: CC BY 4.0") and len(lines) == 4

            await page.goto(f"{base}/register/{ids['shopee']}")  # its partner's page
            await page.get_by_role("link", name=SHOPEE_PARTNER["name"], exact=True).click()
            await page.wait_for_url(f"**/partners/{SHOPEE}")
            assert await page.locator("h1").inner_text() == SHOPEE_PARTNER["name"]
            text = await page.locator("main").inner_text()
            for shown in ("NIB", "8120000012345", "Rp 75.000.000", "Sedang berlaku",
                          "Pemasaran produk UMKM di Shopee"):
                assert shown in text, shown
            assert "shopee.example" not in await page.content()  # no contact
            await accessible(page)
            await shot(page, tmp_path, "partner-id")
            await page.get_by_role("link", name="English", exact=True).click()
            await page.wait_for_url(f"**/partners/{SHOPEE}?lang=en")
            assert "IDR 75,000,000" in await page.locator("main").inner_text()
            await accessible(page)
            await shot(page, tmp_path, "partner-en")
            await page.get_by_role("link", name="Partners", exact=True).click()
            await page.wait_for_url("**/partners?lang=en")
            assert "2 partners" in await page.get_by_role("status").inner_text()
            await page.get_by_label("Search partners (name)").fill("angkasa")
            await page.keyboard.press("Enter")
            await page.wait_for_url("**/partners?lang=en&q=angkasa")
            assert "1 partners" in await page.get_by_role("status").inner_text()
            await accessible(page)

            await page.goto(f"{base}/?year=2021&lang=en")
            assert await page.locator("h1").inner_text() == "Dashboard 2021"
            await shot(page, tmp_path, "dashboard-en")
            planning = page.locator("section#planning")
            text = await planning.inner_text()
            for shown in ("Planning 2021", "Pemulihan ekonomi daerah", "IDR 1,250,000,000",
                          "IDR 75,000,000", "Items mapped", "DISPARBUD"):
                assert shown in text, shown
            assert await planning.get_by_role(
                "table", name="Priorities 2021").locator("tbody tr").count() == 4
            await accessible(page)
            await shot_of(planning, tmp_path, "dashboard-planning-en")
            await page.goto(f"{base}/register?lang=en")
            await accessible(page)
            await shot(page, tmp_path, "register-en")

            missing = await page.goto(f"{base}/register/{ids['proposal']}?lang=en")
            assert missing is not None and missing.status == 404
            assert await page.locator("h1").inner_text() == "Not found"
            await accessible(page)

            phone = await browser.new_page(viewport={"width": 390, "height": 844})
            await phone.goto(f"{base}/register")
            width = await phone.evaluate("document.documentElement.scrollWidth")
            assert width <= 390 + 1, f"the register is {width}px wide on a phone"
            await shot(phone, tmp_path, "register-phone")
            await phone.goto(f"{base}/?year=2021")
            assert "Rp 1.250.000.000" in await phone.locator("section#planning").inner_text()
            width = await phone.evaluate("document.documentElement.scrollWidth")
            assert width <= 390 + 1, f"the dashboard is {width}px wide on a phone"
            await shot_of(phone.locator("section#planning"), tmp_path, "dashboard-planning-id")
        finally:
            await browser.close()
