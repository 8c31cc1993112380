"""What every route needs, as typed dependencies: the services, the caller, and a permission check."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Request
from fastapi import Path as PathParam
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from callwise.lake import Lake
from callwise.ops.job_queue import JobConfig
from callwise.ops.job_worker import JobWorker
from callwise.ops.lookups import LookupLimit
from callwise.ops.outcomes import FollowupPlanner
from callwise.ops.users import Principal, principal_for
from callwise.policy import Policy
from callwise.security.pii import Pii
from callwise.security.rbac import PEOPLE_ONLY
from callwise.web.errors import ApiError

if TYPE_CHECKING:
    from callwise.tags import Catalogue


@dataclass
class Services:
    """Everything the service holds for its lifetime; built once by ``create_app``."""

    engine: Engine
    factory: sessionmaker[Session]
    pii: Pii
    lake: Lake | None = None
    policy: Policy | None = None
    plan_followups: FollowupPlanner | None = None  # as record_outcomes takes it: (session, stored outcomes)
    bank_timezone: str = "Asia/Shanghai"
    models_dir: Path | None = None  # models may be registered only from directories under this one
    # Answers to look-ups by phone or ID number, per user and window (decision 0012).
    lookups: LookupLimit = field(default_factory=LookupLimit)
    job_config: JobConfig = field(default_factory=JobConfig)
    jobs: JobWorker | None = None  # this process's job runner, while the app's lifespan runs it
    board_idle: timedelta = timedelta(minutes=30)  # a dashboard session unused this long is ended
    tags: Catalogue | None = None  # the tag catalogue audiences name; the shipped one when None
    receipt_secret: object | None = None  # the webhook secret: senders sign their receipts with it when set


def services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(services)]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def caller(request: Request, svc: ServicesDep) -> Principal:
    """The principal behind the bearer token; 401 for none, an unknown, expired or revoked one."""
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise ApiError(401, "unauthenticated", headers={"WWW-Authenticate": "Bearer"})
    with svc.factory() as session:
        principal = principal_for(session, secret.strip())
    if principal is None:
        raise ApiError(401, "unauthenticated", headers={"WWW-Authenticate": "Bearer"})
    return principal


CallerDep = Annotated[Principal, Depends(caller)]

# A row id in a path: bounded, so an id no database column can hold is a 422, not an overflow in the driver.
RowId = Annotated[int, PathParam(ge=1, le=2**62, description="a row id")]


def require(permission: str) -> Any:
    """A dependency that lets the request through only when the caller holds ``permission``."""

    def check(principal: CallerDep) -> Principal:
        if permission not in principal.permissions:
            refused = principal.kind == "machine" and permission in PEOPLE_ONLY
            raise ApiError(403, "machine_token_refused" if refused else "forbidden", permission=permission)
        return principal

    check.permission = permission  # type: ignore[attr-defined]  # read by the permission-matrix test and the docs
    return Depends(check)


# One alias per permission, so a route states what it needs in its signature: ``principal: OutcomesWrite``.
CampaignsRead = Annotated[Principal, require("campaigns:read")]
CampaignsWrite = Annotated[Principal, require("campaigns:write")]
ListsBuild = Annotated[Principal, require("lists:build")]
ListsRead = Annotated[Principal, require("lists:read")]
PiiRead = Annotated[Principal, require("pii:read")]
OutcomesWrite = Annotated[Principal, require("outcomes:write")]
OutcomesRead = Annotated[Principal, require("outcomes:read")]
CustomersRead = Annotated[Principal, require("customers:read")]
DncWrite = Annotated[Principal, require("dnc:write")]
ConsentWrite = Annotated[Principal, require("consent:write")]
ModelsRead = Annotated[Principal, require("models:read")]
ModelsWrite = Annotated[Principal, require("models:write")]
MetricsRead = Annotated[Principal, require("metrics:read")]
UsersAdmin = Annotated[Principal, require("users:admin")]
AuditRead = Annotated[Principal, require("audit:read")]
TagsRead = Annotated[Principal, require("tags:read")]
CustomersExport = Annotated[Principal, require("customers:export")]
CustomersErase = Annotated[Principal, require("customers:erase")]
