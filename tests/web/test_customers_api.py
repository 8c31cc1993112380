"""Customers through the API: masked by default, revealed only with pii:read and audited, DNC and consent."""

from __future__ import annotations

from sqlalchemy import select

from callwise.ops.models import AuditEntry
from tests.web.conftest import PHONES


def test_masked_fields_never_contain_the_full_number(api):
    for role in ("agent", "analyst", "supervisor"):
        body = api.client.get("/api/v1/customers/C1", headers=api.as_(role))
        assert body.status_code == 200
        assert PHONES["C1"] not in body.text and body.json()["phone"].endswith(PHONES["C1"][-4:])
        assert body.json()["name"] == "张**" and body.json()["masked"]


def test_reveal_needs_pii_read_and_is_audited(api):
    assert api.client.get("/api/v1/customers/C1?reveal=true", headers=api.as_("agent")).status_code == 403
    shown = api.client.get("/api/v1/customers/C1?reveal=true", headers=api.as_("supervisor")).json()
    assert shown["phone"] == PHONES["C1"] and shown["name"] == "张三丰"
    with api.services.factory() as s:
        reveals = s.execute(select(AuditEntry.actor, AuditEntry.target).where(AuditEntry.action == "pii.reveal")).all()
    assert [tuple(r) for r in reveals] == [("supervisor1", "customer:C1")]


def test_find_by_phone_in_any_writing(api):
    found = api.client.get("/api/v1/customers", params={"phone": "+86 138-0013-8001"}, headers=api.as_("agent"))
    assert found.json() == ["C1"]
    bad = api.client.get("/api/v1/customers", params={"phone": "02012345678"}, headers=api.as_("agent"))
    assert bad.status_code == 422


def test_unknown_customer_is_a_404_naming_it(api):
    missing = api.client.get("/api/v1/customers/NOPE", headers=api.as_("agent"))
    assert missing.status_code == 404 and "NOPE" in missing.json()["error"]["message"]
    assert api.client.post("/api/v1/customers/NOPE/dnc", headers=api.as_("supervisor")).status_code == 404


def test_dnc_and_consent_changes(api):
    dnc = api.client.post("/api/v1/customers/C2/dnc", headers=api.as_("supervisor"))
    assert dnc.status_code == 200 and api.client.get("/api/v1/customers/C2", headers=api.as_("agent")).json()["dnc"]
    later = {"granted": False, "at": "2026-07-02T10:00:00+08:00"}
    assert api.client.post("/api/v1/customers/C3/consent", json=later, headers=api.as_("supervisor")).status_code == 200
    earlier = {"granted": True, "at": "2026-07-01T10:00:00+08:00"}
    stale = api.client.post("/api/v1/customers/C3/consent", json=earlier, headers=api.as_("supervisor"))
    assert stale.status_code == 409
    naive = api.client.post(
        "/api/v1/customers/C3/consent",
        json={"granted": True, "at": "2026-07-03T10:00:00"},
        headers=api.as_("supervisor"),
    )
    assert naive.status_code == 422
    assert not api.client.get("/api/v1/customers/C3", headers=api.as_("agent")).json()["consent_marketing"]


def test_pipl_export_and_erase_by_admin_only(api):
    assert api.client.get("/api/v1/customers/C1/export", headers=api.as_("supervisor")).status_code == 403
    exported = api.client.get("/api/v1/customers/C1/export", headers=api.as_("admin"))
    assert exported.status_code == 200 and exported.json()["customer"]["phone"] == PHONES["C1"]
    assert api.client.delete("/api/v1/customers/C1", headers=api.as_("admin")).status_code == 204
    after = api.client.get("/api/v1/customers/C1?reveal=true", headers=api.as_("supervisor")).json()
    assert after["phone"] is None and after["erased"] and after["dnc"]
    with api.services.factory() as s:
        actions = set(s.scalars(select(AuditEntry.action)))
    assert {"customer.export", "customer.erase"} <= actions
