"""RFC 9457 problem details (``application/problem+json``) for every HTTP error."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def problem(
    status: int,
    title: str | None = None,
    detail: str | None = None,
    type_: str = "about:blank",
    *,
    instance: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    """A problem details response; ``title`` defaults to the status phrase.

    ``extensions`` become extra members of the problem object (e.g. ``errors``).
    """
    body: dict[str, Any] = {"type": type_, "title": title or _phrase(status), "status": status}
    if detail is not None:
        body["detail"] = detail
    if instance is not None:
        body["instance"] = instance
    body.update(extensions)
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


class ProblemException(Exception):
    """Raised by a route to answer a problem; see :func:`add_problem_handlers`."""

    def __init__(
        self,
        status: int,
        title: str | None = None,
        detail: str | None = None,
        type_: str = "about:blank",
        *,
        headers: Mapping[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail or title or _phrase(status))
        self.status, self.title, self.detail, self.type_ = status, title, detail, type_
        self.headers = headers
        self.extensions = extensions

    def response(self) -> JSONResponse:
        """The problem response this exception stands for."""
        return problem(
            self.status, self.title, self.detail, self.type_,
            headers=self.headers, **self.extensions,
        )


def field_path(loc: tuple[int | str, ...] | list[int | str]) -> str:
    """``("body", "partner", "country")`` → ``body.partner.country``; ``[0]`` for items."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def validation_problem(exc: RequestValidationError) -> JSONResponse:
    """The 422 problem of a request that does not match its schema."""
    errors = [
        {"field": field_path(e.get("loc", ())), "message": e.get("msg", ""), "type": e.get("type")}
        for e in exc.errors()
    ]
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "invalid request"
    return problem(422, "Invalid request", detail, errors=errors)


def add_problem_handlers(app: FastAPI) -> None:
    """Answer validation errors, HTTP errors (404, 405, ...) and ProblemException as problems.

    Services call :func:`plumbing.http.install_problem_handlers`, which also limits request
    bodies.
    """

    async def on_validation(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return validation_problem(exc)

    async def on_http(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        detail: str | None = None
        extra: dict[str, Any] = {}
        if isinstance(exc.detail, str):
            detail = None if exc.detail == _phrase(exc.status_code) else exc.detail
        elif exc.detail is not None:
            extra["errors"] = exc.detail
        return problem(exc.status_code, None, detail, headers=exc.headers, **extra)

    async def on_problem(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ProblemException)
        return exc.response()

    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(ProblemException, on_problem)
