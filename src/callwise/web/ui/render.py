"""Rendering a page: the templates, the viewer's language and formats, the navigation, and the security headers."""

from __future__ import annotations

from functools import cache
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context, select_autoescape

from callwise import __version__
from callwise.board.filters import Filters
from callwise.clock import utcnow
from callwise.i18n import t as translate
from callwise.web.ui.fmt import Formatter
from callwise.web.ui.session import LANG_COOKIE, Viewer, language, secure

# Pages hold customer data: never cached, never framed, scripts only from the service itself.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'; object-src 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("callwise.web", "templates"),
        autoescape=select_autoescape(["j2", "html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["version"] = __version__
    for name in FORMATS:
        env.filters[name] = _format_filter(name)
    return env


FORMATS = ("num", "signed", "pct", "money", "date", "datetime", "cell")


def _format_filter(name: str) -> Any:
    """A Jinja filter that formats with the page's own formatter (its language and the bank's time zone)."""

    @pass_context
    def apply(context: Any, value: Any, *args: Any) -> str:
        return str(getattr(context["fmt"], name)(value, *args))

    return apply


def other_language_url(request: Request, lang: str) -> str:
    """This page in the other language: the same path and query, ``lang`` switched."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    params.append(("lang", "en" if lang == "zh" else "zh"))
    return f"{request.url.path}?{urlencode(params)}"


def base_context(request: Request, lang: str, viewer: Viewer | None) -> dict[str, Any]:
    """What every template may use, for a viewer (or, on the login page, for nobody yet)."""
    from callwise.web.ui.registry import PAGES  # here: the pages import this module

    svc = request.app.state.services
    formatter = Formatter(lang, svc.bank_timezone)

    def t(key: str, **values: Any) -> str:
        return translate(key, lang, **values)

    return {
        "request": request,
        "viewer": viewer,
        "lang": lang,
        "t": t,
        "fmt": formatter,
        "nav": [p for p in PAGES if p.nav and viewer is not None and viewer.can(p.permission)],
        "lang_url": other_language_url(request, lang),
        "page_name": "",
        "today": utcnow().astimezone(formatter.zone).date(),
        "export_base": request.url.path.rstrip("/"),
        "filters": Filters(),
    }


def render(
    request: Request, viewer: Viewer | None, template: str, *, status: int = 200, **context: Any
) -> HTMLResponse:
    """The page ``template`` for ``viewer``, with the security headers every page carries."""
    lang = viewer.lang if viewer else language(request)
    values = base_context(request, lang, viewer)
    values.update(context)
    filters: Filters = values["filters"]
    values.setdefault("query", filters.query)
    env = environment()
    body = env.get_template(template).render(**values)
    response = HTMLResponse(body, status_code=status, headers=PAGE_HEADERS)
    if request.query_params.get("lang") in ("zh", "en"):
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", secure=secure(request))
    return response
