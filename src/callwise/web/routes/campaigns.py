"""Campaigns, list builds as background jobs with progress, and issued lists page by page."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy import select

from callwise.lists.campaign import CampaignSettings
from callwise.ops import audit
from callwise.ops.db import transaction
from callwise.ops.jobs import new_build_job
from callwise.ops.models import Campaign, IssuedList, Job, ListItem
from callwise.security.pii import Pii
from callwise.web.deps import CampaignsRead, CampaignsWrite, ListsBuild, ListsRead, RowId, ServicesDep, client_ip
from callwise.web.errors import ApiError, documented
from callwise.web.routes._paging import AfterId, Limit, Page, page

router = APIRouter(tags=["campaigns"], responses=documented(401, 403))


class CampaignOut(BaseModel):
    campaign_id: str
    name: str
    product_id: str
    status: str
    spec: dict[str, Any]
    created_by: str
    created_at: datetime


class JobOut(BaseModel):
    job_id: str
    kind: str
    campaign_id: str | None
    status: str
    progress: float
    stage: str | None
    result: dict[str, Any] | None
    error: str | None
    error_zh: str | None
    attempts: int  # how many times a worker started it (a job is started again when its process died)
    created_at: datetime
    updated_at: datetime


class IssuedListOut(BaseModel):
    list_id: int
    campaign_id: str
    issued_at: datetime
    issued_by: str
    policy_sha256: str
    model_version: str | None
    items: int


class ItemOut(BaseModel):
    item_id: int
    customer_id: str
    product_id: str
    slot_start: datetime
    agent_id: str | None
    attempt: int
    arm: str | None
    phone: str  # masked unless reveal=true and the caller holds pii:read
    hints: str | None
    status: str
    status_reason: str | None


@router.post("/campaigns", status_code=201, responses=documented(409), summary="Create a campaign")
def post_campaign(principal: CampaignsWrite, body: CampaignSettings, request: Request, svc: ServicesDep) -> CampaignOut:
    spec = body.model_dump(mode="json")  # checked as a campaign file is (arms summing to 1, hours, …)
    with transaction(svc.factory) as session:
        if session.get(Campaign, body.campaign_id) is not None:
            raise ApiError(409, "conflict", what=f"campaign {body.campaign_id} exists")
        row = Campaign(
            campaign_id=body.campaign_id,
            name=body.name,
            product_id=body.product_id,
            spec=spec,
            created_by=principal.name,
        )
        session.add(row)
        session.flush()
        audit.append(session, principal.name, "campaign.create", f"campaign:{body.campaign_id}", {}, client_ip(request))
        return CampaignOut.model_validate(row, from_attributes=True)


@router.get("/campaigns", summary="All campaigns, newest first")
def list_campaigns(_: CampaignsRead, svc: ServicesDep) -> list[CampaignOut]:
    with svc.factory() as session:
        rows = session.scalars(select(Campaign).order_by(Campaign.created_at.desc()).limit(1000)).all()
        return [CampaignOut.model_validate(r, from_attributes=True) for r in rows]


@router.get("/campaigns/{campaign_id}", responses=documented(404), summary="One campaign")
def get_campaign(_: CampaignsRead, campaign_id: str, svc: ServicesDep) -> CampaignOut:
    with svc.factory() as session:
        row = session.get(Campaign, campaign_id)
        if row is None:
            raise ApiError(404, "not_found", what=f"campaign {campaign_id}")
        return CampaignOut.model_validate(row, from_attributes=True)


@router.post(
    "/campaigns/{campaign_id}/builds",
    status_code=202,
    responses=documented(404, 409),
    summary="Build and issue a list (a background job)",
)
def post_build(principal: ListsBuild, campaign_id: str, svc: ServicesDep) -> JobOut:
    if svc.lake is None:
        raise ApiError(409, "conflict", what="the service has no lake to build lists from")
    with transaction(svc.factory) as session:
        if session.get(Campaign, campaign_id) is None:
            raise ApiError(404, "not_found", what=f"campaign {campaign_id}")
        job = new_build_job(session, campaign_id, principal.name)
        out = JobOut.model_validate(job, from_attributes=True)
    if svc.jobs is not None:  # queued in the database: this process's worker, or any other's, runs it
        svc.jobs.wake()
    return out


@router.get("/jobs/{job_id}", responses=documented(404), summary="A job's status and progress")
def get_job(_: ListsRead, job_id: str, svc: ServicesDep) -> JobOut:
    with svc.factory() as session:
        job = session.get(Job, job_id)
        if job is None:
            raise ApiError(404, "not_found", what=f"job {job_id}")
        return JobOut.model_validate(job, from_attributes=True)


@router.get("/campaigns/{campaign_id}/lists", summary="The lists issued for a campaign")
def list_lists(_: ListsRead, campaign_id: str, svc: ServicesDep) -> list[IssuedListOut]:
    with svc.factory() as session:
        rows = session.scalars(
            select(IssuedList).where(IssuedList.campaign_id == campaign_id).order_by(IssuedList.list_id)
        )
        return [IssuedListOut.model_validate(r, from_attributes=True) for r in rows]


@router.get("/lists/{list_id}/items", responses=documented(404), summary="An issued list's calls, page by page")
def list_items(
    principal: ListsRead,
    list_id: RowId,
    request: Request,
    svc: ServicesDep,
    after_id: AfterId = 0,
    limit: Limit = 500,
    status: str | None = None,
    reveal: bool = False,
) -> Page[ItemOut]:
    if reveal and "pii:read" not in principal.permissions:
        raise ApiError(403, "forbidden", permission="pii:read")
    query = select(ListItem).where(ListItem.list_id == list_id, ListItem.item_id > after_id)
    if status is not None:
        query = query.where(ListItem.status == status)
    with transaction(svc.factory) as session:
        if session.get(IssuedList, list_id) is None:
            raise ApiError(404, "not_found", what=f"list {list_id}")
        rows = session.scalars(query.order_by(ListItem.item_id).limit(limit + 1)).all()
        items = [_item(r, reveal, svc.pii) for r in rows]
        if reveal and rows:
            detail = {"list_id": list_id, "items": min(len(rows), limit), "after_id": after_id}
            audit.append(session, principal.name, "list.export_pii", f"list:{list_id}", detail, client_ip(request))
    return Page[ItemOut](**page(items, limit, "item_id"))


def _item(row: ListItem, reveal: bool, pii: Pii) -> dict[str, Any]:
    phone = row.phone_masked
    if reveal and row.phone_enc is not None:
        phone = pii.open(row.customer_id, "phone", row.phone_enc) or row.phone_masked
    return {
        "item_id": row.item_id,
        "customer_id": row.customer_id,
        "product_id": row.product_id,
        "slot_start": row.slot_start,
        "agent_id": row.agent_id,
        "attempt": row.attempt,
        "arm": row.arm,
        "phone": phone,
        "hints": row.hints,
        "status": row.status,
        "status_reason": row.status_reason,
    }
