"""Liveness with a database check: load balancers take an instance out while its database is away."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from callwise import __version__
from callwise.web.deps import ServicesDep

router = APIRouter(tags=["health"])


@router.get("/health", summary="Service and database status (no login needed)")
def health(svc: ServicesDep) -> dict[str, str]:
    with svc.engine.connect() as connection:  # an unreachable database raises and becomes a 503
        connection.execute(text("SELECT 1"))
    return {"status": "ok", "database": svc.engine.dialect.name, "version": __version__}
