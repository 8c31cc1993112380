"""The FastAPI application: ``create_app`` wires the services, the error bodies, the limits, the routes and the
dashboard."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from callwise import __version__
from callwise.ops.job_queue import Claim
from callwise.ops.job_worker import JobWorker
from callwise.ops.jobs import run_build
from callwise.web import api_docs, errors
from callwise.web.deps import Services
from callwise.web.limits import BodyLimit
from callwise.web.routes import (
    attribution,
    audiences,
    audit,
    auth,
    campaigns,
    customers,
    health,
    lookups,
    metrics,
    models,
    outcomes,
    receipts,
    results,
    users,
)
from callwise.web.text import WellFormedText
from callwise.web.ui import install as board

API = "/api/v1"
ROUTERS = (
    health,
    auth,
    users,
    campaigns,
    outcomes,
    receipts,
    customers,
    lookups,
    models,
    metrics,
    results,
    attribution,
    audit,
    audiences,
)


def create_app(services: Services, max_body_bytes: int = 2_000_000) -> FastAPI:
    app = FastAPI(
        title="callwise",
        version=__version__,
        description="Outbound-call precision marketing for banks: lists for dialers, outcomes back, inside the rules.",
        openapi_url=f"{API}/openapi.json",
        docs_url=None,  # api_docs serves the pages with their own assets (no CDN)
        redoc_url=None,
        lifespan=_run_jobs,
    )
    app.state.services = services
    errors.install(app)
    api_docs.install(app, API)
    for module in ROUTERS:
        # Any request may be too large, malformed, or meet an unreachable database.
        app.include_router(module.router, prefix=API, responses=errors.documented(413, 422, 503))
    board.install(app)  # the dashboard's pages, beside the API
    app.add_middleware(WellFormedText)  # inside the limit: it reads only bodies the limit let through
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
    app.add_middleware(board.BoardCompression)  # outermost: it compresses what the board sends, nothing else
    return app


@asynccontextmanager
async def _run_jobs(app: FastAPI) -> AsyncIterator[None]:
    """This process's job worker lives as long as the app: started with it, stopped (bounded) when it stops."""
    svc: Services = app.state.services

    def run(claim: Claim) -> None:  # the services as they are when the job runs
        run_build(svc.engine, svc.factory, svc.lake, claim, svc.bank_timezone, svc.policy, svc.models_dir)

    svc.jobs = JobWorker(svc.factory, run, svc.job_config).start()
    try:
        yield
    finally:
        worker, svc.jobs = svc.jobs, None
        await asyncio.to_thread(worker.stop)
