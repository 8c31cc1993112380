"""Campaigns, list builds as background jobs with progress, and issued lists page by page."""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from callwise.lists.campaign import CampaignSettings
from callwise.lists.times import local_instant
from callwise.ops import audit
from callwise.ops.campaign_state import CampaignNotFound, IllegalTransition
from callwise.ops.campaign_state import close as close_campaign
from callwise.ops.campaigns import CampaignExists, NoLake, create_campaign, queue_build
from callwise.ops.db import transaction
from callwise.ops.dialer_export import ListNotFound, export_for_dialer
from callwise.ops.models import Campaign, Customer, IssuedList, Job, ListItem
from callwise.policy.calltime import zone
from callwise.security.pii import Pii
from callwise.web.deps import (
    CampaignsRead,
    CampaignsWrite,
    ListsBuild,
    ListsRead,
    PiiRead,
    RowId,
    ServicesDep,
    client_ip,
)
from callwise.web.errors import ApiError, documented, invalid
from callwise.web.routes._paging import AfterId, Cursor, IdPage, Keyset, Limit, Page, keyset_page, start_after

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
    slot_start: datetime  # UTC, written with Z
    slot_start_local: datetime  # the same instant on the customer's clock, with its offset
    timezone: str  # the customer's IANA zone (slot_start_local's)
    agent_id: str | None
    attempt: int
    arm: str | None
    phone: str  # masked unless reveal=true and the caller holds pii:read
    hints: str | None
    status: str
    status_reason: str | None


@router.post("/campaigns", status_code=201, responses=documented(409), summary="Create a campaign")
def post_campaign(principal: CampaignsWrite, body: CampaignSettings, request: Request, svc: ServicesDep) -> CampaignOut:
    _check_audience(body, principal.permissions, svc)
    _check_trigger(body)
    with transaction(svc.factory) as session:
        try:
            row = create_campaign(session, body, principal.name, client_ip(request))
        except CampaignExists:
            raise ApiError(409, "conflict", what=f"campaign {body.campaign_id} exists") from None
        return CampaignOut.model_validate(row, from_attributes=True)


def _check_audience(body: CampaignSettings, permissions: frozenset[str], svc: ServicesDep) -> None:
    """The audience checked as the campaign file's is: unknown names, syntax, a sensitive tag without permission."""
    from callwise.lists.campaign import check_campaign_audience
    from callwise.tags import AudienceError
    from callwise.tags.catalogue import SENSITIVE_PERMISSION

    try:
        check_campaign_audience(body, permissions, svc.tags)
    except AudienceError as error:
        if error.reason.key == "tags.audience.sensitive":
            raise ApiError(403, "forbidden", permission=SENSITIVE_PERMISSION) from None
        raise invalid("body.audience", str(error)) from None


def _check_trigger(body: CampaignSettings) -> None:
    """The trigger: ids checked as the campaign file's are: against the shipped trigger catalogue, none twice."""
    from callwise.i18n.errors import say
    from callwise.lists.campaign import trigger_problem

    if body.trigger is None:
        return
    reason = trigger_problem(body)
    if reason is not None:
        raise invalid("body.trigger", say(reason.key, "en", **dict(reason.values))) from None


@router.get("/campaigns", summary="All campaigns, newest first, page by page")
def list_campaigns(_: CampaignsRead, svc: ServicesDep, cursor: Cursor = None, limit: Limit = 500) -> Page[CampaignOut]:
    newest_first = Keyset([Campaign.created_at, Campaign.campaign_id], descending=True)
    with svc.factory() as session:
        found = keyset_page(session, select(Campaign), newest_first, cursor, limit, _campaign_out)
    return Page[CampaignOut](**found)


def _campaign_out(row: Campaign) -> CampaignOut:
    return CampaignOut.model_validate(row, from_attributes=True)


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
    with transaction(svc.factory) as session:
        try:
            job = queue_build(session, campaign_id, principal.name, svc.lake is not None)
        except CampaignNotFound:
            raise ApiError(404, "not_found", what=f"campaign {campaign_id}") from None
        except IllegalTransition:
            raise ApiError(409, "campaign_state", campaign_id=campaign_id, current="closed", wanted="built") from None
        except NoLake:
            raise ApiError(409, "conflict", what="the service has no lake to build lists from") from None
        out = JobOut.model_validate(job, from_attributes=True)
    if svc.jobs is not None:  # queued in the database: this process's worker, or any other's, runs it
        svc.jobs.wake()
    return out


@router.post(
    "/campaigns/{campaign_id}/close",
    responses=documented(404, 409),
    summary="Close a campaign (draft → built → issued → running → closed; audited)",
)
def post_close(principal: CampaignsWrite, campaign_id: str, request: Request, svc: ServicesDep) -> CampaignOut:
    with transaction(svc.factory) as session:
        try:
            row = close_campaign(session, campaign_id, principal.name, client_ip(request))
        except CampaignNotFound:
            raise ApiError(404, "not_found", what=f"campaign {campaign_id}") from None
        except IllegalTransition as refused:
            raise ApiError(
                409, "campaign_state", campaign_id=campaign_id, current=refused.current, wanted=refused.wanted
            ) from None
        return CampaignOut.model_validate(row, from_attributes=True)


@router.get("/jobs/{job_id}", responses=documented(404), summary="A job's status and progress")
def get_job(_: ListsRead, job_id: str, svc: ServicesDep) -> JobOut:
    with svc.factory() as session:
        job = session.get(Job, job_id)
        if job is None:
            raise ApiError(404, "not_found", what=f"job {job_id}")
        return JobOut.model_validate(job, from_attributes=True)


@router.get("/campaigns/{campaign_id}/lists", summary="The lists issued for a campaign, page by page")
def list_lists(
    _: ListsRead, campaign_id: str, svc: ServicesDep, cursor: Cursor = None, limit: Limit = 500
) -> Page[IssuedListOut]:
    query = select(IssuedList).where(IssuedList.campaign_id == campaign_id)
    with svc.factory() as session:
        found = keyset_page(session, query, Keyset([IssuedList.list_id]), cursor, limit, _issued_out)
    return Page[IssuedListOut](**found)


def _issued_out(row: IssuedList) -> IssuedListOut:
    return IssuedListOut.model_validate(row, from_attributes=True)


@router.get("/lists/{list_id}/items", responses=documented(404), summary="An issued list's calls, page by page")
def list_items(
    principal: ListsRead,
    list_id: RowId,
    request: Request,
    svc: ServicesDep,
    after_id: AfterId = 0,
    cursor: Cursor = None,
    limit: Limit = 500,
    status: str | None = None,
    reveal: bool = False,
) -> IdPage[ItemOut]:
    if reveal and "pii:read" not in principal.permissions:
        raise ApiError(403, "forbidden", permission="pii:read")
    query = select(ListItem).where(ListItem.list_id == list_id)
    if status is not None:
        query = query.where(ListItem.status == status)
    start = start_after(cursor, after_id)
    with transaction(svc.factory) as session:
        if session.get(IssuedList, list_id) is None:
            raise ApiError(404, "not_found", what=f"list {list_id}")
        keyset = Keyset([ListItem.item_id])
        found = keyset_page(session, query, keyset, start, limit, lambda r: r)
        rows = found["items"]
        zones = _zones(session, {r.customer_id for r in rows})
        found["items"] = [_item(r, reveal, svc.pii, zones.get(r.customer_id, svc.bank_timezone)) for r in rows]
        if reveal and rows:
            detail = {"list_id": list_id, "items": len(rows), "after_id": after_id, "cursor": cursor}
            audit.append(session, principal.name, "list.export_pii", f"list:{list_id}", detail, client_ip(request))
    return IdPage[ItemOut](**found)


def _zones(session: Session, customer_ids: set[str]) -> dict[str, str]:
    """Each customer's time zone (a page holds at most a few hundred customers)."""
    if not customer_ids:
        return {}
    query = select(Customer.customer_id, Customer.timezone).where(Customer.customer_id.in_(sorted(customer_ids)))
    return {str(customer_id): str(zone) for customer_id, zone in session.execute(query)}


def _item(row: ListItem, reveal: bool, pii: Pii, timezone: str) -> dict[str, Any]:
    shown_zone = timezone if zone(timezone) is not None else "UTC"  # an unreadable zone: the instant in UTC
    phone = row.phone_masked
    if reveal and row.phone_enc is not None:
        phone = pii.open(row.customer_id, "phone", row.phone_enc) or row.phone_masked
    return {
        "item_id": row.item_id,
        "customer_id": row.customer_id,
        "product_id": row.product_id,
        "slot_start": row.slot_start,
        "slot_start_local": local_instant(row.slot_start, shown_zone),
        "timezone": shown_zone,
        "agent_id": row.agent_id,
        "attempt": row.attempt,
        "arm": row.arm,
        "phone": phone,
        "hints": row.hints,
        "status": row.status,
        "status_reason": row.status_reason,
    }


class DialerExportIn(BaseModel):
    """Which file: ``csv`` and ``xlsx`` (callwise's columns), ``vicidial`` (VICIdial's standard list-loader layout)."""

    format: Literal["csv", "xlsx", "vicidial"] = "csv"


_MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "vicidial": "text/csv; charset=utf-8",
}
_FILE_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file; X-Callwise-Rows says how many calls it holds",
        "content": {media: {"schema": {"type": "string", "format": "binary"}} for media in set(_MEDIA.values())},
    }
}


@router.post(
    "/campaigns/{campaign_id}/lists/{list_id}/dialer-exports",
    response_class=Response,
    responses={**_FILE_RESPONSE, **documented(404)},
    summary="A dialer file of an issued list's pending calls, with real numbers (pii:read; audited)",
)
def post_dialer_export(
    principal: PiiRead,
    campaign_id: str,
    list_id: RowId,
    body: DialerExportIn,
    request: Request,
    svc: ServicesDep,
) -> Response:
    suffix = "xlsx" if body.format == "xlsx" else "csv"
    name = f"list-{list_id}-{body.format}.{suffix}"
    with tempfile.TemporaryDirectory(prefix="callwise-export-") as scratch:  # 0700, removed with the file
        path = Path(scratch) / name
        try:
            with transaction(svc.factory) as session:
                done = export_for_dialer(
                    session,
                    svc.pii,
                    principal,
                    list_id,
                    body.format,
                    path,
                    campaign_id=campaign_id,
                    ip=client_ip(request),
                )
        except ListNotFound:
            raise ApiError(404, "not_found", what=f"list {list_id} of campaign {campaign_id}") from None
        content = path.read_bytes()
    headers = {
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "no-store",
        "X-Callwise-Rows": str(done.rows),
    }
    return Response(content, media_type=_MEDIA[body.format], headers=headers)
