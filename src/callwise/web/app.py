"""The FastAPI application: ``create_app`` wires the services, the error bodies, the limits and the routes."""

from __future__ import annotations

from fastapi import FastAPI

from callwise import __version__
from callwise.web import errors
from callwise.web.deps import Services
from callwise.web.limits import BodyLimit
from callwise.web.routes import audit, auth, campaigns, customers, health, lookups, metrics, models, outcomes, users
from callwise.web.text import WellFormedText

API = "/api/v1"
ROUTERS = (health, auth, users, campaigns, outcomes, customers, lookups, models, metrics, audit)


def create_app(services: Services, max_body_bytes: int = 2_000_000) -> FastAPI:
    app = FastAPI(
        title="callwise",
        version=__version__,
        description="Outbound-call precision marketing for banks: lists for dialers, outcomes back, inside the rules.",
        openapi_url=f"{API}/openapi.json",
        docs_url=f"{API}/docs",
        redoc_url=None,
    )
    app.state.services = services
    errors.install(app)
    for module in ROUTERS:
        # Any request may be too large, malformed, or meet an unreachable database.
        app.include_router(module.router, prefix=API, responses=errors.documented(413, 422, 503))
    app.add_middleware(WellFormedText)  # inside the limit: it reads only bodies the limit let through
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
    return app
