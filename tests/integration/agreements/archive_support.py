"""Fixtures' helpers for the archive's tests: the agreements app with its archive in a
directory (or an S3 store), uploads and signing."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx

from plumbing.settings import load_settings
from services.agreements.app import create_app
from services.agreements.settings import AgreementsSettings
from tests.auth import auth_headers
from tests.integration.agreements.conftest import SIGN_BODY, to_ready_to_sign


@contextlib.asynccontextmanager
async def archive_client(database_url: str, **settings: Any
                         ) -> AsyncIterator[httpx.AsyncClient]:
    """A client (TKKSD and Sekda roles) on the agreements app with ``settings``."""
    app = create_app(load_settings(AgreementsSettings, agreements_database_url=database_url,
                                   messaging=False, **settings))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(headers=auth_headers(), transport=transport,
                                     base_url="http://agreements") as client:
            yield client


async def upload(client: httpx.AsyncClient, agreement_id: str, content: bytes, *,
                 kind: str = "SIGNED", filename: str = "naskah.pdf",
                 headers: dict[str, str] | None = None, **fields: str) -> httpx.Response:
    """POST the document as multipart (``file`` part first, then the fields)."""
    return await client.post(f"/agreements/{agreement_id}/documents",
                             files={"file": (filename, content, "application/octet-stream")},
                             data={"kind": kind, **fields}, headers=headers)


async def signed_agreement(client: httpx.AsyncClient, **changes: Any) -> str:
    """An agreement of DISKUK (supported by DISKOMINFO) taken to SIGNED."""
    aid = await to_ready_to_sign(client, supporting_opds=["DISKOMINFO"], **changes)
    signed = await client.post(f"/agreements/{aid}/sign", json=SIGN_BODY)
    assert signed.status_code == 200, signed.text
    return aid
