"""User accounts and their roles (every change audited)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from callwise.ops.db import transaction
from callwise.ops.models import User
from callwise.ops.users import USERNAME, UserError, create_user, roles_of, set_roles
from callwise.security.errors import UnknownRoleError, WeakPasswordError
from callwise.web.deps import ServicesDep, UsersAdmin, client_ip
from callwise.web.errors import ApiError, documented, invalid
from callwise.web.routes._paging import Cursor, Keyset, Limit, Page, keyset_page

router = APIRouter(prefix="/users", tags=["users"], responses=documented(401, 403))


class UserIn(BaseModel):
    username: str = Field(min_length=1, max_length=64, pattern=f"^{USERNAME.pattern}$")
    password: str = Field(min_length=1, max_length=1024)
    roles: list[str] = Field(min_length=1, max_length=5)


class RolesIn(BaseModel):
    roles: list[str] = Field(min_length=0, max_length=5)


class UserOut(BaseModel):
    username: str
    roles: list[str]
    active: bool
    created_at: datetime


@router.get("", summary="All users and their roles, by name, page by page")
def list_users(_: UsersAdmin, svc: ServicesDep, cursor: Cursor = None, limit: Limit = 500) -> Page[UserOut]:
    with svc.factory() as session:

        def out(u: User) -> UserOut:
            return UserOut(
                username=u.username, roles=roles_of(session, u.user_id), active=u.active, created_at=u.created_at
            )

        found = keyset_page(session, select(User), Keyset([User.username]), cursor, limit, out)
    return Page[UserOut](**found)


@router.post("", status_code=201, responses=documented(409), summary="Create a user")
def post_user(principal: UsersAdmin, body: UserIn, request: Request, svc: ServicesDep) -> UserOut:
    try:
        with transaction(svc.factory) as session:
            user = create_user(session, body.username, body.password, body.roles, principal, client_ip(request))
            return UserOut(
                username=user.username, roles=sorted(set(body.roles)), active=True, created_at=user.created_at
            )
    except UserError as error:
        raise ApiError(409, "conflict", what=str(error)) from None
    except (UnknownRoleError, WeakPasswordError) as error:
        raise invalid("body", str(error)) from None


@router.put("/{username}/roles", responses=documented(404), summary="Replace a user's roles")
def put_roles(principal: UsersAdmin, username: str, body: RolesIn, request: Request, svc: ServicesDep) -> UserOut:
    try:
        with transaction(svc.factory) as session:
            roles = set_roles(session, username, body.roles, principal, client_ip(request))
            user = session.scalars(select(User).where(User.username == username)).one()
            return UserOut(username=username, roles=roles, active=user.active, created_at=user.created_at)
    except UnknownRoleError as error:
        raise invalid("body.roles", str(error)) from None
    except UserError:
        raise ApiError(404, "not_found", what=f"user {username}") from None
