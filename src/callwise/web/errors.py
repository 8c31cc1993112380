"""One error body for every failure: ``{"error": {"code", "message", "message_zh", "details"}}``.

Dialers and CRM systems branch on ``code``; people read ``message`` (English) or ``message_zh``. A lost
database is a 503 the client may retry, never a 500.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from callwise.i18n.errors import say
from callwise.ops.customers import CustomerNotFound
from callwise.security.errors import DutyRefused

log = logging.getLogger("callwise.web")


class ApiError(Exception):
    """An error with a status, a code from the ``api.*`` catalog and its placeholders."""

    def __init__(
        self, status: int, code: str, details: Any = None, headers: dict[str, str] | None = None, **values: Any
    ):
        super().__init__(code)
        self.status, self.code, self.details, self.headers, self.values = status, code, details, headers, values


class BodyTooLarge(StarletteHTTPException):
    """A body that streamed past the limit. An HTTP exception, because FastAPI's body reader passes those on
    to the handlers and turns any other error while reading into a vague 400."""

    def __init__(self, limit: int) -> None:
        super().__init__(413)
        self.limit = limit


class ErrorInfo(BaseModel):
    """``code`` for programs to branch on, ``message`` and ``message_zh`` for people, ``details`` per field."""

    code: str
    message: str
    message_zh: str
    details: Any = None


class ErrorBody(BaseModel):
    """The body of every error response, as the OpenAPI spec shows it to client authors."""

    error: ErrorInfo


UNREADABLE_BODY = {
    "where": "body",
    "problem": "the body cannot be read as JSON; send UTF-8 encoded JSON",
    "type": "json_invalid",
}
_MEANINGS = {
    401: "No valid bearer token (none, unknown, expired or revoked)",
    403: "The caller lacks the permission this needs, or the separation of duties refuses it",
    404: "No such resource",
    409: "Conflicts with existing data or the service's set-up",
    413: "The request body is larger than the service accepts",
    422: "The request is not valid; details say where and why",
    429: "Too many failed logins; retry after the Retry-After seconds",
    503: "The operational database is unavailable; retry after the Retry-After seconds",
}


def documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for these error statuses, each with the one error body."""
    return {status: {"model": ErrorBody, "description": _MEANINGS[status]} for status in statuses}


def problems(errors: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Pydantic's errors as the error body's details: where, the problem in words, its type."""
    return [
        {"where": ".".join(str(p) for p in e.get("loc", ())), "problem": e.get("msg"), "type": e.get("type")}
        for e in errors
    ]


def invalid(where: str, problem: str) -> ApiError:
    """A 422 about one field: ``where`` is its path (``body.scopes``), ``problem`` the sentence."""
    return ApiError(422, "validation", details=[{"where": where, "problem": problem}])


def error_body(code: str, details: Any = None, **values: Any) -> dict[str, Any]:
    key = f"api.{code}"
    return {
        "error": {
            "code": code,
            "message": say(key, "en", **values),
            "message_zh": say(key, "zh", **values),
            "details": details,
        }
    }


async def send_error(send: Any, status: int, code: str, details: Any = None, **values: Any) -> None:
    """The error body straight onto an ASGI ``send``: for middleware that answers before any route runs."""
    body = json.dumps(error_body(code, details, **values)).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _response(
    status: int, code: str, details: Any = None, headers: dict[str, str] | None = None, **values: Any
) -> JSONResponse:
    return JSONResponse(error_body(code, details, **values), status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return _response(exc.status, exc.code, exc.details, exc.headers, **exc.values)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return _response(422, "validation", problems(exc.errors()))

    @app.exception_handler(DutyRefused)
    async def _duty(_: Request, exc: DutyRefused) -> JSONResponse:
        return _response(403, exc.code, None, None, **exc.values)

    @app.exception_handler(CustomerNotFound)
    async def _no_customer(_: Request, exc: CustomerNotFound) -> JSONResponse:
        return _response(404, "not_found", what=f"customer {exc}")

    @app.exception_handler(BodyTooLarge)
    async def _too_large(_: Request, exc: BodyTooLarge) -> JSONResponse:
        return _response(413, "too_large", limit=exc.limit)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:  # FastAPI could not read the body at all, e.g. JSON that is not UTF-8
            return _response(422, "validation", [UNREADABLE_BODY])
        codes = {404: ("not_found", {"what": "route"}), 405: ("method_not_allowed", {})}
        code, values = codes.get(exc.status_code, ("bad_request", {}))
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:  # the route that refused knows only its own methods, not the path's
            headers = {**(headers or {}), "Allow": _allowed(request)}
        return _response(exc.status_code, code, None, headers, **values)

    @app.exception_handler(OperationalError)
    @app.exception_handler(DBAPIError)
    async def _database(_: Request, exc: DBAPIError) -> JSONResponse:
        if exc.connection_invalidated or isinstance(exc, OperationalError):
            log.warning("database unavailable: %s", exc.__class__.__name__)
            return _response(503, "database_unavailable", headers={"Retry-After": "2"})
        log.exception("database error")
        return _response(500, "internal")

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", exc_info=exc)
        return _response(500, "internal")


def _allowed(request: Request) -> str:
    """Every method some route serves at the request's path, for the Allow header of a 405."""
    path = request.scope.get("path", "")
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        regex = getattr(route, "path_regex", None)
        if route.methods and regex is not None and regex.match(path):
            methods |= route.methods
    return ", ".join(sorted(methods))
