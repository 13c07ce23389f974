"""The portal's answers: cached by every browser and shared cache for a minute, with an
``ETag`` (a repeated request with ``If-None-Match`` gets a 304)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from fastapi import Request
from fastapi.responses import Response

CACHE_SECONDS = 60
HTML = "text/html; charset=utf-8"


def cached(request: Request, body: bytes, media_type: str,
           headers: Mapping[str, str] | None = None, status: int = 200) -> Response:
    """``body`` with its ``ETag`` and ``Cache-Control``; a 304 when the request's
    ``If-None-Match`` names it."""
    tag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    common = {"ETag": tag, "Cache-Control": f"public, max-age={CACHE_SECONDS}",
              "Vary": "Accept-Encoding", **(headers or {})}
    if status == 200 and request.headers.get("if-none-match") == tag:
        return Response(status_code=304, headers=common)
    return Response(body, status_code=status, media_type=media_type, headers=common)
