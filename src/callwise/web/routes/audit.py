"""The audit log for auditors: read page by page, and verify the whole chain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import select

from callwise.ops import audit as audit_log
from callwise.ops.models import AuditEntry
from callwise.web.deps import AuditRead, ServicesDep
from callwise.web.errors import documented
from callwise.web.routes._paging import AfterId, Cursor, IdPage, Keyset, Limit, keyset_page, start_after

router = APIRouter(prefix="/audit", tags=["audit"], responses=documented(401, 403))


class EntryOut(BaseModel):
    entry_id: int
    ts: datetime
    actor: str
    action: str
    target: str | None
    detail: dict[str, Any]
    ip: str | None
    hash: str


class VerifyOut(BaseModel):
    ok: bool
    checked: int
    first_bad_id: int | None
    reason: str | None
    message_zh: str
    head_hash: str


@router.get("", summary="Audit entries, page by page")
def entries(
    _: AuditRead,
    svc: ServicesDep,
    after_id: AfterId = 0,
    cursor: Cursor = None,
    limit: Limit = 500,
    action: str | None = None,
) -> IdPage[EntryOut]:
    query = select(AuditEntry)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    start = start_after(cursor, after_id)
    with svc.factory() as session:
        found = keyset_page(
            session,
            query,
            Keyset([AuditEntry.entry_id]),
            start,
            limit,
            lambda r: EntryOut.model_validate(r, from_attributes=True),
        )
    return IdPage[EntryOut](**found)


@router.get("/verify", summary="Re-hash the whole chain and report the first broken entry")
def verify(_: AuditRead, svc: ServicesDep) -> VerifyOut:
    with svc.factory() as session:
        report = audit_log.verify(session)
    return VerifyOut(
        ok=report.ok,
        checked=report.checked,
        first_bad_id=report.first_bad_id,
        reason=report.reason,
        message_zh=report.message("zh"),
        head_hash=report.head_hash,
    )
