"""The operator CLI against a served agreements service and the real broker."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
from collections.abc import AsyncIterator
from pathlib import Path

import aio_pika
import httpx
import pytest

from plumbing.amqp import connect
from plumbing.http import serve
from plumbing.settings import load_settings
from services.agreements.app import create_app
from services.agreements.settings import AgreementsSettings
from services.cli import main
from tests.auth import auth_headers
from tests.conftest import MANAGEMENT_URL
from tests.private_rabbitmq import free_port


@pytest.fixture
async def served(database_url: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[str]:
    port = free_port()
    app = create_app(load_settings(AgreementsSettings, agreements_database_url=database_url,
                                   messaging=False))
    stop = asyncio.Event()
    server = asyncio.create_task(serve(app, "127.0.0.1", port, stop=stop, log_level="warning"))
    url = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(headers=auth_headers(), ) as client:
        for _ in range(600):
            with contextlib.suppress(httpx.TransportError):
                if (await client.get(f"{url}/readyz")).status_code == 200:
                    break
            await asyncio.sleep(0.05)
    monkeypatch.setenv("KERJASAMA_AGREEMENTS_URL", url)
    yield url
    stop.set()
    await server


async def kerjasama(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = await asyncio.to_thread(main, list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


PROPOSAL = ["title=Galeri UMKM Juara", "kind=KSDPK", "document_type=MOU",
            "partner.name=blibli.com", "partner.category=THIRD_PARTY", "partner.country=ID",
            "lead_opd=DISKUK", "objective=Pemasaran daring", "sector=UMKM",
            "burdens_budget=false", "plan_year=2021", "proposed_on=2021-01-11"]


async def test_an_operator_proposes_advances_shows_and_lists_agreements(
        served: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = await kerjasama(capsys, "propose", *PROPOSAL)
    assert status == 0 and "version 1  PROPOSED" in out
    aid = out.split()[0]

    status, out, _ = await kerjasama(capsys, "advance", aid, "review")
    assert status == 0 and "version 2  IN_REVIEW" in out
    status, out, err = await kerjasama(
        capsys, "advance", aid, "sign", "number=518/1/2021", "signed_on=2021-02-01",
        "signatory.name=Kusmana Hartadji", "signatory.role=HEAD_OF_AGENCY",
        "effective_from=2021-02-01", "effective_until=2024-01-31")
    assert status == 1 and out == ""
    assert err.count("\n") == 1 and "409 Action not allowed in this stage" in err

    status, out, _ = await kerjasama(capsys, "show", aid)
    assert status == 0 and "Galeri UMKM Juara" in out and "review_started" in out
    status, out, _ = await kerjasama(capsys, "list", "--stage", "IN_REVIEW")
    assert status == 0 and aid in out
    status, out, _ = await kerjasama(capsys, "tail")
    assert status == 0 and out.count("kerjasama.agreement.") == 2


async def test_errors_are_one_line_and_a_non_zero_exit(
        served: str, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    status, _, err = await kerjasama(capsys, "propose", "title")
    assert status == 1 and err == "kerjasama: expected key=value, got 'title'\n"
    status, _, err = await kerjasama(capsys, "propose", "kind=KSDPK")
    assert status == 1 and "422" in err and err.count("\n") == 1
    monkeypatch.setenv("KERJASAMA_AGREEMENTS_URL", f"http://127.0.0.1:{free_port()}")
    status, _, err = await kerjasama(capsys, "list")
    assert status == 1 and "cannot reach the agreements service" in err


async def test_dead_letters_are_listed_with_their_reason_and_requeued(
        fresh_topology: str, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KERJASAMA_AMQP_URL", fresh_topology)
    monkeypatch.setenv("KERJASAMA_RABBITMQ_MANAGEMENT_URL", MANAGEMENT_URL)
    connection = await connect(fresh_topology)
    async with connection:
        channel = await connection.channel()
        await channel.default_exchange.publish(aio_pika.Message(
            b'{"type": "kerjasama.agreement.signed.v1", "id": "e-1"}',
            headers={"x-error": "invalid-data: field signed_on: missing",
                     "x-original-queue": "reporting.events"}, user_id="guest",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT), "reporting.events.dlq")

        status, out, _ = await kerjasama(capsys, "dlq", "list")
        assert status == 0
        assert "reporting.events.dlq" in out and "invalid-data: field signed_on" in out
        status, out, _ = await kerjasama(capsys, "dlq", "requeue", "reporting.events")
        assert status == 0 and "requeued 1 message" in out

        back = await (await channel.get_queue("reporting.events")).get(fail=False)
        assert back is not None and b'"e-1"' in back.body
        assert "x-error" not in (back.headers or {})
        assert back.user_id == "guest"  # the sender's validated user stays
        await back.ack()

        await channel.default_exchange.publish(aio_pika.Message(
            b"{}", headers={"x-error": "not-json: x", "x-original-queue": "gone.queue"},
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT), "reporting.events.dlq")
        status, _, err = await kerjasama(capsys, "dlq", "requeue", "reporting.events")
        assert status == 1 and "gone.queue does not exist" in err
        stays = await (await channel.get_queue("reporting.events.dlq")).get(fail=False)
        assert stays is not None  # not lost
        await stays.ack()
        status, out, _ = await kerjasama(capsys, "dlq", "list", "reporting.events")
        assert out.strip() == "no dead letters"


async def test_an_operator_attaches_lists_fetches_and_takes_down_a_document(
        served: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from tests import documents

    status, out, _ = await kerjasama(capsys, "propose", *PROPOSAL)
    aid = out.split()[0]
    source = tmp_path / "kajian pra.pdf"
    source.write_bytes(documents.pdf("Kajian pra kerja sama"))
    status, out, err = await kerjasama(capsys, "document", "attach", aid, str(source),
                                       "--kind", "STUDY_PRE", "--public")
    assert status == 0, err
    document_id, digest = out.split()[0], out.split()[-1]
    assert digest == hashlib.sha256(source.read_bytes()).hexdigest()
    status, out, _ = await kerjasama(capsys, "document", "list", aid)
    assert status == 0 and document_id in out and "kajian pra.pdf" in out
    target = tmp_path / "copy.pdf"
    status, out, _ = await kerjasama(capsys, "document", "get", document_id, "-o", str(target))
    assert status == 0 and "(verified)" in out
    assert target.read_bytes() == source.read_bytes()
    status, out, _ = await kerjasama(capsys, "document", "unpublish", document_id,
                                     "--reason", "Diunggah keliru")
    assert status == 0 and "taken down" in out
    status, _, err = await kerjasama(capsys, "document", "unpublish", document_id)
    assert status == 1 and "409" in err
    status, out, _ = await kerjasama(capsys, "document", "downloads", document_id)
    assert status == 0 and "served" in out
    (tmp_path / "notes.txt").write_text("not a document")
    status, _, err = await kerjasama(capsys, "document", "attach", aid,
                                     str(tmp_path / "notes.txt"), "--kind", "OTHER")
    assert status == 1 and "415" in err
    status, _, err = await kerjasama(capsys, "document", "attach", aid,
                                     str(tmp_path / "missing.pdf"), "--kind", "OTHER")
    assert status == 1 and "cannot read" in err


async def test_an_operator_adopts_priorities_and_keeps_the_mapping(
        served: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = await kerjasama(
        capsys, "work-program", "2021", "--realization", "80", "--effectiveness", "60",
        "--priority", "PEMULIHAN_EKONOMI=Pemulihan ekonomi daerah", "--priority",
        "COVID19=Penanganan Covid-19", "--mapping-due", "2021-03-31")
    assert status == 0 and "priorities PEMULIHAN_EKONOMI, COVID19" in out, out
    # new targets only: the priorities and the due date stay as adopted
    status, out, _ = await kerjasama(capsys, "work-program", "2021", "--realization", "85",
                                     "--effectiveness", "60")
    assert status == 0 and "replaced: version 2" in out and "mapping due 2021-03-31" in out
    async with httpx.AsyncClient(base_url=served, headers=auth_headers()) as http:
        program = (await http.get("/work-programs/2021")).json()
    assert [p["code"] for p in program["priorities"]] == ["PEMULIHAN_EKONOMI", "COVID19"]

    with pytest.raises(SystemExit) as usage:
        await kerjasama(capsys, "work-program", "2021", "--realization", "80",
                        "--effectiveness", "60", "--priority", "COVID19")
    assert usage.value.code == 2 and "CODE=Name" in capsys.readouterr().err

    status, out, _ = await kerjasama(
        capsys, "mapping", "add", "2021", "DISPARBUD", "affair=Pariwisata",
        "description=Promosi bersama", "rpjmd_target=Kunjungan wisata",
        "priority=COVID19", "prospective_partners+=Gyeongsangbuk-do")
    assert status == 0 and "ACTIVE" in out, out
    item_id = out.split()[0]
    status, out, _ = await kerjasama(capsys, "mapping", "list", "2021")
    assert status == 0 and item_id in out and "Pariwisata" in out
    status, out, err = await kerjasama(capsys, "mapping", "revise", item_id, "priority=ASET")
    assert status == 1 and "ASET" in out + err
    status, out, _ = await kerjasama(capsys, "mapping", "revise", item_id, "priority=null",
                                     "prospective_partners+=Chungcheongnam-do",
                                     "rpjmd_target=2025")
    assert status == 0 and "version 2" in out, out
    async with httpx.AsyncClient(base_url=served, headers=auth_headers()) as http:
        item = (await http.get(f"/mapping-items/{item_id}")).json()
    assert (item["priority"], item["prospective_partners"], item["rpjmd_target"]) == (
        None, ["Gyeongsangbuk-do", "Chungcheongnam-do"], "2025")
    status, out, _ = await kerjasama(capsys, "mapping", "withdraw", item_id,
                                     "--reason", "Digabung")
    assert status == 0 and "WITHDRAWN" in out
    status, out, _ = await kerjasama(capsys, "mapping", "list", "2021", "--stage", "ACTIVE")
    assert status == 0 and "no mapping items for 2021" in out


BANK = ["--name", "PT Bank Pembangunan Daerah Jawa Barat dan Banten Tbk",
        "--category", "THIRD_PARTY", "--country", "id", "--code", "NIB=8120000012345",
        "--contact-name", "Divisi Kerja Sama", "--contact-email", "kerjasama@bankbjb.example"]


async def test_an_operator_registers_finds_revises_and_merges_partners(
        served: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = await kerjasama(capsys, "partners", "register", *BANK)
    assert status == 0 and "version 1  ACTIVE" in out, err
    bank = out.split()[0]
    status, _, err = await kerjasama(capsys, "partners", "register", "--name",
                                     "pt. bank pembangunan daerah JAWA BARAT dan banten, tbk",
                                     "--category", "THIRD_PARTY", "--country", "ID")
    assert status == 1 and err.count("\n") == 1
    assert "409" in err and f"existing_id {bank}" in err
    with pytest.raises(SystemExit) as usage:
        await kerjasama(capsys, "partners", "register", *BANK, "--code", "NIB")
    assert usage.value.code == 2 and "SCHEME=VALUE" in capsys.readouterr().err

    status, out, _ = await kerjasama(capsys, "partners", "list", "--q", "BANK  pembangunan")
    assert status == 0 and bank in out and "NIB 8120000012345" in out
    status, out, _ = await kerjasama(capsys, "partners", "list", "--country", "kr")
    assert status == 0 and out.strip() == "no partners"

    status, out, err = await kerjasama(
        capsys, "partners", "revise", bank, "--code", "NPWP=01.234.567.8-441.000",
        "--contact-phone", "+62 22 1234567", "--contact-name", "")
    assert status == 0 and "version 2  ACTIVE" in out, err
    async with httpx.AsyncClient(base_url=served, headers=auth_headers()) as http:
        shown = (await http.get(f"/partners/{bank}")).json()
    assert shown["name"] == BANK[1] and shown["category"] == "THIRD_PARTY"  # kept
    assert shown["codes"] == [{"scheme": "NIB", "value": "8120000012345"},
                              {"scheme": "NPWP", "value": "01.234.567.8-441.000"}]
    assert shown["contact"] == {"name": None, "email": "kerjasama@bankbjb.example",
                                "phone": "+62 22 1234567", "address": None}
    status, _, err = await kerjasama(capsys, "partners", "revise", bank, "--drop-code", "ahu")
    assert status == 1 and "has no AHU code to drop" in err
    status, _, err = await kerjasama(capsys, "partners", "revise", bank, "--if-match", "1",
                                     "--name", "Bank BJB")
    assert status == 1 and "412" in err  # changed since version 1
    status, _, err = await kerjasama(capsys, "--role", "opd:DISKUK", "partners", "revise",
                                     bank, "--name", "Bank BJB")
    assert status == 1 and "403" in err and "tkksd" in err

    status, out, _ = await kerjasama(
        capsys, "propose", *[f for f in PROPOSAL if not f.startswith("partner.")],
        "partner.name=Bank Jabar Banten", "partner.category=THIRD_PARTY", "partner.country=ID")
    assert status == 0
    agreement = out.split()[0]
    status, out, _ = await kerjasama(capsys, "partners", "list", "--q", "jabar banten")
    duplicate = out.splitlines()[-1].split()[0]
    assert duplicate != bank
    status, out, err = await kerjasama(capsys, "partners", "merge", duplicate, "--into", bank)
    assert status == 0 and "version 2  MERGED" in out, err
    status, _, err = await kerjasama(capsys, "partners", "merge", duplicate, "--into", bank)
    assert status == 1 and "409" in err and f"merged into {bank}" in err

    status, out, _ = await kerjasama(capsys, "partners", "show", duplicate)
    assert status == 0 and out.startswith(f"partner {duplicate} was merged into {bank}")
    assert "NPWP 01.234.567.8-441.000" in out and "+62 22 1234567" in out
    assert agreement in out and f"[via merged partner {duplicate}]" in out
    status, _, err = await kerjasama(capsys, "partners", "revise", duplicate, "--name", "X")
    assert status == 1 and f"was merged into {bank}; revise that partner" in err
    status, out, _ = await kerjasama(capsys, "--output", "json", "partners", "show", bank)
    assert status == 0 and json.loads(out)["agreements"][0]["id"] == agreement
    status, _, err = await kerjasama(capsys, "partners", "show", "not-a-partner")
    assert status == 1 and "404" in err
