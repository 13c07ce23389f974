"""The archive's bytes in an S3-compatible object store (AWS S3, MinIO, Ceph RGW, …).

Objects are named ``<prefix><sha256>`` and written once: an object already there with the
right bytes is left alone (one whose bytes were damaged is written again). Uploads ask
the store to check a SHA-256 checksum of what it received. boto3 is synchronous, so each
call runs in a worker thread. Credentials come from boto3's usual chain
(``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, a shared credentials file, an instance
role); the endpoint and bucket from the service's settings.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from services.agreements.adapters.blobs import CHUNK, BlobMissing, Staged, StoreUnavailable

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

MISSING_CODES = {"404", "NoSuchKey", "NotFound"}


def _missing(error: ClientError) -> bool:
    return str(error.response.get("Error", {}).get("Code")) in MISSING_CODES


class S3BlobStore:
    """Blobs as objects of one bucket."""

    def __init__(self, bucket: str, *, prefix: str = "", endpoint_url: str | None = None,
                 region: str | None = None, client: S3Client | None = None) -> None:
        self.bucket = bucket
        self.prefix = prefix
        self._client: S3Client = client or boto3.client(
            "s3", endpoint_url=endpoint_url, region_name=region,
            config=Config(retries={"mode": "standard", "max_attempts": 5},
                          connect_timeout=5, read_timeout=30,
                          s3={"addressing_style": "path"}))

    def key_of(self, sha256: str) -> str:
        """The object key of a blob."""
        return f"{self.prefix}{sha256}"

    def _kept(self, key: str, sha256: str) -> bool:
        """Whether the object is there with the right bytes (a damaged one is not)."""
        try:
            body = self._client.get_object(Bucket=self.bucket, Key=key)["Body"]
        except ClientError as error:
            if _missing(error):
                return False
            raise
        digest = hashlib.sha256()
        try:
            while chunk := body.read(CHUNK):
                digest.update(chunk)
        finally:
            body.close()
        return digest.hexdigest() == sha256

    def _put(self, staged: Staged, media_type: str) -> None:
        key = self.key_of(staged.sha256)
        if self._kept(key, staged.sha256):
            return  # a damaged object is written again: a second upload repairs it
        checksum = base64.b64encode(bytes.fromhex(staged.sha256)).decode("ascii")
        with staged.path.open("rb") as body:
            self._client.put_object(Bucket=self.bucket, Key=key, Body=body,
                                    ContentType=media_type, ChecksumSHA256=checksum,
                                    Metadata={"sha256": staged.sha256})

    def _unavailable(self, error: Exception) -> StoreUnavailable:
        return StoreUnavailable(f"the S3 store (bucket {self.bucket}) failed: {error}")

    async def put(self, staged: Staged, media_type: str) -> None:
        try:
            await asyncio.to_thread(self._put, staged, media_type)
        except (ClientError, BotoCoreError) as error:
            raise self._unavailable(error) from error

    def _get(self, sha256: str) -> Any:
        try:
            return self._client.get_object(Bucket=self.bucket, Key=self.key_of(sha256))["Body"]
        except ClientError as error:
            if _missing(error):
                raise BlobMissing(f"no object {self.key_of(sha256)} in bucket "
                                  f"{self.bucket}") from None
            raise

    async def chunks(self, sha256: str) -> AsyncIterator[bytes]:
        try:
            body = await asyncio.to_thread(self._get, sha256)
        except (ClientError, BotoCoreError) as error:
            raise self._unavailable(error) from error
        try:
            while chunk := await asyncio.to_thread(body.read, CHUNK):
                yield chunk
        except BotoCoreError as error:
            raise self._unavailable(error) from error
        finally:
            body.close()
