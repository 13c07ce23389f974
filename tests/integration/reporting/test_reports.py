"""The yearly report (DESIGN §11) served by a running reporting service over a history of
the real agreements service: its PDF read back with pdfium, its workbook with openpyxl,
against ``GET /kpis``; English, an empty year, a year out of range, reporting not caught
up, untrusted text, and the CLI writing the file the route serves."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import openpyxl
import pypdfium2  # type: ignore[import-untyped]
import pytest

from contracts.events import AgreementProposed
from plumbing.http import serve
from plumbing.ledger import CheckpointSigner
from plumbing.service_client import ServiceClient
from plumbing.settings import load_settings
from services.agreements.adapters.checkpoints import make_checkpoint
from services.agreements.app import create_app as create_agreements_app
from services.agreements.settings import AgreementsSettings
from services.cli import main
from services.demo.loader import load
from services.demo.plan import load_data
from services.reporting.adapters import checkpoints, generations
from services.reporting.app import Reporting, create_app
from services.reporting.application.projection import Projection
from services.reporting.application.rebuild import Rebuilder
from tests.auth import auth_headers
from tests.conftest import DatabaseUrlFactory
from tests.database_roles import migrated_as_runtime
from tests.integration.reporting.support import (
    TODAY,
    AgreementsService,
    FeedRelay,
    reporting_settings,
    wait_applied,
)
from tests.private_rabbitmq import free_port

SCREENSHOTS = "KERJASAMA_SCREENSHOTS_DIR"
"""When set, the first page of the 2021 demo report is kept there too (how the one in
docs/screenshots was made)."""

FORMULA_TITLE = '=HYPERLINK("http://evil.example","klik")'
MARKUP_TITLE = ("Pelatihan <b>& Magang bagi lulusan SMK di kawasan industri Karawang, Bekasi "
                "dan Purwakarta")  # long: it wraps, so it is a paragraph, parsed as mini-HTML
MARKUP_PARTNER = "PT Mitra <Sejahtera> & Co"


@dataclass
class Served:
    url: str
    http: httpx.AsyncClient
    reporting: Reporting
    unsigned: str


async def seed(agreements: AgreementsService) -> str:
    """2021: four documents planned, three signed in it (two followed up, one asleep),
    one evaluation; the id of the one never signed."""
    await agreements.work_program(2021, 80, 60)
    galeri = await agreements.sign("2021-03-01", "2024-02-28", plan_year=2021,
                                   title="Galeri UMKM Juara", lead_opd="DISKUK")
    await agreements.follow_up(galeri, "2021-11-20")
    unsigned = await agreements.propose(plan_year=2021, proposed_on="2021-04-01",
                                        title="Rencana kerja sama pariwisata",
                                        lead_opd="DISPARBUD")
    await agreements.sign("2021-06-01", "2023-05-31", plan_year=2021, title=FORMULA_TITLE,
                          lead_opd="DISHUB")
    training = await agreements.sign(
        "2021-09-01", "2023-08-31", plan_year=2021, title=MARKUP_TITLE,
        lead_opd="DISNAKERTRANS",
        partner={"name": MARKUP_PARTNER, "category": "THIRD_PARTY", "country": "ID"})
    await agreements.follow_up(training, "2021-11-15")
    await agreements.post(f"/agreements/{galeri}/evaluate", {
        "on": "2021-12-15", "score": 4, "recommendation": "CONTINUE",
        "note": "Perluas ke 27 kabupaten/kota"})
    return unsigned


@pytest.fixture
async def served(agreements: AgreementsService, feed: FeedRelay, fresh_topology: str,
                 database_url_factory: DatabaseUrlFactory,
                 monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Served]:
    """The reporting service served over HTTP (the CLI reaches it) after the history."""
    unsigned = await seed(agreements)
    app = create_app(reporting_settings(await database_url_factory("reports"),
                                        fresh_topology), agreements.client)
    port, stop = free_port(), asyncio.Event()
    server = asyncio.create_task(serve(app, "127.0.0.1", port, stop=stop, log_level="warning"))
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=url, headers=auth_headers(), timeout=120,
                                     trust_env=False) as http:
            for _ in range(600):
                with contextlib.suppress(httpx.TransportError):
                    if (await http.get("/readyz")).status_code == 200:
                        break
                await asyncio.sleep(0.05)
            reporting: Reporting = app.state.reporting
            published = await feed.relay()
            await wait_applied(reporting, len(published))
            await reporting.refresher.refresh_once()
            monkeypatch.setenv("KERJASAMA_REPORTING_URL", url)
            yield Served(url, http, reporting, unsigned)
    finally:
        stop.set()
        await server


def pdf_pages(data: bytes) -> list[str]:
    """The text of every page, as pdfium extracts it."""
    document = pypdfium2.PdfDocument(data)
    try:
        return [page.get_textpage().get_text_range() for page in document]
    finally:
        document.close()


def workbook(data: bytes) -> Any:
    return openpyxl.load_workbook(io.BytesIO(data))


async def kpis(http: httpx.AsyncClient, year: int) -> dict[str, dict[str, Any]]:
    items = (await http.get("/kpis", params={"year": year})).json()
    return {i["indicator"]: i for i in items if i["scope"] == "province"}


async def test_the_pdf_states_the_figures_agreements_agencies_and_its_feed_position(
        served: Served) -> None:
    answer = await served.http.get("/reports/2021.pdf")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert "laporan-kerja-sama-2021.pdf" in answer.headers["content-disposition"]
    figures = await kpis(served.http, 2021)
    position = figures["realization"]["as_of_position"]
    assert answer.headers["kerjasama-as-of-position"] == str(position)
    pages = pdf_pages(answer.content)
    text = "\n".join(pages)
    assert "Laporan Pelaksanaan Kerja Sama Daerah" in pages[0] and "Tahun 2021" in pages[0]
    # realization 3 of 4 = 75.00 (target 80, achievement 93.75); effectiveness 2 of 3
    assert (figures["realization"]["value"], figures["effectiveness"]["value"]) == (75, 66.67)
    for shown in ("75,00", "80,00", "93,75", "66,67", "60,00", "111,12"):
        assert shown in pages[0], shown
    assert f"kerjasama kpi verify --year 2021 --as-of-position {position}" in pages[0]
    checkpoint = figures["realization"]["checkpoint"]
    assert (checkpoint["head"] if checkpoint else "belum ada") in pages[0]
    for title in ("Galeri UMKM Juara", "Rencana kerja sama pariwisata", FORMULA_TITLE):
        assert title in text, title
    for agency in ("DISKUK", "DISHUB", "DISNAKERTRANS", "DISPARBUD"):
        assert agency in text, agency
    assert "Perluas ke 27 kabupaten/kota" in text and "Dilanjutkan" in text
    assert "Belum ditandatangani" in text  # the unsigned one, excluded, with its reason
    assert f"Halaman 1 dari {len(pages)}" in pages[0]
    assert f"Halaman {len(pages)} dari {len(pages)}" in pages[-1]


async def test_titles_and_partners_with_markup_print_as_written(served: Served) -> None:
    text = "\n".join(pdf_pages((await served.http.get("/reports/2021.pdf")).content))
    assert "Pelatihan <b>& Magang bagi lulusan" in text
    assert MARKUP_PARTNER in text


async def test_the_workbook_has_the_figures_of_kpis_as_numbers_and_dates_as_dates(
        served: Served) -> None:
    answer = await served.http.get("/reports/2021.xlsx")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    book = workbook(answer.content)
    assert book.sheetnames == ["Ringkasan", "Indikator", "Ditandatangani", "Tindak lanjut",
                               "Dokumen tidur", "Evaluasi", "Bukti realisasi",
                               "Bukti efektivitas", "Pemetaan dan nilai", "Prioritas",
                               "Mitra"]
    for sheet in book:
        assert sheet.freeze_panes == "A2", sheet.title
        assert all(cell.font.b for cell in sheet[1]), sheet.title
    figures = await kpis(served.http, 2021)
    rows = list(book["Indikator"].iter_rows(min_row=2, values_only=True))
    for row, indicator in zip(rows, ("realization", "effectiveness"), strict=True):
        want = figures[indicator]
        assert row[1:] == (want["numerator"], want["denominator"], want["value"],
                           want["target"], want["achievement"]), indicator
    summary = {row[0]: row[1] for row in book["Ringkasan"].iter_rows(min_row=2,
                                                                    values_only=True)}
    assert summary["Posisi umpan peristiwa"] == figures["realization"]["as_of_position"]
    checkpoint = figures["realization"]["checkpoint"]
    assert summary["Hash titik periksa"] == (checkpoint["head"] if checkpoint else "belum ada")
    assert list(book["Mitra"].iter_rows(min_row=2, values_only=True)) == [
        ("blibli.com", "Pihak ketiga", "ID", 2, 2, 0, 0),
        (MARKUP_PARTNER, "Pihak ketiga", "ID", 1, 1, 0, 0)]
    signed = list(book["Ditandatangani"].iter_rows(min_row=2, values_only=True))
    assert [r[1] for r in signed] == ["Galeri UMKM Juara", FORMULA_TITLE, MARKUP_TITLE]
    assert signed[0][6] == datetime(2021, 3, 1) and signed[2][2] == MARKUP_PARTNER
    follow_up = {r[0]: r[1:] for r in book["Tindak lanjut"].iter_rows(min_row=2,
                                                                      values_only=True)}
    assert follow_up["DISHUB"] == (1, 0, 1, 0, 1)  # in force, not followed up, asleep
    evaluation = next(book["Evaluasi"].iter_rows(min_row=2, values_only=True))
    assert evaluation == (datetime(2021, 12, 15), "Galeri UMKM Juara", "DISKUK", 4,
                          "Dilanjutkan", "Perluas ke 27 kabupaten/kota")
    evidence = list(book["Bukti realisasi"].iter_rows(min_row=2, values_only=True))
    assert sorted(r[0] for r in evidence) == ["Dihitung"] * 3 + ["Tidak dihitung"]


async def test_a_title_beginning_with_equals_stays_text_in_the_workbook(
        served: Served) -> None:
    content = (await served.http.get("/reports/2021.xlsx")).content
    book = workbook(content)
    cell = next(c for row in book["Ditandatangani"].iter_rows(min_row=2) for c in row
                if c.value == FORMULA_TITLE)
    assert cell.data_type == "s" and cell.quotePrefix
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        assert sheets and not any(b"<f>" in archive.read(n) for n in sheets)


async def test_the_english_report_has_english_headings(served: Served) -> None:
    answer = await served.http.get("/reports/2021.pdf", params={"lang": "en"})
    assert "cooperation-report-2021.pdf" in answer.headers["content-disposition"]
    pages = pdf_pages(answer.content)
    text = "\n".join(pages)
    assert "Report on the Implementation of Regional Cooperation" in pages[0]
    assert "1. Performance indicators" in pages[0] and "75.00" in pages[0]
    assert f"Page 1 of {len(pages)}" in pages[0]
    for heading in ("Agreements signed in 2021", "Follow-up per lead agency",
                    "Sleeping documents", "Evaluations in 2021", "Evidence: realization",
                    "Not signed"):
        assert heading in text, heading
    assert "Laporan" not in text
    book = workbook((await served.http.get("/reports/2021.xlsx",
                                           params={"lang": "en"})).content)
    assert book.sheetnames[:3] == ["Summary", "Indicators", "Signed"]
    assert book["Indicators"]["A1"].value == "Indicator"


async def test_a_year_with_nothing_recorded_gives_a_valid_report_saying_so(
        served: Served) -> None:
    pages = pdf_pages((await served.http.get("/reports/2019.pdf")).content)
    assert "Tidak ada kerja sama yang tercatat untuk tahun 2019." in pages[0]
    assert "Belum ada program kerja (target) untuk tahun 2019." in pages[0]
    assert "Tidak ada." in "\n".join(pages)
    book = workbook((await served.http.get("/reports/2019.xlsx")).content)
    notes = [r[1] for r in book["Ringkasan"].iter_rows(values_only=True) if r[0] == "Catatan"]
    assert "Tidak ada kerja sama yang tercatat untuk tahun 2019." in notes
    rows = list(book["Indikator"].iter_rows(min_row=2, values_only=True))
    assert [r[1:] for r in rows] == [(0, 0, None, None, None)] * 2
    assert book["Ditandatangani"].max_row == 1


async def test_a_projection_older_than_the_report_answers_409_until_rebuilt_then_the_same(
        served: Served) -> None:
    before = [(await served.http.get(f"/reports/2021.{form}")).content
              for form in ("pdf", "xlsx")]
    async with generations.enter(served.reporting.pool, "write") as conn:
        # as a generation made before partners and evaluations were kept
        await conn.execute("UPDATE report_details_coverage SET after = 3")
    refused = await served.http.get("/reports/2021.pdf")
    assert refused.status_code == 409
    assert refused.json()["type"] == "urn:kerjasama:problem:history-incomplete"
    assert served.reporting.agreements is not None
    await Rebuilder(served.reporting.pool, served.reporting.agreements, Projection(),
                    today=lambda: TODAY).run()
    after = [(await served.http.get(f"/reports/2021.{form}")).content
             for form in ("pdf", "xlsx")]
    assert after == before


@pytest.mark.parametrize("path", ["/reports/1979.pdf", "/reports/2100.xlsx",
                                  "/reports/tahun.pdf", "/reports/2021.pdf?lang=fr"])
async def test_a_year_out_of_range_or_an_unknown_language_is_a_422_problem(
        served: Served, path: str) -> None:
    answer = await served.http.get(path)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"


async def test_the_cli_writes_the_file_the_route_serves(
        served: Served, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for form, lang in (("pdf", "id"), ("xlsx", "en")):
        target = tmp_path / f"report.{form}"
        status = await asyncio.to_thread(main, ["report", "--year", "2021", "--format", form,
                                                "--lang", lang, "--output", str(target)])
        out = capsys.readouterr().out
        assert status == 0, out
        served_file = (await served.http.get(f"/reports/2021.{form}",
                                             params={"lang": lang})).content
        assert target.read_bytes() == served_file
        position = (await kpis(served.http, 2021))["realization"]["as_of_position"]
        assert f"--as-of-position {position}" in out
    status = await asyncio.to_thread(main, ["report", "--year", "1979"])
    assert status == 1 and "422" in capsys.readouterr().err


async def test_a_report_of_a_record_not_caught_up_answers_as_kpis_as_of_does(
        agreements: AgreementsService, feed: FeedRelay, fresh_topology: str,
        database_url_factory: DatabaseUrlFactory) -> None:
    unsigned = await seed(agreements)
    events = await feed.new_events()
    held = next(e for e in events if isinstance(e.data, AgreementProposed)
                and str(e.data.agreement_id) == unsigned)  # its stream's only event
    await feed.publish([e for e in events if e is not held])
    app = create_app(reporting_settings(await database_url_factory("reports_behind"),
                                        fresh_topology), agreements.client)
    async with app.router.lifespan_context(app):
        await wait_applied(app.state.reporting, len(events) - 1)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://reporting",
                                     headers=auth_headers()) as http:
            report = await http.get("/reports/2021.pdf")
            as_of = await http.get("/kpis", params={
                "year": 2021, "as_of_position": events[-1].envelope.position})
    assert report.status_code == as_of.status_code == 409
    assert report.json()["type"] == as_of.json()["type"] == \
        "urn:kerjasama:problem:not-applied-yet"
    assert report.json()["applied_position"] == (held.envelope.position or 0) - 1


async def test_the_2021_demo_report_states_the_published_figures_on_its_first_page(
        business_day: object, database_url_factory: DatabaseUrlFactory, fresh_topology: str,
        tmp_path: Path) -> None:
    url = await migrated_as_runtime(await database_url_factory("agreements"))
    agreements_app = create_agreements_app(load_settings(
        AgreementsSettings, agreements_database_url=url, messaging=False,
        documents_store=str(tmp_path / "documents")))
    async with agreements_app.router.lifespan_context(agreements_app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=agreements_app), base_url="http://agreements",
            headers=auth_headers()) as agreements_http:
        async with ServiceClient("agreements", "http://agreements", "demo",
                                 transport=agreements_http._transport) as client:
            summary = await load(load_data(), client)
        agreements = AgreementsService(agreements_http)
        assert summary.new_commands
        connection = await asyncpg.connect(url)
        try:  # every event stored (a proposal may register its partner besides)
            agreements.versions["demo"] = await connection.fetchval(
                "SELECT count(*) FROM events")
        finally:
            await connection.close()
        app = create_app(reporting_settings(await database_url_factory("reports_demo"),
                                            fresh_topology), agreements.client)
        async with app.router.lifespan_context(app), httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://reporting",
                headers=auth_headers()) as http:
            published = await FeedRelay(agreements, fresh_topology).relay()
            connection = await asyncpg.connect(url)
            try:  # the ledger's head signed, as the relay's checkpointer would, once the
                # feed's safe prefix holds every event (a transaction of another database
                # of the cluster holds it back meanwhile)
                assert await make_checkpoint(connection, CheckpointSigner.generate())
            finally:
                await connection.close()
            await wait_applied(app.state.reporting, len(published), seconds=60)
            await checkpoints.follow(app.state.reporting.pool, agreements.client)  # now
            figures = await kpis(http, 2021)
            pdf = (await http.get("/reports/2021.pdf")).content
    first = pdf_pages(pdf)[0]
    for indicator in ("realization", "effectiveness"):
        for field in ("value", "target", "achievement"):
            shown = f"{figures[indicator][field]:.2f}".replace(".", ",")
            assert shown in first, (indicator, field, shown)
    position = figures["realization"]["as_of_position"]
    assert f"--as-of-position {position}" in first
    assert figures["realization"]["checkpoint"]["position"] == position
    assert figures["realization"]["checkpoint"]["head"] in first
    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[0].render(scale=1.6).to_pil()
    finally:
        document.close()
    (tmp_path / "report-2021.pdf").write_bytes(pdf)
    image.save(tmp_path / "report-2021-page1.png")
    if keep := os.environ.get(SCREENSHOTS):
        image.save(Path(keep) / "report-2021-page1.png", optimize=True)
