"""Adds the dashboard to the app: its pages, its error pages, and compression of what it sends (its static files
are served beside the API docs' assets, under ``/static``)."""

from __future__ import annotations

import inspect
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware

from callwise.web.ui import login
from callwise.web.ui.registry import MODULES
from callwise.web.ui.render import render
from callwise.web.ui.session import BoardError, current_viewer, login_redirect

BOARD_PREFIXES = ("/board", "/login", "/logout", "/static")


def is_board(path: str) -> bool:
    return path == "/" or path.startswith(BOARD_PREFIXES)


def install(app: FastAPI) -> None:
    """The board's routes and error pages; the API's JSON errors stay as they are elsewhere."""
    app.include_router(login.router)
    for module in MODULES:
        app.include_router(module.router, include_in_schema=False)
    api_http = app.exception_handlers[StarletteHTTPException]

    @app.exception_handler(BoardError)
    async def _board_error(request: Request, exc: BoardError) -> Response:
        return error_page(request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if is_board(request.url.path) and not request.url.path.startswith("/static"):
            key = "board.error.not_found" if exc.status_code == 404 else "board.error.bad_request"
            return error_page(request, BoardError(exc.status_code, key))
        answer = api_http(request, exc)
        return await answer if inspect.isawaitable(answer) else answer


def error_page(request: Request, exc: BoardError) -> Response:
    """401 goes to the login page (HTMX is told to go there too); anything else is a page saying what happened."""
    if exc.status == 401:
        target = login_redirect(request)
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)
    viewer = getattr(request.state, "viewer", None) or current_viewer(request)
    return render(request, viewer, "errors/error.html.j2", status=exc.status, key=exc.key, values=exc.values)


class BoardCompression:
    """gzip for the board's pages and static files (ECharts is 1 MB as sent, ~350 kB compressed); the API's
    responses are left as they are."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=1024)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and is_board(scope.get("path", "")):
            await self.gzip(scope, receive, send)
        else:
            await self.app(scope, receive, send)
