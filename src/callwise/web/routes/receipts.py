"""Delivery receipts from the senders (delivered, failed, opened, clicked, unsubscribed), each stored once.

When the service has a webhook secret, a receipt must be signed the way callwise signs its own webhooks
(``X-Callwise-Signature: sha256=<HMAC of "<timestamp>.<body>">`` and ``X-Callwise-Timestamp``), so nobody but the
sender can unsubscribe a customer or steer a journey's branch.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from callwise.journeys.receipts import RECEIPT_KINDS, Receipt, ReceiptResult, record_receipt
from callwise.loop.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_signature
from callwise.ops.db import transaction
from callwise.web.deps import OutcomesWrite, Services, ServicesDep
from callwise.web.errors import ApiError, documented, problems
from callwise.web.times import UtcTime

router = APIRouter(prefix="/receipts", tags=["receipts"], responses=documented(401, 403))


class ReceiptIn(BaseModel):
    """What a sender reports about one message it was given (by the message's dedupe key)."""

    model_config = ConfigDict(extra="forbid")
    dedupe_key: str = Field(min_length=1, max_length=160)
    kind: str = Field(json_schema_extra={"enum": list(RECEIPT_KINDS)}, pattern="^(" + "|".join(RECEIPT_KINDS) + ")$")
    ts: UtcTime


class ReceiptOut(BaseModel):
    status: str  # stored, duplicate


@router.post(
    "",
    status_code=201,
    responses=documented(404),
    summary="Record a sender's receipt; 201 when stored, 200 when it was stored before",
    openapi_extra={"requestBody": {"content": {"application/json": {"schema": ReceiptIn.model_json_schema()}}}},
)
async def post_receipt(principal: OutcomesWrite, request: Request, response: Response, svc: ServicesDep) -> ReceiptOut:
    body = await request.body()
    if svc.receipt_secret is not None and not verify_signature(
        svc.receipt_secret, body, request.headers.get(SIGNATURE_HEADER), request.headers.get(TIMESTAMP_HEADER)
    ):
        raise ApiError(401, "bad_signature")
    try:
        item = ReceiptIn.model_validate_json(body)
    except ValidationError as error:
        raise ApiError(422, "validation", details=problems(error.errors())) from None
    result = await run_in_threadpool(_store, svc, item, principal.name)
    if result.status == "unknown":
        raise ApiError(404, "not_found", what=f"message {item.dedupe_key}")
    response.status_code = 201 if result.status == "stored" else 200
    return ReceiptOut(status=result.status)


def _store(svc: Services, item: ReceiptIn, actor: str) -> ReceiptResult:
    with transaction(svc.factory) as session:
        return record_receipt(session, Receipt(item.dedupe_key, item.kind, item.ts), actor)
