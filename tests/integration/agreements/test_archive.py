"""The archive on the real PostgreSQL, with its bytes in a directory (DESIGN §11): round
trip with the hash, every refusal, takedown, verification on read, the download log."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.agreements.adapters.blobs import DirectoryBlobStore
from tests import documents
from tests.auth import auth_headers
from tests.integration.agreements.archive_support import archive_client, signed_agreement, upload
from tests.integration.agreements.conftest import SIGN_BODY, to_ready_to_sign

DISKUK = auth_headers("opd:DISKUK", subject="staff-diskuk")
DISKOMINFO = auth_headers("opd:DISKOMINFO", subject="staff-diskominfo")
DISHUB = auth_headers("opd:DISHUB", subject="staff-dishub")


def blobs_in(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and ".staging" not in p.parts]


async def events_of(client: httpx.AsyncClient, aid: str, kind: str) -> list[dict[str, Any]]:
    answer = await client.get(f"/agreements/{aid}/events")
    return [e for e in answer.json() if e["type"] == f"kerjasama.agreement.{kind}.v1"]


async def test_a_document_goes_in_and_comes_back_with_its_hash(
        runtime_database_url: str, tmp_path: Path) -> None:
    content = documents.pdf("PKS Galeri UMKM")
    async with archive_client(runtime_database_url, documents_store=str(tmp_path)) as client:
        aid = await signed_agreement(client)
        sent = await upload(client, aid, content, filename="../../PKS Galeri UMKM.pdf",
                            public="true")
        assert sent.status_code == 201, sent.text
        body = sent.json()
        assert body["sha256"] == hashlib.sha256(content).hexdigest()
        assert (body["size"], body["media_type"], body["kind"]) == (
            len(content), "application/pdf", "SIGNED")
        assert body["filename"] == "PKS Galeri UMKM.pdf"
        assert sent.headers["location"] == f"/documents/{body['document_id']}"

        got = await client.get(f"/documents/{body['document_id']}")
        assert got.status_code == 200
        assert got.content == content
        assert got.headers["etag"] == f'"{body["sha256"]}"'
        assert got.headers["content-type"] == "application/pdf"
        assert "PKS%20Galeri%20UMKM.pdf" in got.headers["content-disposition"]
        again = await client.get(f"/documents/{body['document_id']}",
                                 headers={"If-None-Match": got.headers["etag"]})
        assert again.status_code == 304

        [event] = await events_of(client, aid, "document_attached")
        assert event["data"]["sha256"] == body["sha256"]
        assert set(event["data"]) >= {"document_id", "kind", "size", "media_type", "public"}
        assert not any(len(str(v)) > 200 for v in event["data"].values())  # never the bytes
        listed = (await client.get(f"/agreements/{aid}/documents")).json()
        assert [d["document_id"] for d in listed] == [body["document_id"]]
        assert listed[0]["published"] is True
        log = (await client.get(f"/documents/{body['document_id']}/downloads")).json()
        assert [(d["actor"], d["outcome"]) for d in log] == [("tester", "served")]
    assert [p.name for p in blobs_in(tmp_path)] == [body["sha256"]]


@pytest.mark.parametrize(("make", "media_type"), [
    (documents.png, "image/png"), (documents.docx, "application/vnd.openxmlformats-"
                                   "officedocument.wordprocessingml.document"),
    (documents.odt, "application/vnd.oasis.opendocument.text"),
    (lambda: b"\xff\xd8\xff\xe0" + bytes(100), "image/jpeg")])
async def test_office_and_image_types_are_told_by_content(
        runtime_database_url: str, tmp_path: Path, make: Any, media_type: str) -> None:
    async with archive_client(runtime_database_url, documents_store=str(tmp_path)) as client:
        aid = await signed_agreement(client)
        sent = await upload(client, aid, make(), kind="OTHER", filename="lampiran.bin")
        assert sent.status_code == 201, sent.text
        assert sent.json()["media_type"] == media_type
        assert sent.json()["filename"].startswith("lampiran")


@pytest.mark.parametrize("content", [b"just text, named .pdf\n", documents.renamed_zip(),
                                     b"MZ\x90\x00 an executable"])
async def test_a_file_that_is_no_document_is_refused_by_its_content(
        runtime_database_url: str, tmp_path: Path, content: bytes) -> None:
    async with archive_client(runtime_database_url, documents_store=str(tmp_path)) as client:
        aid = await signed_agreement(client)
        sent = await upload(client, aid, content, filename="naskah.pdf")
        assert sent.status_code == 415, sent.text
        assert sent.headers["content-type"] == "application/problem+json"
        assert await events_of(client, aid, "document_attached") == []
    assert blobs_in(tmp_path) == []
    assert list((tmp_path / ".staging").iterdir()) == []


async def test_a_document_above_the_limit_is_refused_and_nothing_is_kept(
        runtime_database_url: str, tmp_path: Path) -> None:
    async with archive_client(runtime_database_url, documents_store=str(tmp_path),
                              max_document_bytes=4096) as client:
        aid = await signed_agreement(client)
        small = await upload(client, aid, documents.pdf() + bytes(3000 - len(documents.pdf())))
        assert small.status_code == 201, small.text
        big = await upload(client, aid, documents.pdf() + bytes(5000), kind="STUDY_PRE")
        assert big.status_code == 413, big.text
        assert "4096" in big.json()["detail"]
        assert len(await events_of(client, aid, "document_attached")) == 1
    assert len(blobs_in(tmp_path)) == 1
    assert list((tmp_path / ".staging").iterdir()) == []


async def test_uploads_are_exempt_from_the_general_body_limit(
        runtime_database_url: str, tmp_path: Path) -> None:
    content = documents.pdf() + bytes(3 * 1024 * 1024)  # above the 1 MiB body limit
    async with archive_client(runtime_database_url, documents_store=str(tmp_path)) as client:
        aid = await signed_agreement(client)
        sent = await upload(client, aid, content, kind="STUDY_PRE")
        assert sent.status_code == 201, sent.text
        assert (await client.get(f"/documents/{sent.json()['document_id']}")).content == content
        too_big_json = await client.post(f"/agreements/{aid}/evaluate",
                                         content=b"{" + bytes(2 * 1024 * 1024) + b"}",
                                         headers={"content-type": "application/json"})
        assert too_big_json.status_code == 413


async def test_the_signed_text_is_never_replaced_only_superseded(
        runtime_database_url: str, tmp_path: Path) -> None:
    async with archive_client(runtime_database_url, documents_store=str(tmp_path)) as client:
        aid = await signed_agreement(client)
        first = await upload(client, aid, documents.pdf("versi 1"))
        assert first.status_code == 201, first.text
        second = await upload(client, aid, documents.pdf("versi 2"))
        assert second.status_code == 409, second.text
        assert second.json()["type"] == "urn:kerjasama:problem:signed-text-exists"
        old = first.json()["document_id"]
        wrong_kind = await upload(client, aid, documents.pdf("v2"), kind="DRAFT",
                                  supersedes=old)
        assert wrong_kind.status_code == 422, wrong_kind.text
        newer = await upload(client, aid, documents.pdf("versi 2"), supersedes=old)
        assert newer.status_code == 201, newer.text
        twice = await upload(client, aid, documents.pdf("versi 3"), supersedes=old)
        assert twice.status_code == 409
        unknown = await upload(client, aid, documents.pdf("v3"),
                               supersedes="0b6f3c1e-8a47-4c55-9b2f-1d2e3f4a5b6c")
        assert unknown.status_code == 404
        listed = {d["document_id"]: d for d in
                  (await client.get(f"/agreements/{aid}/documents")).json()}
        assert listed[old]["superseded_by"] == newer.json()["document_id"]
        assert listed[old]["current"] is False
        # the old version is kept and still served
        assert (await client.get(f"/documents/{old}")).content == documents.pdf("versi 1")


async def test_who_may_attach_and_read(runtime_database_url: str, tmp_path: Path) -> None:
    async with archive_client(runtime_database_url, documents_store=str(tmp_path)) as client:
        aid = await signed_agreement(client)
        by_supporter = await upload(client, aid, documents.pdf(), kind="MINUTES",
                                    headers=DISKOMINFO)
        assert by_supporter.status_code == 403, by_supporter.text
        by_other = await upload(client, aid, documents.pdf(), kind="MINUTES", headers=DISHUB)
        assert by_other.status_code == 403
        by_lead = await upload(client, aid, documents.pdf("notulen"), kind="MINUTES",
                               headers=DISKUK)
        assert by_lead.status_code == 201, by_lead.text
        public = await upload(client, aid, documents.pdf("publik"), kind="STUDY_PRE",
                              public="true", headers=DISKUK)
        minutes, study = by_lead.json()["document_id"], public.json()["document_id"]
        assert (await client.get(f"/documents/{minutes}", headers=DISKOMINFO)).status_code == 200
        assert (await client.get(f"/documents/{minutes}", headers=DISHUB)).status_code == 403
        listed = await client.get(f"/agreements/{aid}/documents", headers=DISHUB)
        assert listed.status_code == 200 and len(listed.json()) == 2  # what, not the bytes
        assert (await client.get(f"/documents/{study}", headers=DISHUB)).status_code == 200
        sekda = auth_headers("sekda", subject="sekda")
        assert (await client.get(f"/documents/{minutes}", headers=sekda)).status_code == 200
        log = (await client.get(f"/documents/{minutes}/downloads")).json()
        assert {d["actor"] for d in log} == {"staff-diskominfo", "sekda"}


async def test_a_public_document_is_taken_down_and_kept(
        runtime_database_url: str, tmp_path: Path) -> None:
    async with archive_client(runtime_database_url, documents_store=str(tmp_path)) as client:
        aid = await signed_agreement(client)
        sent = await upload(client, aid, documents.pdf(), kind="STUDY_POST", public="true",
                            headers=DISKUK)
        doc = sent.json()["document_id"]
        assert (await client.get(f"/documents/{doc}", headers=DISHUB)).status_code == 200
        by_other = await client.post(f"/documents/{doc}/unpublish", headers=DISHUB)
        assert by_other.status_code == 403
        down = await client.post(f"/documents/{doc}/unpublish",
                                 json={"reason": "Diunggah keliru"}, headers=DISKUK)
        assert down.status_code == 200, down.text
        [event] = await events_of(client, aid, "document_unpublished")
        assert event["data"]["reason"] == "Diunggah keliru"
        assert (await client.post(f"/documents/{doc}/unpublish")).status_code == 409
        assert (await client.get(f"/documents/{doc}", headers=DISHUB)).status_code == 403
        kept = await client.get(f"/documents/{doc}", headers=DISKUK)
        assert kept.status_code == 200 and kept.content == documents.pdf()
        listed = (await client.get(f"/agreements/{aid}/documents")).json()
        assert (listed[0]["public"], listed[0]["published"]) == (True, False)
        never_public = await upload(client, aid, documents.pdf("x"), kind="OTHER")
        refused = await client.post(f"/documents/{never_public.json()['document_id']}/unpublish")
        assert refused.status_code == 409


async def test_bytes_that_changed_in_the_store_are_never_served(
        runtime_database_url: str, tmp_path: Path) -> None:
    async with archive_client(runtime_database_url, documents_store=str(tmp_path)) as client:
        aid = await signed_agreement(client)
        sent = await upload(client, aid, documents.pdf("asli"))
        body = sent.json()
        path = DirectoryBlobStore(tmp_path).path_of(body["sha256"])
        path.chmod(0o600)
        path.write_bytes(documents.pdf("palsu"))
        got = await client.get(f"/documents/{body['document_id']}")
        assert got.status_code == 500
        assert got.json()["type"] == "urn:kerjasama:problem:document-integrity-failure"
        metrics = (await client.get("/metrics")).text
        assert "kerjasama_document_integrity_failures_total" in metrics
        path.unlink()
        missing = await client.get(f"/documents/{body['document_id']}")
        assert missing.status_code == 500
        log = (await client.get(f"/documents/{body['document_id']}/downloads")).json()
        assert [d["outcome"] for d in log] == ["missing", "integrity-failure"]


async def test_malformed_uploads_say_what_is_wrong(
        runtime_database_url: str, tmp_path: Path) -> None:
    async with archive_client(runtime_database_url, documents_store=str(tmp_path)) as client:
        aid = await signed_agreement(client)
        url = f"/agreements/{aid}/documents"
        as_json = await client.post(url, json={"kind": "SIGNED"})
        assert as_json.status_code == 422 and "multipart/form-data" in as_json.json()["detail"]
        no_kind = await client.post(url, files={"file": ("a.pdf", documents.pdf())})
        assert no_kind.status_code == 422 and "'kind'" in no_kind.json()["detail"]
        bad_kind = await upload(client, aid, documents.pdf(), kind="NASKAH")
        assert bad_kind.status_code == 422 and "NASKAH" in bad_kind.json()["detail"]
        extra = await upload(client, aid, documents.pdf(), owner="me")
        assert extra.status_code == 422 and "'owner'" in extra.json()["detail"]
        no_file = await client.post(url, data={"kind": "SIGNED"},
                                    files={"other": ("x", b"y")})
        assert no_file.status_code == 422
        bad_public = await upload(client, aid, documents.pdf(), public="maybe")
        assert bad_public.status_code == 422
        unknown = await upload(client, "0b6f3c1e-8a47-4c55-9b2f-1d2e3f4a5b6c", documents.pdf())
        assert unknown.status_code == 404
        assert (await client.get("/documents/not-a-uuid")).status_code == 404
        assert await events_of(client, aid, "document_attached") == []
    assert blobs_in(tmp_path) == []
    assert list((tmp_path / ".staging").iterdir()) == []


async def test_a_retried_upload_answers_the_same_document(
        runtime_database_url: str, tmp_path: Path) -> None:
    async with archive_client(runtime_database_url, documents_store=str(tmp_path)) as client:
        aid = await signed_agreement(client)
        key = {"Idempotency-Key": "upload-pks-1"}
        first = await upload(client, aid, documents.pdf(), headers=key)
        retry = await upload(client, aid, documents.pdf(), headers=key)
        assert (first.status_code, retry.status_code) == (201, 201), retry.text
        assert retry.json()["document_id"] == first.json()["document_id"]
        assert retry.headers["idempotent-replayed"] == "true"
        assert len(await events_of(client, aid, "document_attached")) == 1
        other = await upload(client, aid, documents.pdf("lain"), headers=key)
        assert other.status_code == 422  # the key came back with another file


async def test_signing_can_require_the_signed_text(
        runtime_database_url: str, tmp_path: Path) -> None:
    async with archive_client(runtime_database_url, documents_store=str(tmp_path),
                              require_signed_text=True) as client:
        aid = await to_ready_to_sign(client)
        refused = await client.post(f"/agreements/{aid}/sign", json=SIGN_BODY)
        assert refused.status_code == 422
        assert refused.json()["type"] == "urn:kerjasama:problem:signed-text-missing"
        draft = await upload(client, aid, documents.pdf("draf"), kind="DRAFT")
        assert draft.status_code == 201
        assert (await client.post(f"/agreements/{aid}/sign", json=SIGN_BODY)).status_code == 422
        assert (await upload(client, aid, documents.pdf("naskah"))).status_code == 201
        signed = await client.post(f"/agreements/{aid}/sign", json=SIGN_BODY)
        assert signed.status_code == 200, signed.text


async def test_a_caller_who_may_not_attach_is_refused_before_the_body_is_read(
        runtime_database_url: str, tmp_path: Path) -> None:
    async with archive_client(runtime_database_url, documents_store=str(tmp_path),
                              max_document_bytes=4096) as client:
        aid = await signed_agreement(client)
        big = documents.pdf() + bytes(20_000)  # over the limit: only read by a reader
        assert (await upload(client, aid, big, headers=DISHUB)).status_code == 403
        unknown = await upload(client, "0b6f3c1e-8a47-4c55-9b2f-1d2e3f4a5b6c", big)
        assert unknown.status_code == 404
        assert (await upload(client, aid, big)).status_code == 413


async def test_an_upload_cut_short_is_refused_and_nothing_is_kept(
        runtime_database_url: str, tmp_path: Path) -> None:
    content = documents.pdf() + bytes(50_000)
    form = httpx.Request("POST", "http://x", files={"file": ("naskah.pdf", content)},
                         data={"kind": "SIGNED"})
    body = form.read()
    async with archive_client(runtime_database_url, documents_store=str(tmp_path)) as client:
        aid = await signed_agreement(client)
        for cut in (20, 300):
            answer = await client.post(f"/agreements/{aid}/documents", content=body[:-cut],
                                       headers={"content-type": form.headers["content-type"]})
            assert answer.status_code == 422, answer.text
            assert "cut short" in answer.json()["detail"]
        whole = await client.post(f"/agreements/{aid}/documents", content=body,
                                  headers={"content-type": form.headers["content-type"]})
        assert whole.status_code == 201 and whole.json()["size"] == len(content)
        assert len(await events_of(client, aid, "document_attached")) == 1
    assert len(blobs_in(tmp_path)) == 1


async def test_attaching_the_same_file_again_repairs_damaged_bytes(
        runtime_database_url: str, tmp_path: Path) -> None:
    content = documents.pdf("asli")
    async with archive_client(runtime_database_url, documents_store=str(tmp_path)) as client:
        aid = await signed_agreement(client)
        first = (await upload(client, aid, content)).json()
        path = DirectoryBlobStore(tmp_path).path_of(first["sha256"])
        path.chmod(0o600)
        path.write_bytes(documents.pdf("rusak"))
        assert (await client.get(f"/documents/{first['document_id']}")).status_code == 500
        again = await upload(client, aid, content, kind="OTHER")
        assert again.status_code == 201 and again.json()["sha256"] == first["sha256"]
        for document_id in (first["document_id"], again.json()["document_id"]):
            got = await client.get(f"/documents/{document_id}")
            assert got.status_code == 200 and got.content == content
    assert not [p for p in path.parent.iterdir() if p.name != path.name]  # no temporary left
