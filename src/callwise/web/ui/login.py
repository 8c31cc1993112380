"""Signing in and out of the dashboard, with the API's users, roles and login throttling."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from callwise.ops.db import transaction
from callwise.ops.users import USERNAME, login, logout
from callwise.web.deps import ServicesDep, client_ip
from callwise.web.ui.render import render
from callwise.web.ui.session import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    BoardError,
    Viewer,
    current_viewer,
    form_for,
    language,
    new_login_csrf,
    secure,
)

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site only (``//host`` and ``\\host`` are other sites)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")) or len(target) > 2000:
        return "/"
    return target


def home_of(viewer: Viewer) -> str:
    """The first page of the navigation the viewer may see."""
    from callwise.web.ui.registry import PAGES

    for page in PAGES:
        if page.nav and viewer.can(page.permission):
            return page.path
    return "/board/none"


@router.get("/")
def root(request: Request) -> Response:
    viewer = current_viewer(request)
    return RedirectResponse(home_of(viewer) if viewer else "/login", status_code=303)


@router.get("/board/none")
def no_pages(request: Request) -> Response:
    """A signed-in user whose roles open no page (an administrator manages users from the CLI and the API)."""
    viewer = current_viewer(request)
    if viewer is None:
        raise BoardError(401, "board.error.signed_out")
    return render(request, viewer, "errors/error.html.j2", status=200, key="board.error.no_pages", values={})


def _login_page(request: Request, *, status: int = 200, problem: str | None = None, wait: int = 0) -> Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or new_login_csrf()
    response = render(
        request,
        None,
        "login.html.j2",
        status=status,
        login_csrf=token,
        next=safe_next(request.query_params.get("next") or request.headers.get("x-next")),
        problem=problem,
        wait=wait,
    )
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=secure(request))
    return response


@router.get("/login")
def login_page(request: Request) -> Response:
    return _login_page(request)


@router.post("/login")
def post_login(
    request: Request,
    svc: ServicesDep,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(csrf_token, expected):
        raise BoardError(403, "board.error.csrf")
    if not USERNAME.fullmatch(username) or not password or "\x00" in password:
        return _login_page(request, status=401, problem="board.login.failed")  # no account has such a name
    with transaction(svc.factory) as session:
        result = login(session, username, password, client_ip(request))
    if result.status == "throttled":
        return _login_page(request, status=429, problem="board.login.throttled", wait=result.wait_minutes)
    if result.status != "ok" or result.secret is None or result.token is None:
        return _login_page(request, status=401, problem="board.login.failed")
    response = RedirectResponse(safe_next(next) if safe_next(next) != "/" else "/", status_code=303)
    max_age = int((result.token.expires_at - result.token.created_at).total_seconds())
    response.set_cookie(
        SESSION_COOKIE, result.secret, max_age=max_age, httponly=True, samesite="lax", secure=secure(request)
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
def post_logout(request: Request, svc: ServicesDep, viewer: Annotated[Viewer, form_for("")]) -> Response:
    secret = request.cookies.get(SESSION_COOKIE, "")
    with transaction(svc.factory) as session:
        logout(session, secret, viewer.ip)
    response = RedirectResponse(f"/login?lang={language(request)}", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
