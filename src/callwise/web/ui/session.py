"""Who is looking at a dashboard page: the session cookie, the CSRF token, the language, and the permission check.

A login hands out the same session token as the API's login, kept in an HttpOnly cookie (SameSite=Lax, Secure
over TLS), so the API's users, roles and throttling are the board's. A session unused for the idle timeout is
ended. Every POST carries a CSRF token derived from the session secret (form field or ``X-CSRF-Token``), and
the login form, made before any session, a token in a cookie of its own (double submit).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request

from callwise.board.filters import Filters
from callwise.ops.db import transaction
from callwise.ops.users import Principal, board_session
from callwise.web.deps import Services, client_ip

SESSION_COOKIE = "callwise_session"
LANG_COOKIE = "callwise_lang"
LOGIN_CSRF_COOKIE = "callwise_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
LANGUAGES = ("zh", "en")


class BoardError(Exception):
    """A page cannot be shown: rendered as the error page (or a redirect to the login page for 401)."""

    def __init__(self, status: int, key: str, **values: Any) -> None:
        super().__init__(key)
        self.status, self.key, self.values = status, key, values


@dataclass(frozen=True)
class Viewer:
    """The person behind the request, in their language, with the token their forms must send."""

    principal: Principal
    lang: str
    csrf: str
    agent_id: str | None
    teams: tuple[str, ...]
    ip: str

    def can(self, permission: str) -> bool:
        return permission in self.principal.permissions


def csrf_for(secret: str) -> str:
    """The CSRF token of a session: only someone who holds the cookie's secret can make it."""
    return hmac.new(secret.encode(), b"callwise-csrf", hashlib.sha256).hexdigest()


def language(request: Request) -> str:
    """``?lang=`` when given (the switch), else the cookie the switch set, else zh-CN."""
    asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or "zh"
    return asked if asked in LANGUAGES else "zh"


def secure(request: Request) -> bool:
    """Cookies are Secure when the board is served over TLS (directly, or behind a trusted proxy)."""
    return request.url.scheme == "https"


def current_viewer(request: Request) -> Viewer | None:
    """The viewer of this request, or None without a live session (none, expired, revoked or idle too long)."""
    secret = request.cookies.get(SESSION_COOKIE, "")
    if not secret or len(secret) > 256:
        return None
    svc: Services = request.app.state.services
    with transaction(svc.factory) as session:
        found = board_session(session, secret, svc.board_idle)
    if found is None:
        return None
    lang = language(request)
    return Viewer(found.principal, lang, csrf_for(secret), found.agent_id, found.teams, client_ip(request))


def login_redirect(request: Request) -> str:
    """The login page, with the page asked for to come back to (only a path on this site)."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"/login?next={quote(target, safe='')}"


def viewer_for(permission: str) -> Any:
    """A dependency: the viewer when signed in and holding ``permission`` (empty: any signed-in person); else the
    login page, or the 403 page."""

    def check(request: Request) -> Viewer:
        viewer = current_viewer(request)
        if viewer is None:
            raise BoardError(401, "board.error.signed_out")
        if permission and not viewer.can(permission):
            raise BoardError(403, "board.error.forbidden", permission=permission)
        request.state.viewer = viewer
        return viewer

    check.permission = permission  # type: ignore[attr-defined]  # read by the permission tests
    return Depends(check)


async def sent_csrf(request: Request) -> str:
    """The CSRF token a POST carries: the header HTMX sends, or the form field."""
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else ""
    return ""


def form_for(permission: str) -> Any:
    """For a POST: as ``viewer_for``, and refused with 403 unless it carries the session's CSRF token."""

    async def check(request: Request) -> Viewer:
        viewer = current_viewer(request)
        if viewer is None:
            raise BoardError(401, "board.error.signed_out")
        if not hmac.compare_digest(await sent_csrf(request), viewer.csrf):
            raise BoardError(403, "board.error.csrf")
        if permission and not viewer.can(permission):
            raise BoardError(403, "board.error.forbidden", permission=permission)
        request.state.viewer = viewer
        return viewer

    check.permission = permission  # type: ignore[attr-defined]
    return Depends(check)


def new_login_csrf() -> str:
    return secrets.token_urlsafe(24)


MAX_TEXT = 64


def _date(request: Request, name: str) -> date | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        raise BoardError(422, "board.error.bad_filter", field=name) from None
    if not date(2000, 1, 1) <= value <= date(2100, 12, 31):
        raise BoardError(422, "board.error.bad_filter", field=name)
    return value


def _text(request: Request, name: str) -> str | None:
    raw = request.query_params.get(name)
    if raw is None or not raw.strip():
        return None
    if len(raw) > MAX_TEXT or any(ord(c) < 32 for c in raw):
        raise BoardError(422, "board.error.bad_filter", field=name)
    return raw.strip()


def filters(request: Request) -> Filters:
    """The filters in the URL; a malformed one is refused with a page naming it, never ignored."""
    start, end = _date(request, "date_from"), _date(request, "date_to")
    if start and end and start > end:
        raise BoardError(422, "board.error.bad_filter", field="date_from")
    raw_page = request.query_params.get("page") or "1"
    if not raw_page.isdigit() or not 1 <= int(raw_page) <= 1_000_000:
        raise BoardError(422, "board.error.bad_filter", field="page")
    return Filters(
        start, end, _text(request, "campaign"), _text(request, "product"), _text(request, "team"), int(raw_page)
    )


FiltersDep = Annotated[Filters, Depends(filters)]
