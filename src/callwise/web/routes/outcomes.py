"""Call outcomes from dialers and agents: one or a batch, each stored exactly once by its idempotency key.

Items of a batch are checked one by one: the response says, per item, whether it was stored, was a
duplicate of an earlier one (stored before; not applied again) or was rejected, and why. An item is applied
whole or not at all, and the batch commits as one transaction, so a crash leaves either all of its
accepted items or none — the client's retry with the same keys then completes it without doubling anything.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from sqlalchemy import select

from callwise.ops.db import transaction
from callwise.ops.models import CallOutcome
from callwise.ops.outcomes import OutcomeIn, record_outcomes
from callwise.schema.contract import DISPOSITIONS
from callwise.web.deps import OutcomesRead, OutcomesWrite, ServicesDep
from callwise.web.errors import ApiError, documented, problems
from callwise.web.routes._paging import AfterId, Cursor, IdPage, Keyset, Limit, keyset_page, start_after
from callwise.web.times import UtcTime

router = APIRouter(prefix="/outcomes", tags=["outcomes"], responses=documented(401, 403))
MAX_BATCH = 1000


class OutcomeItem(BaseModel):
    """One call's outcome. Times carry their UTC offset (``2026-07-01T10:15:00+08:00``)."""

    model_config = ConfigDict(extra="forbid")
    idempotency_key: str = Field(min_length=1, max_length=128, description="the same key is stored only once")
    customer_id: str = Field(min_length=1, max_length=64)
    disposition: str = Field(json_schema_extra={"enum": list(DISPOSITIONS)})
    ts: UtcTime
    campaign_id: str | None = Field(default=None, max_length=64)
    item_id: int | None = Field(default=None, ge=1, le=2**62, description="the issued list item that was dialled")
    product_id: str | None = Field(default=None, max_length=64)
    agent_id: str | None = Field(default=None, max_length=64)
    duration_s: float | None = Field(default=None, ge=0, le=86_400)
    callback_at: UtcTime | None = None


class OutcomeBatch(BaseModel):
    outcomes: list[dict[str, Any]] = Field(
        min_length=1, max_length=MAX_BATCH, description="items as OutcomeItem; each is checked on its own"
    )


class ItemOut(BaseModel):
    index: int
    idempotency_key: str | None
    status: str  # stored, duplicate, rejected
    outcome_id: int | None = None
    code: str | None = None
    message: str | None = None
    details: list[dict[str, Any]] | None = None


class BatchOut(BaseModel):
    stored: int
    duplicates: int
    rejected: int
    items: list[ItemOut]


class OutcomeOut(BaseModel):
    outcome_id: int
    idempotency_key: str
    customer_id: str
    campaign_id: str | None
    item_id: int | None
    disposition: str
    ts: datetime
    agent_id: str | None
    duration_s: float | None
    source: str


_ITEM = TypeAdapter(OutcomeItem)


@router.post("", summary="Record a batch of outcomes (up to 1,000); per-item results")
def post_outcomes(principal: OutcomesWrite, body: OutcomeBatch, svc: ServicesDep) -> BatchOut:
    parsed: list[OutcomeIn] = []
    positions: list[int] = []
    invalid: dict[int, ItemOut] = {}
    for i, raw in enumerate(body.outcomes):
        try:
            parsed.append(_to_outcome(_ITEM.validate_python(raw)))
            positions.append(i)
        except ValidationError as error:
            key = raw.get("idempotency_key") if isinstance(raw.get("idempotency_key"), str) else None
            invalid[i] = ItemOut(
                index=i, idempotency_key=key, status="rejected", code="invalid", details=problems(error.errors())
            )
    with transaction(svc.factory) as session:
        results = record_outcomes(session, parsed, principal.name, "api", svc.plan_followups, svc.bank_timezone)
    items = dict(invalid)
    for position, r in zip(positions, results, strict=True):
        items[position] = ItemOut(
            index=position,
            idempotency_key=r.idempotency_key,
            status=r.status,
            outcome_id=r.outcome_id,
            code=r.code,
            message=r.message,
        )
    ordered = [items[i] for i in range(len(body.outcomes))]
    count = {s: sum(1 for it in ordered if it.status == s) for s in ("stored", "duplicate", "rejected")}
    return BatchOut(stored=count["stored"], duplicates=count["duplicate"], rejected=count["rejected"], items=ordered)


@router.put(
    "/{idempotency_key}",
    responses=documented(404),
    summary="Record one outcome; 201 when stored, 200 when it was stored before",
)
def put_outcome(
    principal: OutcomesWrite, idempotency_key: str, body: OutcomeItem, response: Response, svc: ServicesDep
) -> ItemOut:
    if body.idempotency_key != idempotency_key:
        raise ApiError(
            422, "validation", details=[{"where": "body.idempotency_key", "problem": "must equal the key in the path"}]
        )
    with transaction(svc.factory) as session:
        (r,) = record_outcomes(
            session, [_to_outcome(body)], principal.name, "api", svc.plan_followups, svc.bank_timezone
        )
    if r.status == "rejected":
        status = 404 if r.code == "unknown_customer" else 422
        raise ApiError(
            status,
            "not_found" if status == 404 else "validation",
            details=[{"where": "body", "problem": r.message, "type": r.code}],
            what=f"customer {body.customer_id}",
        )
    response.status_code = 201 if r.status == "stored" else 200
    return ItemOut(index=0, idempotency_key=r.idempotency_key, status=r.status, outcome_id=r.outcome_id)


@router.get("", summary="Stored outcomes, page by page")
def list_outcomes(
    _: OutcomesRead,
    svc: ServicesDep,
    after_id: AfterId = 0,
    cursor: Cursor = None,
    limit: Limit = 500,
    campaign_id: str | None = None,
) -> IdPage[OutcomeOut]:
    query = select(CallOutcome)
    if campaign_id is not None:
        query = query.where(CallOutcome.campaign_id == campaign_id)
    with svc.factory() as session:
        found = keyset_page(
            session,
            query,
            Keyset([CallOutcome.outcome_id]),
            start_after(cursor, after_id),
            limit,
            lambda r: OutcomeOut.model_validate(r, from_attributes=True),
        )
    return IdPage[OutcomeOut](**found)


def _to_outcome(item: OutcomeItem) -> OutcomeIn:
    return OutcomeIn(**dict(item))  # the same fields: the API's schema of the library's record
