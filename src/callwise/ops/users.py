"""People and machine clients: accounts, roles, logins with throttling, and bearer tokens with scopes.

A login hands out a session token whose permissions are read from the user's roles at every request, so a
role taken away takes effect at once. A machine token carries the scopes it was given (never more than its
creator holds) and an expiry. Only SHA-256 digests of token secrets are stored.

Separation of duties is enforced here, so the API and the command line obey it alike: nobody grants roles to
themselves, the last active administrator keeps the role, and a machine token neither holds a people-only
permission (``rbac.PEOPLE_ONLY``) nor creates, changes or revokes users and tokens (``DutyRefused``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.orm import Session

from callwise.clock import utcnow
from callwise.ops import audit
from callwise.ops.models import ApiToken, LoginAttempt, User, UserRole
from callwise.security.errors import DutyRefused
from callwise.security.passwords import check_password_strength, hash_password, needs_rehash, verify_password
from callwise.security.rbac import PEOPLE_ONLY, Role, permissions_for
from callwise.security.tokens import Scopes, new_token, token_digest

USERNAME = re.compile(r"[A-Za-z0-9_.@\-]{1,64}")
SESSION_HOURS = 8
FAILED_LOGINS_PER_USER = 5  # within the window, then the account waits
FAILED_LOGINS_PER_ADDRESS = 20  # within the window, then the address waits (password spraying)
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_MACHINE_TOKEN_DAYS = 366


class UserError(ValueError):
    """A request about users or tokens that cannot be done (exists already, unknown, too broad…)."""


@dataclass(frozen=True)
class LoginResult:
    """``ok`` (with the token), ``failed`` or ``throttled``: returned, not raised, so the attempt commits."""

    status: str
    secret: str | None = None
    token: ApiToken | None = None
    permissions: frozenset[str] = frozenset()
    wait_minutes: int = 0


@dataclass(frozen=True)
class Principal:
    """Who is calling and what they may do."""

    name: str
    kind: str  # session, machine
    permissions: frozenset[str]
    user_id: int | None = None
    token_id: int | None = None


# Who changes users and tokens: the API's caller, or the name of an operator at the command line (who holds the
# database itself, so is no user of it).
Actor = Principal | str


def create_user(session: Session, username: str, password: str, roles: list[str], actor: Actor, ip: str | None) -> User:
    actor_name = _person(actor)
    username = username.strip()
    if not USERNAME.fullmatch(username):
        raise UserError("a user name is 1 to 64 letters, digits or . _ @ -")
    permissions_for(roles)  # unknown roles are refused with their names
    check_password_strength(password, user_name=username)
    if session.scalar(select(User.user_id).where(User.username == username)) is not None:
        raise UserError(f"user {username!r} exists already")
    user = User(username=username, password_hash=hash_password(password))
    session.add(user)
    session.flush()
    session.add_all([UserRole(user_id=user.user_id, role=r) for r in sorted(set(roles))])
    audit.append(session, actor_name, "user.create", f"user:{username}", {"roles": sorted(set(roles))}, ip)
    return user


def set_roles(session: Session, username: str, roles: list[str], actor: Actor, ip: str | None) -> list[str]:
    """Replace a user's roles (a permission change: audited with the before and after); no one adds roles to
    their own account, and the last active administrator cannot lose the role."""
    actor_name = _person(actor)
    permissions_for(roles)
    user = _user(session, username)
    before = roles_of(session, user.user_id)
    after = sorted(set(roles))
    added = sorted(set(after) - set(before))
    if added and isinstance(actor, Principal) and actor.user_id == user.user_id:
        shown = ", ".join(added)
        raise DutyRefused("self_grant_refused", roles=shown)
    if Role.ADMIN in before and Role.ADMIN not in after and _active_admins(session) == [user.user_id]:
        raise DutyRefused("last_admin", user=username)
    session.execute(delete(UserRole).where(UserRole.user_id == user.user_id))
    session.add_all([UserRole(user_id=user.user_id, role=r) for r in after])
    audit.append(session, actor_name, "user.roles", f"user:{username}", {"before": before, "after": after}, ip)
    return after


def roles_of(session: Session, user_id: int) -> list[str]:
    return sorted(session.scalars(select(UserRole.role).where(UserRole.user_id == user_id)))


def login(session: Session, username: str, password: str, ip: str) -> LoginResult:
    """A session token for the right password; every attempt is recorded and audited, failures throttled."""
    now = utcnow()
    since = now - THROTTLE_WINDOW
    failed_user = _failures(session, LoginAttempt.username == username, since)
    failed_ip = _failures(session, LoginAttempt.ip == ip, since)
    if failed_user >= FAILED_LOGINS_PER_USER or failed_ip >= FAILED_LOGINS_PER_ADDRESS:
        audit.append(session, username, "login.throttled", f"user:{username}", {}, ip)
        return LoginResult("throttled", wait_minutes=int(THROTTLE_WINDOW.total_seconds() // 60))
    user = session.scalars(select(User).where(User.username == username, User.active.is_(True))).first()
    ok = verify_password(password, user.password_hash if user else None)
    session.add(LoginAttempt(username=username, ip=ip, ok=ok, ts=now))
    audit.append(session, username, "login.ok" if ok else "login.failed", f"user:{username}", {}, ip)
    if not ok or user is None:
        return LoginResult("failed")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    expires = now + timedelta(hours=SESSION_HOURS)
    secret, token = issue_token(session, f"login {username}", "session", None, expires, user)
    return LoginResult("ok", secret, token, permissions_for(roles_of(session, user.user_id)))


def issue_token(
    session: Session, name: str, kind: str, scopes: Scopes | None, expires_at: datetime, user: User | None
) -> tuple[str, ApiToken]:
    """A new bearer token; the secret is returned once and never stored."""
    secret, digest = new_token()
    token = ApiToken(
        digest=digest,
        name=name,
        kind=kind,
        user_id=user.user_id if user else None,
        scopes=str(scopes) if scopes else "",
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    return secret, token


def create_machine_token(
    session: Session, creator: Principal, name: str, scopes: Scopes, days: int, ip: str | None
) -> tuple[str, ApiToken]:
    """A token for a dialer or CRM system, with no more rights than its creator and no people-only permission."""
    _person(creator)
    if not 1 <= days <= MAX_MACHINE_TOKEN_DAYS:
        raise UserError(f"a machine token lives 1 to {MAX_MACHINE_TOKEN_DAYS} days")
    if not scopes:
        raise UserError("a machine token needs at least one scope")
    beyond = sorted(set(scopes) - creator.permissions)
    if beyond:
        raise UserError(f"cannot grant scopes the creator does not hold: {', '.join(beyond)}")
    people_only = sorted(set(scopes) & PEOPLE_ONLY)
    if people_only:
        shown = ", ".join(people_only)
        raise DutyRefused("machine_token_refused", permission=shown)
    secret, token = issue_token(session, name, "machine", scopes, utcnow() + timedelta(days=days), None)
    detail = {"token_id": token.token_id, "scopes": sorted(scopes), "days": days}
    audit.append(session, creator.name, "token.create", f"token:{name}", detail, ip)
    return secret, token


def revoke_token(session: Session, token_id: int, actor: Actor, ip: str | None) -> None:
    actor_name = _person(actor)
    token = session.get(ApiToken, token_id)
    if token is None or token.revoked_at is not None:
        raise UserError(f"no active token {token_id}")
    token.revoked_at = utcnow()
    audit.append(session, actor_name, "token.revoke", f"token:{token.name}", {"token_id": token_id}, ip)


def principal_for(session: Session, secret: str) -> Principal | None:
    """The caller a bearer secret stands for, or None for an unknown, expired or revoked token."""
    token = session.scalars(select(ApiToken).where(ApiToken.digest == token_digest(secret))).first()
    if token is None or token.revoked_at is not None or token.expires_at <= utcnow():
        return None
    if token.kind == "machine":
        # A people-only scope on a token issued before that rule grants nothing.
        scopes = frozenset(token.scopes.split()) - PEOPLE_ONLY
        return Principal(token.name, "machine", scopes, None, token.token_id)
    user = session.get(User, token.user_id) if token.user_id is not None else None
    if user is None or not user.active:
        return None
    granted = permissions_for(roles_of(session, user.user_id))
    return Principal(user.username, "session", granted, user.user_id, token.token_id)


def _person(actor: Actor) -> str:
    """The actor's name for the audit log; a machine token is refused (users and tokens are managed by people)."""
    if isinstance(actor, str):
        return actor
    if actor.kind == "machine":
        shown = ", ".join(sorted(PEOPLE_ONLY))
        raise DutyRefused("machine_token_refused", permission=shown)
    return actor.name


def _active_admins(session: Session) -> list[int]:
    """Ids of the active administrators, locked (PostgreSQL) so two concurrent removals cannot both pass."""
    query = (
        select(UserRole.user_id)
        .join(User, User.user_id == UserRole.user_id)
        .where(UserRole.role == Role.ADMIN, User.active.is_(True))
        .with_for_update()
    )
    return sorted(session.scalars(query))


def _user(session: Session, username: str) -> User:
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise UserError(f"no user {username!r}")
    return user


def _failures(session: Session, who: ColumnElement[bool], since: datetime) -> int:
    failed = (who, LoginAttempt.ok.is_(False), LoginAttempt.ts >= since)
    query = select(func.count()).select_from(LoginAttempt).where(*failed)
    return int(session.scalar(query) or 0)


@dataclass(frozen=True)
class BoardSession:
    """A dashboard session: the person behind the cookie, and whose calls they may see."""

    principal: Principal
    agent_id: str | None
    teams: tuple[str, ...]


# A session's last activity is written at most this often, so a page's requests do not each write a row.
SEEN_RESOLUTION = timedelta(seconds=60)


def board_session(session: Session, secret: str, idle: timedelta) -> BoardSession | None:
    """The person a dashboard cookie stands for, or None; a session idle longer than ``idle`` is revoked.

    Only people's session tokens open the board: a machine token in a cookie opens nothing.
    """
    token = session.scalars(select(ApiToken).where(ApiToken.digest == token_digest(secret))).first()
    if token is None or token.kind != "session":
        return None
    now = utcnow()
    seen = token.last_seen_at or token.created_at
    if token.revoked_at is None and token.expires_at > now and now - seen > idle:
        token.revoked_at = now
        audit.append(session, token.name.removeprefix("login "), "logout.idle", f"token:{token.token_id}", {}, None)
        return None
    principal = principal_for(session, secret)
    if principal is None or principal.user_id is None:
        return None
    if now - seen >= SEEN_RESOLUTION:
        token.last_seen_at = now
    user = session.get(User, principal.user_id)
    teams = tuple((user.teams or "").split()) if user else ()
    return BoardSession(principal, user.agent_id if user else None, teams)


def logout(session: Session, secret: str, ip: str | None) -> bool:
    """Revoke the session token behind ``secret``; True if there was a live one."""
    token = session.scalars(select(ApiToken).where(ApiToken.digest == token_digest(secret))).first()
    if token is None or token.kind != "session" or token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    audit.append(session, token.name.removeprefix("login "), "logout", f"token:{token.token_id}", {}, ip)
    return True
