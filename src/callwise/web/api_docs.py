"""The API's browsable pages (Swagger UI, ReDoc), served with their own assets so they work without internet.

FastAPI's built-in pages load their JavaScript and CSS from a public CDN; on a bank intranet that is blocked and
the page stays blank. Here the pinned copies under ``static/vendor`` (versions and licences in its README) are
served by the app itself, and no page names any other host.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).with_name("static")
STATIC_URL = "/static"
VENDOR_URL = f"{STATIC_URL}/vendor"


def install(app: FastAPI, api: str) -> None:
    """Add ``{api}/docs`` (Swagger UI), ``{api}/redoc`` and the static files they load to ``app``.

    The app must be created with ``docs_url=None, redoc_url=None`` so FastAPI's CDN pages are not added too.
    """
    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="static")
    openapi_url = app.openapi_url or f"{api}/openapi.json"
    redirect_url = f"{api}/docs/oauth2-redirect"

    # Plain Starlette routes, as FastAPI adds its own doc pages: public pages, not API operations.
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = _root(request)
        return get_swagger_ui_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{VENDOR_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{VENDOR_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{VENDOR_URL}/favicon-32x32.png",
            oauth2_redirect_url=root + redirect_url,
            # The validator badge would send the spec to validator.swagger.io: nothing leaves the bank.
            swagger_ui_parameters={"validatorUrl": None},
        )

    async def swagger_ui_redirect(request: Request) -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    async def redoc(request: Request) -> HTMLResponse:
        root = _root(request)
        return get_redoc_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{VENDOR_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{VENDOR_URL}/favicon-32x32.png",
            with_google_fonts=False,
        )

    app.add_route(f"{api}/docs", swagger_ui, include_in_schema=False)
    app.add_route(redirect_url, swagger_ui_redirect, include_in_schema=False)
    app.add_route(f"{api}/redoc", redoc, include_in_schema=False)


def _root(request: Request) -> str:
    """The prefix a reverse proxy serves the app under (ASGI ``root_path``), so asset URLs still resolve."""
    return str(request.scope.get("root_path", "")).rstrip("/")
