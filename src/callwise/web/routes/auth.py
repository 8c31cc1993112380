"""Logins for people (session tokens) and bearer tokens for machines (dialers, CRM systems)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from callwise.ops.db import transaction
from callwise.ops.users import UserError, create_machine_token, login, revoke_token
from callwise.security.errors import UnknownScopeError
from callwise.security.tokens import Scopes
from callwise.web.deps import CallerDep, RowId, ServicesDep, UsersAdmin, client_ip
from callwise.web.errors import ApiError, documented, invalid

router = APIRouter(prefix="/auth", tags=["auth"])


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class TokenOut(BaseModel):
    token: str  # shown once; only its digest is stored
    token_id: int
    expires_at: datetime
    scopes: list[str]


class MachineTokenIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    scopes: list[str] = Field(min_length=1, max_length=32)
    days: int = Field(default=90, ge=1, le=366)


class Me(BaseModel):
    name: str
    kind: str
    permissions: list[str]


@router.post(
    "/login", responses=documented(401, 429), summary="Log in with user name and password; returns a session token"
)
def post_login(body: LoginIn, request: Request, svc: ServicesDep) -> TokenOut:
    with transaction(svc.factory) as session:
        result = login(session, body.username, body.password, client_ip(request))
    if result.status == "throttled":
        raise ApiError(
            429, "too_many_logins", headers={"Retry-After": str(result.wait_minutes * 60)}, minutes=result.wait_minutes
        )
    if result.status != "ok" or result.token is None or result.secret is None:
        raise ApiError(401, "unauthenticated")
    token = result.token
    return TokenOut(
        token=result.secret, token_id=token.token_id, expires_at=token.expires_at, scopes=sorted(result.permissions)
    )


@router.get("/me", responses=documented(401), summary="Who the token belongs to and what it may do")
def me(principal: CallerDep) -> Me:
    return Me(name=principal.name, kind=principal.kind, permissions=sorted(principal.permissions))


@router.post(
    "/tokens", status_code=201, responses=documented(401, 403), summary="Create a machine token with scopes and expiry"
)
def post_token(principal: UsersAdmin, body: MachineTokenIn, request: Request, svc: ServicesDep) -> TokenOut:
    try:
        scopes = Scopes.parse(body.scopes)
        with transaction(svc.factory) as session:
            secret, token = create_machine_token(session, principal, body.name, scopes, body.days, client_ip(request))
    except (UserError, UnknownScopeError) as error:
        raise invalid("body.scopes", str(error)) from None
    return TokenOut(token=secret, token_id=token.token_id, expires_at=token.expires_at, scopes=sorted(scopes))


@router.delete("/tokens/{token_id}", status_code=204, responses=documented(401, 403, 404), summary="Revoke a token")
def delete_token(principal: UsersAdmin, token_id: RowId, request: Request, svc: ServicesDep) -> None:
    try:
        with transaction(svc.factory) as session:
            revoke_token(session, token_id, principal, client_ip(request))
    except UserError:
        raise ApiError(404, "not_found", what=f"token {token_id}") from None
