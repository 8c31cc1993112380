"""Customers through the API: masked by default, revealed only with pii:read and audited, DNC and consent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
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
    for phone in ("+86 138-0013-8001", "0086 13800138001", "１３８００１３８００１"):
        found = api.client.post("/api/v1/customer-lookups", json={"phone": phone}, headers=api.as_("agent"))
        assert found.json() == {"customer_ids": ["C1"]}, phone


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
    assert stale.status_code == 409  # a grant older than the withdrawal on record does not undo it
    error = stale.json()["error"]
    assert (
        error["code"] == "stale_consent" and "2026-07-01" in error["message"] and "同意授权早于" in error["message_zh"]
    )
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


@pytest.mark.parametrize("at", ["2099-01-01T00:00:00+08:00", "9999-01-01T00:00:00Z", "9999-12-31T23:59:59-05:00"])
def test_a_consent_dated_in_the_future_is_refused_and_withdrawal_still_works(api, at):
    sup = api.as_("supervisor")
    future = api.client.post("/api/v1/customers/C1/consent", json={"granted": True, "at": at}, headers=sup)
    assert future.status_code == 422 and future.json()["error"]["details"][0]["where"] == "body.at"
    withdrawn = api.client.post("/api/v1/customers/C1/consent", json={"granted": False}, headers=sup)
    assert withdrawn.status_code == 200
    assert not api.client.get("/api/v1/customers/C1", headers=sup).json()["consent_marketing"]


@pytest.mark.parametrize("then", ["withdraw", "withdraw_dated_earlier", "dnc"])
def test_after_any_grant_a_withdrawal_or_dnc_takes_effect_at_once(api, then):
    """A grant a little ahead of our clock (within the skew) is accepted; what follows it must still count."""
    sup = api.as_("supervisor")
    ahead = (datetime.now(UTC) + timedelta(minutes=3)).isoformat()
    assert api.client.post("/api/v1/customers/C1/consent", json={"granted": True, "at": ahead}, headers=sup).is_success
    if then == "dnc":
        assert api.client.post("/api/v1/customers/C1/dnc", headers=sup).status_code == 200
    else:
        body = {"granted": False} if then == "withdraw" else {"granted": False, "at": "2020-01-01T00:00:00+08:00"}
        assert api.client.post("/api/v1/customers/C1/consent", json=body, headers=sup).status_code == 200
    state = api.client.get("/api/v1/customers/C1", headers=sup).json()
    assert state["dnc"] if then == "dnc" else not state["consent_marketing"]
    regrant = {"granted": True, "at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat()}
    if then != "dnc":  # a grant dated before the withdrawal on record cannot undo it
        assert api.client.post("/api/v1/customers/C1/consent", json=regrant, headers=sup).status_code == 409


ODD_TIMES = [
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00+14:00",
    "0000-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "9999-12-31T23:59:59-12:00",
    "2026-07-01T10:00:00+14:00",
    "2026-07-01T10:00:00-12:00",
    "2026-07-01T10:00:00+25:00",
    "2026-02-30T10:00:00Z",
    "2026-07-01",
    "yesterday",
    "",
    99999999999999,
    -1,
    1e308,
    None,
    [],
]


def test_no_time_of_any_kind_gives_a_500_on_a_customer_route(api):
    sup = api.as_("supervisor")
    answers = {}
    for at in ODD_TIMES:
        for granted in (True, False):
            answer = api.client.post("/api/v1/customers/C2/consent", json={"granted": granted, "at": at}, headers=sup)
            answers[(repr(at), granted)] = answer.status_code
    assert {k: v for k, v in answers.items() if v not in (200, 409, 422)} == {}
    assert answers[("'9999-12-31T23:59:59Z'", True)] == 422 and answers[("99999999999999", True)] == 422
