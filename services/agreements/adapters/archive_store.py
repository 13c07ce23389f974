"""The blob store and staging directory that the settings name."""

from __future__ import annotations

import tempfile
from pathlib import Path

from services.agreements.adapters.blobs import BlobStore, DirectoryBlobStore
from services.agreements.settings import AgreementsSettings


def blob_store_from(settings: AgreementsSettings) -> tuple[BlobStore, Path]:
    """The archive's blob store and the directory uploads are staged in (created)."""
    where = settings.documents_store
    store: BlobStore
    if where.startswith("s3://"):
        # boto3 (about 9 MB) is loaded only by a service configured for S3
        from services.agreements.adapters.s3_blobs import S3BlobStore

        bucket, _, prefix = where.removeprefix("s3://").partition("/")
        endpoint = settings.documents_s3_endpoint_url
        store = S3BlobStore(bucket, prefix=prefix.strip("/") + "/" if prefix.strip("/")
                            else "", endpoint_url=str(endpoint) if endpoint else None,
                            region=settings.documents_s3_region)
        staging = settings.documents_staging_dir or Path(tempfile.gettempdir())
    else:
        root = Path(where).resolve()
        store = DirectoryBlobStore(root)
        staging = settings.documents_staging_dir or root / ".staging"
    staging.mkdir(parents=True, exist_ok=True)
    return store, staging
