"""Customers by id: masked unless the caller may read PII (every reveal audited), DNC, consent, PIPL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel

from callwise.clock import today_in, utcnow
from callwise.customers import customer_profile
from callwise.ops.customers import (
    FutureConsent,
    StaleConsent,
    customer_view,
    erase_customer,
    export_customer,
    set_consent,
    set_dnc,
)
from callwise.ops.db import transaction
from callwise.policy import default_policy
from callwise.web.deps import (
    ConsentWrite,
    CustomersErase,
    CustomersExport,
    CustomersRead,
    DncWrite,
    ServicesDep,
    client_ip,
)
from callwise.web.errors import ApiError, documented, invalid
from callwise.web.times import UtcTime

router = APIRouter(prefix="/customers", tags=["customers"], responses=documented(401, 403))


class CustomerOut(BaseModel):
    customer_id: str
    phone: str | None
    name: str | None
    id_number: str | None
    masked: bool
    timezone: str
    status: str
    dnc: bool
    consent_marketing: bool
    refused_at: datetime | None
    complaint_at: datetime | None
    erased: bool


class ConsentIn(BaseModel):
    granted: bool
    at: UtcTime | None = None  # when the customer gave or withdrew it; now when not given
    source: str = "api"


class Changed(BaseModel):
    customer_id: str
    withdrawn_calls: int


@router.get(
    "/{customer_id}",
    responses=documented(404),
    summary="One customer; reveal=true shows contact details in clear (needs pii:read)",
)
def get_customer(
    principal: CustomersRead,
    customer_id: str,
    request: Request,
    svc: ServicesDep,
    reveal: bool = False,
) -> CustomerOut:
    if reveal and "pii:read" not in principal.permissions:
        raise ApiError(403, "forbidden", permission="pii:read")
    with transaction(svc.factory) as session:
        return CustomerOut(**customer_view(session, svc.pii, customer_id, reveal, principal.name, client_ip(request)))


@router.get(
    "/{customer_id}/profile",
    responses=documented(404),
    summary="The customer 360 profile: identity (masked unless reveal=true with pii:read), tags by category "
    "(sensitive ones only with tags:sensitive), segment, holdings, transactions, activity, contacts, consent, "
    "scores and why on or off each current list; audited",
)
def get_profile(
    principal: CustomersRead,
    customer_id: str,
    request: Request,
    svc: ServicesDep,
    reveal: bool = False,
) -> dict[str, Any]:
    if reveal and "pii:read" not in principal.permissions:
        raise ApiError(403, "forbidden", permission="pii:read")
    with transaction(svc.factory) as session:
        return customer_profile(
            session,
            svc.lake,
            svc.pii,
            customer_id,
            principal,
            client_ip(request),
            on=today_in(svc.bank_timezone),
            policy=svc.policy or default_policy(),
            catalogue=svc.tags,
            reveal=reveal,
            source="api",
        )


@router.post(
    "/{customer_id}/dnc",
    responses=documented(404),
    summary="Record a do-not-call request: in force for every list from now on",
)
def post_dnc(principal: DncWrite, customer_id: str, request: Request, svc: ServicesDep) -> Changed:
    with transaction(svc.factory) as session:
        withdrawn = set_dnc(session, customer_id, principal.name, client_ip(request))
    return Changed(customer_id=customer_id, withdrawn_calls=withdrawn)


@router.post(
    "/{customer_id}/consent",
    responses=documented(404, 409),
    summary="Record marketing consent given or withdrawn; a withdrawal always takes effect at once",
)
def post_consent(
    principal: ConsentWrite, customer_id: str, body: ConsentIn, request: Request, svc: ServicesDep
) -> Changed:
    at = body.at or utcnow()
    try:
        with transaction(svc.factory) as session:
            withdrawn = set_consent(
                session, customer_id, body.granted, at, principal.name, client_ip(request), body.source[:32]
            )
    except FutureConsent as error:
        raise invalid("body.at", str(error)) from None
    except StaleConsent:
        raise ApiError(409, "stale_consent", at=at.isoformat()) from None
    return Changed(customer_id=customer_id, withdrawn_calls=withdrawn)


@router.get(
    "/{customer_id}/export",
    responses=documented(404),
    summary="Everything held on a customer (PIPL access request; audited)",
)
def get_export(principal: CustomersExport, customer_id: str, request: Request, svc: ServicesDep) -> dict[str, Any]:
    with transaction(svc.factory) as session:
        return export_customer(session, svc.pii, customer_id, principal.name, client_ip(request))


@router.delete(
    "/{customer_id}",
    status_code=204,
    responses=documented(404),
    summary="Erase a customer's personal data (PIPL; audited)",
)
def delete_customer(principal: CustomersErase, customer_id: str, request: Request, svc: ServicesDep) -> None:
    with transaction(svc.factory) as session:
        erase_customer(session, customer_id, principal.name, client_ip(request))
