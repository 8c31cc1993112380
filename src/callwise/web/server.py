"""The application factory for uvicorn (``callwise serve``); what it is built from lives in ``callwise.wiring``."""

from __future__ import annotations

from fastapi import FastAPI


def app_from_env() -> FastAPI:
    """The application for ``uvicorn callwise.web.server:app_from_env --factory`` (settings from CALLWISE_*)."""
    from callwise.settings import get_settings
    from callwise.web.app import create_app
    from callwise.wiring import build_services

    settings = get_settings()
    return create_app(build_services(settings), max_body_bytes=settings.max_body_bytes)
