"""The archive with its bytes in an S3-compatible store: moto's S3 server on 127.0.0.1,
started here and spoken to over HTTP by the service's boto3 client (S3 compatibility is a
matter of protocol)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from tests import documents
from tests.integration.agreements.archive_support import archive_client, signed_agreement, upload

BUCKET = "kerjasama-archive"


@pytest.fixture
def s3_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh S3 server on a free port of 127.0.0.1 with an empty bucket."""
    for name, value in (("AWS_ACCESS_KEY_ID", "kerjasama-test"),
                        ("AWS_SECRET_ACCESS_KEY", "kerjasama-test-secret"),
                        ("AWS_DEFAULT_REGION", "us-east-1")):
        monkeypatch.setenv(name, value)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=BUCKET)
    try:
        yield endpoint
    finally:
        server.stop()


async def test_documents_round_trip_through_an_s3_store(
        runtime_database_url: str, tmp_path: Path, s3_endpoint: str) -> None:
    content = documents.pdf("Naskah di S3")
    digest = hashlib.sha256(content).hexdigest()
    s3 = boto3.client("s3", endpoint_url=s3_endpoint)
    async with archive_client(runtime_database_url, documents_store=f"s3://{BUCKET}/naskah",
                              documents_s3_endpoint_url=s3_endpoint,
                              documents_staging_dir=str(tmp_path)) as client:
        aid = await signed_agreement(client)
        sent = await upload(client, aid, content)
        assert sent.status_code == 201, sent.text
        stored = s3.get_object(Bucket=BUCKET, Key=f"naskah/{digest}")
        assert stored["Body"].read() == content
        assert stored["ContentType"] == "application/pdf"
        again = await upload(client, aid, content, kind="OTHER")  # same bytes: one object
        assert again.status_code == 201
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]]
        assert keys == [f"naskah/{digest}"]
        got = await client.get(f"/documents/{sent.json()['document_id']}")
        assert got.status_code == 200 and got.content == content

        s3.put_object(Bucket=BUCKET, Key=f"naskah/{digest}", Body=documents.pdf("diganti"))
        tampered = await client.get(f"/documents/{sent.json()['document_id']}")
        assert tampered.status_code == 500
        assert tampered.json()["type"] == "urn:kerjasama:problem:document-integrity-failure"
        repaired = await upload(client, aid, content, kind="MINUTES")  # the same file again
        assert repaired.status_code == 201
        assert (await client.get(f"/documents/{sent.json()['document_id']}")).content == content
        s3.delete_object(Bucket=BUCKET, Key=f"naskah/{digest}")
        assert (await client.get(f"/documents/{sent.json()['document_id']}")).status_code == 500
        refused = await upload(client, aid, b"plain text")
        assert refused.status_code == 415
    assert not any(tmp_path.iterdir())  # noqa: ASYNC240 (a test's temporary directory)


async def test_an_unreachable_store_stores_nothing_and_says_so(
        runtime_database_url: str, tmp_path: Path, s3_endpoint: str) -> None:
    async with archive_client(runtime_database_url, documents_store="s3://no-such-bucket",
                              documents_s3_endpoint_url=s3_endpoint,
                              documents_staging_dir=str(tmp_path)) as client:
        aid = await signed_agreement(client)
        sent = await upload(client, aid, documents.pdf())
        assert sent.status_code == 503, sent.text
        events = (await client.get(f"/agreements/{aid}/events")).json()
        assert all("document" not in e["type"] for e in events)
