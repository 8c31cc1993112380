"""The permission matrix, route by route: each role gets 403 exactly where the RBAC matrix denies it.

Every route of the app is read from the app itself, with the permission its ``require(...)`` dependency
declares, so a new route without a permission, or a request table that misses a route, fails here.
Each route is called with the smallest request that gets past validation, by every role, with no token,
and with machine tokens that hold everything but the permission, and only the permission. The separation of
duties the matrix cannot show (grants to oneself, the last administrator, machine tokens managing people) is
the table ``DUTIES``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import select

from callwise.clock import utcnow
from callwise.ops.db import transaction
from callwise.ops.models import AuditEntry
from callwise.ops.users import issue_token
from callwise.security.rbac import ALL_PERMISSIONS, PEOPLE_ONLY, ROLE_PERMISSIONS
from callwise.security.tokens import Scopes
from tests.web.conftest import PASSWORD

API = "/api/v1"
PUBLIC = {("GET", f"{API}/health"), ("POST", f"{API}/auth/login")}
LOGIN_ONLY = {("GET", f"{API}/auth/me")}
T = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
OUTCOME = {"idempotency_key": "perm-1", "customer_id": "C1", "disposition": "answered", "ts": T}

# The smallest request per route: path parameters, then keyword arguments for the client.
REQUESTS: dict[tuple[str, str], tuple[dict[str, Any], dict[str, Any]]] = {
    ("GET", "/health"): ({}, {}),
    ("POST", "/auth/login"): ({}, {"json": {"username": "agent1", "password": PASSWORD}}),
    ("GET", "/auth/me"): ({}, {}),
    ("POST", "/auth/tokens"): ({}, {"json": {"name": "crm", "scopes": ["customers:read"], "days": 1}}),
    ("DELETE", "/auth/tokens/{token_id}"): ({"token_id": 999_999}, {}),
    ("GET", "/users"): ({}, {}),
    ("POST", "/users"): ({}, {"json": {"username": "newcomer", "password": PASSWORD, "roles": ["agent"]}}),
    ("PUT", "/users/{username}/roles"): ({"username": "agent1"}, {"json": {"roles": ["agent"]}}),
    ("POST", "/campaigns"): ({}, {"json": {"campaign_id": "CMP1", "product_id": "P1", "date": "2026-07-01"}}),
    ("GET", "/campaigns"): ({}, {}),
    ("GET", "/campaigns/{campaign_id}"): ({"campaign_id": "CMP1"}, {}),
    ("POST", "/campaigns/{campaign_id}/builds"): ({"campaign_id": "CMP1"}, {}),
    ("POST", "/campaigns/{campaign_id}/close"): ({"campaign_id": "CMP-none"}, {}),
    ("GET", "/jobs/{job_id}"): ({"job_id": "no-such-job"}, {}),
    ("GET", "/campaigns/{campaign_id}/lists"): ({"campaign_id": "CMP1"}, {}),
    ("GET", "/lists/{list_id}/items"): ({"list_id": 1}, {}),
    ("POST", "/campaigns/{campaign_id}/lists/{list_id}/dialer-exports"): (
        {"campaign_id": "CMP1", "list_id": 1},
        {"json": {"format": "csv"}},
    ),
    ("POST", "/outcomes"): ({}, {"json": {"outcomes": [OUTCOME]}}),
    ("PUT", "/outcomes/{idempotency_key}"): ({"idempotency_key": "perm-1"}, {"json": OUTCOME}),
    ("GET", "/outcomes"): ({}, {}),
    ("POST", "/receipts"): ({}, {"json": {"dedupe_key": "no-such-message", "kind": "delivered", "ts": T}}),
    ("POST", "/customer-lookups"): ({}, {"json": {"phone": "13800138001"}}),
    ("GET", "/customers/{customer_id}"): ({"customer_id": "C1"}, {}),
    ("GET", "/customers/{customer_id}/profile"): ({"customer_id": "C1"}, {}),
    ("POST", "/customers/{customer_id}/dnc"): ({"customer_id": "C2"}, {}),
    ("POST", "/customers/{customer_id}/consent"): ({"customer_id": "C1"}, {"json": {"granted": True}}),
    ("GET", "/customers/{customer_id}/export"): ({"customer_id": "C1"}, {}),
    ("DELETE", "/customers/{customer_id}"): ({"customer_id": "C3"}, {}),
    ("GET", "/models"): ({}, {}),
    ("POST", "/models"): ({}, {"json": {"version": "1", "path": "m1"}}),
    ("POST", "/models/{model_id}/promote"): ({"model_id": 1}, {}),
    ("POST", "/models/by-name/{name}/rollback"): ({"name": "response"}, {}),
    ("GET", "/metrics/summary"): ({}, {}),
    ("GET", "/campaigns/{campaign_id}/results"): ({"campaign_id": "CMP-none"}, {}),
    ("GET", "/attribution"): ({}, {}),
    ("GET", "/audit"): ({}, {}),
    ("GET", "/audit/verify"): ({}, {}),
    ("POST", "/audiences/preview"): ({}, {"json": {"expression": "high_net_worth"}}),
}


def _permissions(dependant: Dependant) -> set[str]:
    """Permissions declared by ``require(...)`` anywhere in a route's dependency tree."""
    found = set()
    for sub in dependant.dependencies:
        permission = getattr(sub.call, "permission", None)
        if permission is not None:
            found.add(permission)
        found |= _permissions(sub)
    return found


def _routes(app) -> dict[tuple[str, str], set[str]]:
    """(method, path) → the permissions it requires, for every API route (docs and the spec left out; the
    dashboard's pages have their own test, tests/web/board/test_board_permissions.py)."""
    routes = {}
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute) and context.path.startswith(API):
            for method in context.methods:
                routes[(method, context.path)] = _permissions(context.dependant)
    return routes


def _call(api, method: str, path: str, headers: dict[str, str]):
    params, kwargs = REQUESTS[(method, path.removeprefix(API))]
    return api.client.request(method, path.format(**params), headers=headers, **kwargs)


def audit_entries(session) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).order_by(AuditEntry.entry_id)))


def _machine(api, scopes: set[str]) -> dict[str, str]:
    with transaction(api.services.factory) as session:
        secret, _ = issue_token(session, "probe", "machine", Scopes(scopes), utcnow() + timedelta(hours=1), None)
    return {"Authorization": f"Bearer {secret}"}


def test_every_route_but_health_login_and_me_requires_a_known_permission(api):
    routes = _routes(api.client.app)
    assert len(routes) >= 30, sorted(routes)
    unguarded = {route for route, needed in routes.items() if not needed}
    assert unguarded == PUBLIC | LOGIN_ONLY
    assert all(len(needed) <= 1 for needed in routes.values()), "a route must state one permission, not several"
    assert set().union(*routes.values()) <= ALL_PERMISSIONS
    missing = sorted(f"{m} {p}" for m, p in routes if (m, p.removeprefix(API)) not in REQUESTS)
    assert missing == [], f"add the smallest request for these routes to REQUESTS: {missing}"
    assert len(REQUESTS) == len(routes), "REQUESTS names a route the app does not have"


def test_each_role_gets_403_exactly_where_the_matrix_denies_it(api):
    mismatches = []
    for (method, path), needed in sorted(_routes(api.client.app).items()):
        for role, granted in ROLE_PERMISSIONS.items():
            response = _call(api, method, path, api.as_(role))
            denied = bool(needed - granted)
            if denied != (response.status_code == 403) or response.status_code in (401, 500):
                mismatches.append(f"{role} {method} {path}: {response.status_code} {response.text[:120]}")
            elif denied:
                error = response.json()["error"]
                (permission,) = needed
                if error["code"] != "forbidden" or permission not in error["message"] + error["message_zh"]:
                    mismatches.append(f"{role} {method} {path}: the 403 does not name {permission}: {error}")
    assert mismatches == []


def test_no_token_or_a_bad_one_is_401_except_on_the_public_routes(api):
    mismatches = []
    bad = {"Authorization": "Bearer cw_not-a-real-token"}
    not_bearer = {"Authorization": "Basic YWdlbnQxOnBhc3N3b3Jk"}
    for method, path in sorted(_routes(api.client.app)):
        for headers in ({}, bad, not_bearer):
            response = _call(api, method, path, headers)
            expected = 200 if (method, path) in PUBLIC else 401
            if response.status_code != expected:
                mismatches.append(f"{method} {path} with {headers or 'no header'}: {response.status_code}")
            elif expected == 401:
                assert response.json()["error"]["code"] == "unauthenticated"
                assert response.headers["www-authenticate"] == "Bearer"
    assert mismatches == []


def test_machine_tokens_get_403_without_the_scope_and_pass_with_only_that_scope(api):
    """A people-only permission is refused to every machine token, even one issued holding it."""
    mismatches = []
    for (method, path), needed in sorted(_routes(api.client.app).items()):
        if not needed:
            continue
        people_only = needed <= PEOPLE_ONLY
        code = MACHINE if people_only else "forbidden"
        without = _call(api, method, path, _machine(api, set(ALL_PERMISSIONS - needed)))
        only = _call(api, method, path, _machine(api, needed))
        if without.status_code != 403 or without.json()["error"]["code"] != code:
            mismatches.append(f"{method} {path} without {needed}: {without.status_code}")
        if people_only and (only.status_code != 403 or only.json()["error"]["code"] != code):
            mismatches.append(f"{method} {path} with only {needed} (people only): {only.status_code}")
        if not people_only and (only.status_code in (401, 403) or only.status_code >= 500):
            mismatches.append(f"{method} {path} with only {needed}: {only.status_code} {only.text[:120]}")
    assert mismatches == []


ROLES = "/users/{username}/roles"
MACHINE = "machine_token_refused"
# Separation of duties, in order on one database where admin1 is the only administrator at first:
# (caller, method, path, path parameters, JSON body, expected status, expected error code).
# "machine" is a token issued holding every permission, users:admin included (as tokens could be before).
DUTIES: list[tuple[str, str, str, dict[str, Any], Any, int, str | None]] = [
    ("admin", "PUT", ROLES, {"username": "admin1"}, {"roles": ["admin", "supervisor"]}, 403, "self_grant_refused"),
    ("admin", "PUT", ROLES, {"username": "admin1"}, {"roles": ["admin", "auditor"]}, 403, "self_grant_refused"),
    ("admin", "PUT", ROLES, {"username": "admin1"}, {"roles": []}, 403, "last_admin"),
    ("admin", "PUT", ROLES, {"username": "admin1"}, {"roles": ["admin"]}, 200, None),  # no change is no grant
    ("admin", "POST", "/auth/tokens", {}, {"name": "x", "scopes": ["users:admin"]}, 403, MACHINE),
    ("machine", "GET", "/users", {}, None, 403, MACHINE),
    ("machine", "POST", "/users", {}, {"username": "m", "password": PASSWORD, "roles": ["admin"]}, 403, MACHINE),
    ("machine", "PUT", ROLES, {"username": "agent1"}, {"roles": ["admin"]}, 403, MACHINE),
    ("machine", "POST", "/auth/tokens", {}, {"name": "x", "scopes": ["lists:read"]}, 403, MACHINE),
    ("machine", "DELETE", "/auth/tokens/{token_id}", {"token_id": 1}, None, 403, MACHINE),
    ("admin", "PUT", ROLES, {"username": "auditor1"}, {"roles": ["admin"]}, 200, None),  # a second administrator
    ("admin", "PUT", ROLES, {"username": "admin1"}, {"roles": []}, 200, None),  # may now step down
    ("auditor", "PUT", ROLES, {"username": "auditor1"}, {"roles": ["admin", "auditor"]}, 403, "self_grant_refused"),
    ("auditor", "PUT", ROLES, {"username": "auditor1"}, {"roles": []}, 403, "last_admin"),
    ("auditor", "PUT", ROLES, {"username": "agent1"}, {"roles": ["agent", "supervisor"]}, 200, None),
]


def test_separation_of_duties_holds_on_every_path_that_changes_users_or_tokens(api):
    headers = {role: api.as_(role) for role in api.tokens} | {"machine": _machine(api, set(ALL_PERMISSIONS))}
    mismatches = []
    for caller, method, path, params, body, status, code in DUTIES:
        kwargs = {} if body is None else {"json": body}
        response = api.client.request(method, API + path.format(**params), headers=headers[caller], **kwargs)
        error = response.json()["error"] if response.status_code >= 400 else {}
        if response.status_code != status or error.get("code") != (code or error.get("code")):
            mismatches.append(f"{caller} {method} {path} {body}: {response.status_code} {response.text[:160]}")
        elif code is not None and not (error["message"] and error["message_zh"]):
            mismatches.append(f"{caller} {method} {path}: the refusal is not worded in both languages: {error}")
    assert mismatches == []
    with api.services.factory() as session:
        actions = [e.action for e in audit_entries(session)]
    assert actions.count("user.roles") == 4, "only the changes allowed are made (and each is audited)"
