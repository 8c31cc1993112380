"""Roles and permissions: who in a bank's call centre may do what, on least privilege.

The matrix follows the separation of duties a bank's internal control expects: agents record outcomes and see
masked customers; supervisors run the floor and may reveal PII; analysts build lists and models without PII;
auditors only read the audit log and metrics; the administrator manages users and keys and handles PIPL access
and deletion requests, but runs no campaigns. Every reveal and export is audited by the service.

Separation of duties beyond the matrix (enforced in ``callwise.ops.users``): nobody grants roles to themselves,
the last administrator keeps the role, and the permissions in ``PEOPLE_ONLY`` are never carried by a machine
token, so a leaked dialer token can neither mint tokens nor create or change users.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from enum import StrEnum
from types import MappingProxyType

from callwise.i18n import LANGUAGES, t
from callwise.security.errors import UnknownRoleError, UnknownScopeError

__all__ = [
    "ALL_PERMISSIONS",
    "PEOPLE_ONLY",
    "ROLE_PERMISSIONS",
    "Permission",
    "Role",
    "UnknownRoleError",
    "UnknownScopeError",
    "has_permission",
    "matrix_markdown",
    "parse_permission",
    "permissions_for",
]


class Permission(StrEnum):
    """A permission, also the scope name of a bearer token (``resource:action``)."""

    CAMPAIGNS_READ = "campaigns:read"
    CAMPAIGNS_WRITE = "campaigns:write"
    LISTS_BUILD = "lists:build"
    LISTS_READ = "lists:read"
    OUTCOMES_WRITE = "outcomes:write"
    OUTCOMES_READ = "outcomes:read"
    CUSTOMERS_READ = "customers:read"
    PII_READ = "pii:read"
    DNC_WRITE = "dnc:write"
    CONSENT_WRITE = "consent:write"
    MODELS_READ = "models:read"
    MODELS_WRITE = "models:write"
    METRICS_READ = "metrics:read"
    USERS_ADMIN = "users:admin"
    AUDIT_READ = "audit:read"
    CUSTOMERS_EXPORT = "customers:export"
    CUSTOMERS_ERASE = "customers:erase"
    KEYS_ROTATE = "keys:rotate"
    TAGS_READ = "tags:read"
    TAGS_SENSITIVE = "tags:sensitive"
    SEGMENTS_WRITE = "segments:write"


class Role(StrEnum):
    ADMIN = "admin"
    ANALYST = "analyst"
    SUPERVISOR = "supervisor"
    AGENT = "agent"
    AUDITOR = "auditor"


P = Permission
ALL_PERMISSIONS: frozenset[str] = frozenset(Permission)

ROLE_PERMISSIONS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        Role.ADMIN: frozenset({P.USERS_ADMIN, P.KEYS_ROTATE, P.CUSTOMERS_READ, P.CUSTOMERS_EXPORT, P.CUSTOMERS_ERASE}),
        Role.ANALYST: frozenset(
            {
                P.CAMPAIGNS_READ,
                P.CAMPAIGNS_WRITE,
                P.LISTS_BUILD,
                P.LISTS_READ,
                P.OUTCOMES_READ,
                P.CUSTOMERS_READ,
                P.MODELS_READ,
                P.MODELS_WRITE,
                P.METRICS_READ,
                P.TAGS_READ,
                P.TAGS_SENSITIVE,
                P.SEGMENTS_WRITE,
            }
        ),
        Role.SUPERVISOR: frozenset(
            {
                P.CAMPAIGNS_READ,
                P.CAMPAIGNS_WRITE,
                P.LISTS_READ,
                P.OUTCOMES_WRITE,
                P.OUTCOMES_READ,
                P.CUSTOMERS_READ,
                P.PII_READ,
                P.DNC_WRITE,
                P.CONSENT_WRITE,
                P.METRICS_READ,
                P.TAGS_READ,
            }
        ),
        Role.AGENT: frozenset({P.CAMPAIGNS_READ, P.LISTS_READ, P.OUTCOMES_WRITE, P.OUTCOMES_READ, P.CUSTOMERS_READ}),
        Role.AUDITOR: frozenset({P.AUDIT_READ, P.METRICS_READ}),
    }
)


# Managing people and tokens is done by a person signed in, never by a machine token (refused when a token is
# created, and not granted by a token issued before this rule).
PEOPLE_ONLY: frozenset[str] = frozenset({P.USERS_ADMIN})


def parse_permission(name: object) -> Permission:
    """The permission called ``name``; ``UnknownScopeError`` (with the closest names) for anything else."""
    if not isinstance(name, str):
        raise TypeError(f"a permission name must be str, not {type(name).__name__}")
    try:
        return Permission(name)
    except ValueError:
        close = difflib.get_close_matches(name.strip().lower(), [p.value for p in Permission], n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; known permissions: {', '.join(Permission)}"
        raise UnknownScopeError(f"unknown permission {name!r}{hint}") from None


def permissions_for(roles: Iterable[str]) -> frozenset[str]:
    """Everything a holder of ``roles`` may do (the union); ``UnknownRoleError`` names any role not defined."""
    if isinstance(roles, str | bytes):
        raise TypeError("roles must be a collection of role names such as ['agent'], not a single string")
    granted: set[str] = set()
    for role in roles:
        if not isinstance(role, str):
            raise TypeError(f"a role name must be str, not {type(role).__name__}")
        if role not in ROLE_PERMISSIONS:
            raise UnknownRoleError(f"unknown role {role!r}; roles are {', '.join(Role)}")
        granted |= ROLE_PERMISSIONS[role]
    return frozenset(granted)


def has_permission(granted: Iterable[str], needed: str) -> bool:
    """True when ``needed`` is among ``granted``; a misspelt ``needed`` raises instead of silently denying."""
    if isinstance(granted, str | bytes):
        raise TypeError("granted must be a collection of permissions, not a single string")
    return parse_permission(needed) in frozenset(granted)


def matrix_markdown(lang: str) -> str:
    """The role × permission table as Markdown in ``lang`` (``zh`` or ``en``), as shown in README.md; the last
    column says whether a machine token may carry the permission."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; choose one of {', '.join(LANGUAGES)}")
    roles = list(Role)
    role_heads = [f"`{role}`" if lang == "en" else f"{t(f'security.role.{role}', lang)} `{role}`" for role in roles]
    heads = [t("security.matrix.permission", lang), t("security.matrix.meaning", lang), *role_heads]
    heads.append(t("security.matrix.machine", lang))
    lines = ["| " + " | ".join(heads) + " |", "|---|---|" + ":-:|" * (len(roles) + 1)]
    for permission in Permission:
        meaning = t(f"security.permission.{permission.replace(':', '.')}", lang)
        marks = ["✓" if permission in ROLE_PERMISSIONS[role] else " " for role in roles]
        marks.append(" " if permission in PEOPLE_ONLY else "✓")
        lines.append(f"| `{permission}` | {meaning} | " + " | ".join(marks) + " |")
    return "\n".join(lines) + "\n"
