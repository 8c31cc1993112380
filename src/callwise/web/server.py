"""Building the service from settings: database, keys, lake, follow-up rules (``callwise serve``)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from callwise.lake import Lake
from callwise.ops.customers import Pii
from callwise.ops.db import make_engine, session_factory
from callwise.ops.migrate import current, head
from callwise.security.crypto import LookupHasher, PiiCipher
from callwise.settings import Settings
from callwise.web.deps import Services


class ServiceConfigError(RuntimeError):
    """The service cannot start as configured; the message says which setting to fix."""


def pii_from_settings(settings: Settings) -> Pii:
    """The PII keys; refuses to go on without them (there is no default key, by design)."""
    return Pii(PiiCipher.from_settings(settings), LookupHasher.from_settings(settings))


def build_services(settings: Settings) -> Services:
    engine = make_engine(settings.database_url())
    at, latest = current(engine), head()
    if at != latest:
        raise ServiceConfigError(
            f"the operational database is at revision {at or 'none'}, not {latest}: run `callwise db upgrade`"
        )
    lake_dir = settings.data_dir / "lake"
    return Services(
        engine=engine,
        factory=session_factory(engine),
        pii=pii_from_settings(settings),
        lake=Lake(lake_dir, engine=settings.engine, threads=settings.threads) if lake_dir.is_dir() else None,
        bank_timezone=settings.timezone,
        models_dir=Path(settings.data_dir / "models"),
    )


def app_from_env() -> FastAPI:
    """The application for ``uvicorn callwise.web.server:app_from_env --factory`` (settings from CALLWISE_*)."""
    from callwise.settings import get_settings
    from callwise.web.app import create_app

    settings = get_settings()
    return create_app(build_services(settings), max_body_bytes=settings.max_body_bytes)
