"""Logins, throttling, machine tokens with scopes, role changes, and the audit trail they leave."""

from __future__ import annotations

from sqlalchemy import select, update

from callwise.ops.models import AuditEntry
from tests.web.conftest import PASSWORD


def test_login_returns_a_token_with_the_roles_permissions(api):
    out = api.client.post("/api/v1/auth/login", json={"username": "agent1", "password": PASSWORD})
    assert out.status_code == 200, out.text
    token = out.json()["token"]
    me = api.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["name"] == "agent1" and "outcomes:write" in me["permissions"] and "pii:read" not in me["permissions"]


def test_wrong_passwords_are_throttled_and_every_attempt_is_audited(api):
    for _ in range(5):
        bad = api.client.post("/api/v1/auth/login", json={"username": "agent1", "password": "wrong-password-1"})
        assert bad.status_code == 401 and bad.json()["error"]["code"] == "unauthenticated"
    throttled = api.client.post("/api/v1/auth/login", json={"username": "agent1", "password": PASSWORD})
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) > 0
    assert "分钟" in throttled.json()["error"]["message_zh"]
    with api.services.factory() as s:
        actions = s.scalars(select(AuditEntry.action).where(AuditEntry.target == "user:agent1")).all()
    assert actions.count("login.failed") == 5 and actions[-1] == "login.throttled"


def test_no_unknown_expired_or_revoked_token_gets_in(api):
    assert api.client.get("/api/v1/auth/me").status_code == 401
    assert api.client.get("/api/v1/auth/me", headers={"Authorization": "Bearer cw_nope"}).status_code == 401
    assert api.client.get("/api/v1/auth/me", headers={"Authorization": "Basic abc"}).status_code == 401
    made = api.client.post(
        "/api/v1/auth/tokens",
        json={"name": "dialer", "scopes": ["outcomes:write"], "days": 30},
        headers=api.as_("admin"),
    )
    assert made.status_code == 422  # admin does not hold outcomes:write, so cannot grant it
    from callwise.clock import utcnow
    from callwise.ops.db import transaction
    from callwise.ops.models import ApiToken

    with transaction(api.services.factory) as s:
        s.execute(update(ApiToken).values(expires_at=utcnow()))
    assert api.client.get("/api/v1/auth/me", headers=api.as_("agent")).status_code == 401


def test_a_machine_token_carries_only_its_scopes(api):
    with_pii = {"name": "crm", "scopes": ["customers:read", "customers:export"], "days": 7}
    made = api.client.post("/api/v1/auth/tokens", json=with_pii, headers=api.as_("admin"))
    assert made.status_code == 201, made.text
    headers = {"Authorization": f"Bearer {made.json()['token']}"}
    assert api.client.get("/api/v1/customers/C1", headers=headers).status_code == 200
    refused = api.client.post("/api/v1/outcomes", json={"outcomes": [{}]}, headers=headers)
    assert refused.status_code == 403 and "outcomes:write" in refused.json()["error"]["message"]
    unknown = api.client.post(
        "/api/v1/auth/tokens", json={**with_pii, "scopes": ["pii:reed"]}, headers=api.as_("admin")
    )
    assert unknown.status_code == 422 and "pii:read" in str(unknown.json()["error"]["details"])
    token_id = made.json()["token_id"]
    assert api.client.delete(f"/api/v1/auth/tokens/{token_id}", headers=api.as_("admin")).status_code == 204
    assert api.client.get("/api/v1/customers/C1", headers=headers).status_code == 401


def test_a_role_taken_away_takes_effect_at_once_and_is_audited(api):
    assert api.client.get("/api/v1/customers/C1?reveal=true", headers=api.as_("supervisor")).status_code == 200
    changed = api.client.put("/api/v1/users/supervisor1/roles", json={"roles": ["agent"]}, headers=api.as_("admin"))
    assert changed.status_code == 200 and changed.json()["roles"] == ["agent"]
    assert api.client.get("/api/v1/customers/C1?reveal=true", headers=api.as_("supervisor")).status_code == 403
    with api.services.factory() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "user.roles")).one()
    assert entry.detail == {"before": ["supervisor"], "after": ["agent"]} and entry.actor == "admin1"


def test_users_are_created_with_strong_passwords_and_known_roles_only(api):
    weak = api.client.post(
        "/api/v1/users", json={"username": "bob", "password": "short", "roles": ["agent"]}, headers=api.as_("admin")
    )
    assert weak.status_code == 422
    role = api.client.post(
        "/api/v1/users", json={"username": "bob", "password": PASSWORD, "roles": ["boss"]}, headers=api.as_("admin")
    )
    assert role.status_code == 422 and "boss" in str(role.json()["error"]["details"])
    ok = api.client.post(
        "/api/v1/users", json={"username": "bob", "password": PASSWORD, "roles": ["analyst"]}, headers=api.as_("admin")
    )
    assert ok.status_code == 201
    again = api.client.post(
        "/api/v1/users", json={"username": "bob", "password": PASSWORD, "roles": ["analyst"]}, headers=api.as_("admin")
    )
    assert again.status_code == 409


def test_the_audit_chain_verifies_and_a_tampered_row_is_found(api):
    api.client.get("/api/v1/customers/C1?reveal=true", headers=api.as_("supervisor"))
    clean = api.client.get("/api/v1/audit/verify", headers=api.as_("auditor")).json()
    assert clean["ok"] and clean["checked"] >= 6
    from callwise.ops.db import transaction

    with transaction(api.services.factory) as s:
        s.execute(update(AuditEntry).where(AuditEntry.action == "pii.reveal").values(actor="someone_else"))
    broken = api.client.get("/api/v1/audit/verify", headers=api.as_("auditor")).json()
    assert not broken["ok"] and broken["first_bad_id"] is not None and "修改" in broken["message_zh"]
