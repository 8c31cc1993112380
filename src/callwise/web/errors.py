"""One error body for every failure: ``{"error": {"code", "message", "message_zh", "details"}}``.

Dialers and CRM systems branch on ``code``; people read ``message`` (English) or ``message_zh``. A lost
database is a 503 the client may retry, never a 500.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from callwise.i18n import t

log = logging.getLogger("callwise.web")


class ApiError(Exception):
    """An error with a status, a code from the ``api.*`` catalog and its placeholders."""

    def __init__(
        self, status: int, code: str, details: Any = None, headers: dict[str, str] | None = None, **values: Any
    ):
        super().__init__(code)
        self.status, self.code, self.details, self.headers, self.values = status, code, details, headers, values


def invalid(where: str, problem: str) -> ApiError:
    """A 422 about one field: ``where`` is its path (``body.scopes``), ``problem`` the sentence."""
    return ApiError(422, "validation", details=[{"where": where, "problem": problem}])


def error_body(code: str, details: Any = None, **values: Any) -> dict[str, Any]:
    key = f"api.{code}"
    return {
        "error": {
            "code": code,
            "message": t(key, "en", **values),
            "message_zh": t(key, "zh", **values),
            "details": details,
        }
    }


def _response(status: int, code: str, details: Any = None, headers: dict[str, str] | None = None, **values: Any):
    return JSONResponse(error_body(code, details, **values), status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return _response(exc.status, exc.code, exc.details, exc.headers, **exc.values)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {"where": ".".join(str(p) for p in e.get("loc", ())), "problem": e.get("msg"), "type": e.get("type")}
            for e in exc.errors()
        ]
        return _response(422, "validation", details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: ("not_found", {"what": "route"}), 405: ("method_not_allowed", {})}
        code, values = codes.get(exc.status_code, ("bad_request", {}))
        return _response(exc.status_code, code, None, getattr(exc, "headers", None), **values)

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
