"""The register's documents on the portal, over the real agreements service (its archive
in a directory) and broker: only public, current documents not taken down are listed and
served; bytes come from the portal's cache by SHA-256, fetched once with the portal's own
token, and only when they hash right."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import httpx
from fastapi import FastAPI

from tests import documents
from tests.integration.portal.conftest import ArchiveAgreements, relayed
from tests.integration.reporting.support import FeedRelay

Portal = tuple[FastAPI, httpx.AsyncClient]
NAME = "MoU Jawa Barat \u5e7f\u4e1c\u7701 2021.pdf"
"""A file name beyond ASCII (a partner's name in Chinese)."""


async def agreement_page(client: httpx.AsyncClient, aid: str, *, shows: str = "",
                         hides: str = "", lang: str = "id", seconds: float = 20) -> str:
    """The agreement's page once it shows ``shows`` and not ``hides``."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        answer = await client.get(f"/register/{aid}", params={"lang": lang})
        if answer.status_code == 200 and shows in answer.text and not (
                hides and hides in answer.text):
            return answer.text
        assert asyncio.get_running_loop().time() < deadline, answer.text[-2000:]
        await asyncio.sleep(0.1)


def route(aid: str, document: dict[str, str] | str) -> str:
    document_id = document if isinstance(document, str) else document["document_id"]
    return f"/register/{aid}/documents/{document_id}"


def cached(tmp_path: Path) -> dict[str, bytes]:
    """The files of the portal's document cache by name."""
    root = tmp_path / "portal-cache"
    return {p.name: p.read_bytes() for p in root.iterdir()} if root.exists() else {}


async def assert_not_found(client: httpx.AsyncClient, path: str, **headers: str) -> None:
    answer = await client.get(path, headers=headers)
    assert answer.status_code == 404, (path, answer.status_code)
    assert "Tidak ditemukan" in answer.text and "immutable" not in answer.headers.get(
        "cache-control", "")


async def test_a_public_document_is_listed_in_both_languages_and_downloads_with_its_hash(
        portal: Portal, agreements: ArchiveAgreements, feed: FeedRelay,
        tmp_path: Path) -> None:
    app, client = portal
    aid = await agreements.sign("2021-06-08", "2024-06-07", title="Galeri UMKM Juara")
    content = documents.pdf("PKS Galeri UMKM")
    signed = await agreements.attach(aid, content, filename=NAME)
    hidden = await agreements.attach(aid, documents.pdf("Draf"), kind="DRAFT", public=False,
                                     filename="draf-rahasia.pdf")
    photo = await agreements.attach(aid, documents.png(), kind="OTHER", filename="foto.png")
    other = await agreements.sign("2020-02-10", "2022-02-09", title="Kargo udara")
    proposal = await agreements.propose(title="Usulan dengan lampiran")
    unsigned = await agreements.attach(proposal, documents.pdf("Usulan"), kind="DRAFT",
                                       filename="usulan.pdf")
    await relayed(app, feed)

    sha = hashlib.sha256(content).hexdigest()
    assert sha == signed["sha256"]
    page = await agreement_page(client, aid, shows="foto.png")
    for shown in ("Naskah yang ditandatangani", NAME, sha,
                  f'href="{route(aid, signed)}"', f"{len(content)} bita", "application/pdf",
                  "Dokumen lain", "image/png", "PNG", "sha256sum"):
        assert shown in page, shown
    assert "draf-rahasia.pdf" not in page and hidden["sha256"] not in page
    english = await agreement_page(client, aid, lang="en")
    for shown in ("Documents", "Signed text", "Other document", f"{len(content)} bytes"):
        assert shown in english, shown
    empty = await agreement_page(client, other)
    assert "Belum ada dokumen yang dibuka untuk umum." in empty

    got = await client.get(route(aid, signed))
    assert got.status_code == 200 and got.content == content
    assert hashlib.sha256(got.content).hexdigest() == sha
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["etag"] == f'"{sha}"'
    assert got.headers["content-length"] == str(len(content))
    assert got.headers["x-content-type-options"] == "nosniff"
    assert {"public", "no-cache"} == {  # kept, but asked again: a takedown reaches caches
        p.strip() for p in got.headers["cache-control"].split(",")}
    assert got.headers["content-disposition"] == (
        "inline; filename=\"MoU Jawa Barat ___ 2021.pdf\"; "
        "filename*=UTF-8''MoU%20Jawa%20Barat%20%E5%B9%BF%E4%B8%9C%E7%9C%81%202021.pdf")
    not_modified = await client.get(route(aid, signed), headers={"If-None-Match": f'"{sha}"'})
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert agreements.upstream.downloads == 1
    assert cached(tmp_path) == {sha: content}

    agreements.upstream.down = True  # a second download comes from the cache alone
    again = await client.get(route(aid, signed))
    assert again.status_code == 200 and again.content == content
    assert agreements.upstream.downloads == 1
    agreements.upstream.down = False
    picture = await client.get(route(aid, photo))
    assert picture.content == documents.png() and picture.headers["content-type"] == "image/png"

    for path in (route(aid, hidden), route(other, signed), route(proposal, unsigned),
                 route(aid, "0b6f3c1e-8a47-4c55-9b2f-1d2e3f4a5b6c"), route(aid, "x"),
                 route("not-a-uuid", signed)):
        await assert_not_found(client, path)
    assert agreements.upstream.downloads == 2  # the refused ones never reached the archive

    listing = (await client.get("/open-data/agreements.json")).json()
    by_id = {a["id"]: a for a in listing["agreements"]}
    assert [(d["filename"], d["sha256"], d["size"], d["media_type"], d["kind"])
            for d in by_id[aid]["documents"]] == [
        (NAME, sha, len(content), "application/pdf", "SIGNED"),
        ("foto.png", photo["sha256"], len(documents.png()), "image/png", "OTHER")]
    assert by_id[aid]["documents"][0]["url"] == f"http://portal{route(aid, signed)}"
    assert by_id[other]["documents"] == []


async def test_a_document_taken_down_is_404_and_leaves_the_cache_unless_listed_elsewhere(
        portal: Portal, agreements: ArchiveAgreements, feed: FeedRelay,
        tmp_path: Path) -> None:
    app, client = portal
    first = await agreements.sign("2021-06-08", "2024-06-07", title="Galeri UMKM Juara")
    second = await agreements.sign("2021-07-01", "2024-06-30", title="Kargo udara")
    shared = documents.pdf("Lampiran bersama")
    listed_twice = await agreements.attach(first, shared, kind="OTHER", filename="lampiran.pdf")
    kept = await agreements.attach(second, shared, kind="OTHER", filename="lampiran-b.pdf")
    alone = await agreements.attach(first, documents.pdf("Notulen"), kind="MINUTES",
                                    filename="notulen.pdf")
    await relayed(app, feed)
    await agreement_page(client, first, shows="notulen.pdf")
    await agreement_page(client, second, shows="lampiran-b.pdf")
    for path in (route(first, listed_twice), route(second, kept), route(first, alone)):
        assert (await client.get(path)).status_code == 200
    assert set(cached(tmp_path)) == {listed_twice["sha256"], alone["sha256"]}

    await agreements.unpublish(listed_twice["document_id"])
    await agreements.unpublish(alone["document_id"])
    await relayed(app, feed)
    page = await agreement_page(client, first, hides="notulen.pdf")
    assert "lampiran.pdf" not in page and "Belum ada dokumen" in page
    await assert_not_found(client, route(first, alone))
    await assert_not_found(client, route(first, listed_twice),
                           **{"If-None-Match": f'"{listed_twice["sha256"]}"'})
    assert (await client.get(route(second, kept))).content == shared

    await app.state.documents.sweep()  # what no document on the register names is deleted
    assert cached(tmp_path) == {kept["sha256"]: shared}


async def test_a_new_version_takes_the_place_of_the_old_one_even_when_it_is_not_public(
        portal: Portal, agreements: ArchiveAgreements, feed: FeedRelay) -> None:
    app, client = portal
    aid = await agreements.sign("2021-06-08", "2024-06-07")
    first = await agreements.attach(aid, documents.pdf("Naskah 1"), filename="naskah-v1.pdf")
    study = await agreements.attach(aid, documents.pdf("Kajian 1"), kind="STUDY_PRE",
                                    filename="kajian.pdf")
    await relayed(app, feed)
    await agreement_page(client, aid, shows="kajian.pdf")
    assert (await client.get(route(aid, first))).status_code == 200

    newer = await agreements.attach(aid, documents.pdf("Naskah 2"), filename="naskah-v2.pdf",
                                    supersedes=first["document_id"])
    await agreements.attach(aid, documents.pdf("Kajian 2"), kind="STUDY_PRE", public=False,
                            filename="kajian-revisi.pdf", supersedes=study["document_id"])
    await relayed(app, feed)
    page = await agreement_page(client, aid, shows="naskah-v2.pdf", hides="kajian.pdf")
    assert "naskah-v1.pdf" not in page and "kajian-revisi.pdf" not in page
    await assert_not_found(client, route(aid, first))
    await assert_not_found(client, route(aid, study))
    got = await client.get(route(aid, newer))
    assert got.status_code == 200 and got.headers["etag"] == f'"{newer["sha256"]}"'
    listing = (await client.get("/open-data/agreements.json")).json()
    [record] = listing["agreements"]
    assert [d["filename"] for d in record["documents"]] == ["naskah-v2.pdf"]


async def test_bytes_that_do_not_hash_right_are_refused_and_an_unreachable_archive_is_a_503(
        portal: Portal, agreements: ArchiveAgreements, feed: FeedRelay,
        tmp_path: Path) -> None:
    app, client = portal
    aid = await agreements.sign("2021-06-08", "2024-06-07")
    content = documents.pdf("PKS Galeri UMKM")
    signed = await agreements.attach(aid, content, filename="naskah.pdf")
    await relayed(app, feed)
    await agreement_page(client, aid, shows="naskah.pdf")

    agreements.upstream.tampered = True
    refused = await client.get(route(aid, signed), params={"lang": "en"})
    assert refused.status_code == 502 and "Document withheld" in refused.text
    assert content not in refused.content and cached(tmp_path) == {}  # nothing kept

    agreements.upstream.tampered, agreements.upstream.down = False, True
    unavailable = await client.get(route(aid, signed))
    assert unavailable.status_code == 503 and unavailable.headers["retry-after"] == "30"
    assert unavailable.headers["cache-control"] == "no-store"
    assert "Dokumen belum dapat diunduh" in unavailable.text

    agreements.upstream.down = False
    got = await client.get(route(aid, signed))
    assert got.status_code == 200 and got.content == content
    assert agreements.upstream.downloads == 3
    assert cached(tmp_path) == {signed["sha256"]: content}
