"""Finding customers by a whole phone or ID number: the API's only query keyed by a PII value.

The value travels in the body, so it lands in no URL, proxy log or access log. Exact values only, every query
audited, answers rate-limited per user (``callwise.ops.lookups``; docs/decisions/0012-pii-lookups.md).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from callwise.ops.db import transaction
from callwise.ops.lookups import lookup_customers
from callwise.web.deps import CustomersRead, ServicesDep, client_ip
from callwise.web.errors import ApiError, ErrorBody, documented, invalid

router = APIRouter(prefix="/customer-lookups", tags=["customers"], responses=documented(401, 403))


class LookupIn(BaseModel):
    """Exactly one whole value to look up, as the customer writes it (+86, spaces and dashes are fine)."""

    model_config = ConfigDict(extra="forbid")
    phone: str | None = Field(default=None, min_length=1, max_length=32)
    id_number: str | None = Field(default=None, min_length=1, max_length=32)

    @model_validator(mode="after")
    def _one(self) -> LookupIn:
        if (self.phone is None) == (self.id_number is None):
            raise ValueError("give exactly one of phone and id_number")
        return self

    def key(self) -> tuple[str, str]:
        return ("phone", self.phone) if self.phone is not None else ("id_number", self.id_number or "")


class LookupOut(BaseModel):
    customer_ids: list[str]


@router.post(
    "",
    responses={429: {"model": ErrorBody, "description": "No look-ups left in the window; retry after Retry-After"}},
    summary="Find customers by a whole phone or ID number (in the body, never the URL; audited, rate-limited)",
)
def lookup(principal: CustomersRead, body: LookupIn, request: Request, svc: ServicesDep) -> LookupOut:
    key, value = body.key()
    with transaction(svc.factory) as session:
        result = lookup_customers(session, svc.pii, key, value, principal, client_ip(request), svc.lookups)
    if result.status == "invalid":
        raise invalid(f"body.{key}", result.problem or "")
    if result.status == "throttled":
        minutes = int(svc.lookups.window.total_seconds() // 60)
        raise ApiError(
            429,
            "too_many_lookups",
            headers={"Retry-After": str(result.retry_after_s)},
            limit=result.allowed,
            minutes=minutes,
            seconds=result.retry_after_s,
        )
    return LookupOut(customer_ids=result.customer_ids)
