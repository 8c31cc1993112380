"""The customer 360 profile on a tiny hand-made bank whose every figure is known: tags by category (a sensitive
tag absent without tags:sensitive), holdings, transaction and activity windows, contacts, consent history, list
membership and its reasons, masking and the audit of every read; unknown and hostile ids."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from callwise.customers import AUDIT_ACTION, CustomerNotFound, customer_profile
from callwise.ops.customers import set_consent, set_dnc
from callwise.ops.db import transaction
from callwise.ops.models import AuditEntry, Campaign, IssuedList, ListMember
from callwise.ops.users import Principal
from callwise.policy import default_policy
from tests.customers.tiny import ID_NUMBER, NAME, ON, PHONE

ANALYST = Principal(
    name="ana", permissions=frozenset({"customers:read", "tags:read", "tags:sensitive"}), user_id=1, kind="session"
)
SUPERVISOR = Principal(
    name="sup", permissions=frozenset({"customers:read", "pii:read", "tags:read"}), user_id=2, kind="session"
)
AGENT = Principal(name="agt", permissions=frozenset({"customers:read"}), user_id=3, kind="session")


def _profile(factory, lake, pii, catalogue, who=ANALYST, cid="C1", **kw):
    with transaction(factory) as s:
        return customer_profile(
            s, lake, pii, cid, who, "10.0.0.1", on=ON, policy=default_policy(), catalogue=catalogue, **kw
        )


def test_sections_hold_the_known_values(factory, tiny_lake, session_pii, catalogue):
    p = _profile(factory, tiny_lake, session_pii, catalogue)
    assert p["customer_id"] == "C1" and p["as_of"] == "2026-11-30"
    assert p["identity"]["masked"] and p["identity"]["phone"].endswith("5678")
    tags = {c["category"]: {t["id"]: t["value"] for t in c["tags"]} for c in p["tags"]["categories"]}
    assert tags == {"value": {"high_net_worth": True, "secret_income": True}, "channel": {"app_active": True}}
    assert p["tags"]["cutoff"].startswith("2026-12-01")
    h = p["holdings"]
    assert h["total_balance"] == 1_100_000.0  # the closed deposit is not held
    assert {(i["product_id"], i["name"], i["category"]) for i in h["items"]} == {
        ("W1", "稳健理财", "wealth"),
        ("D1", "定期存款", "deposit"),
    }
    assert h["by_category"] == [
        {"category": "deposit", "balance": 200000.0, "n": 1},
        {"category": "wealth", "balance": 900000.0, "n": 1},
    ]
    d90, d365 = p["transactions"]
    assert (d90["days"], d90["in"], d90["out"]) == (90, {"sum": 30000.0, "count": 1}, {"sum": 500.0, "count": 1})
    assert (d365["in"], d365["out"]) == ({"sum": 30000.0, "count": 1}, {"sum": 2500.0, "count": 2})
    assert d365["by_channel"][0] == {"channel": "counter", "direction": "in", "sum": 30000.0, "count": 1}
    assert {"category": "shopping", "direction": "out", "sum": 2500.0, "count": 2} in d365["by_category"]
    a30, a90 = p["activity"]["windows"]
    assert a30 == {"days": 30, "events": {"app_login": 3, "view_product": 1}}
    assert a90["events"] == {"app_login": 4, "view_product": 1}
    assert p["activity"]["last_login"] == datetime(2026, 11, 29, 9, 0)
    c = p["contacts"]
    assert c["total"] == 3 and c["by_disposition"] == {"answered": 1, "interested": 1, "no_answer": 1}
    assert [r["disposition"] for r in c["recent"]] == ["answered", "interested", "no_answer"]
    assert p["segment"] is None and p["scores"] == [] and p["lists"] == []
    assert p["consent"]["consent_marketing"] and not p["consent"]["dnc"] and p["consent"]["history"] == []


def test_a_sensitive_tag_is_absent_without_the_permission(factory, tiny_lake, session_pii, catalogue):
    for who in (SUPERVISOR, AGENT):
        p = _profile(factory, tiny_lake, session_pii, catalogue, who=who)
        text = json.dumps(p, default=str, ensure_ascii=False)
        assert "secret_income" not in text and "高收入敏感" not in text and "sensitive" not in text
        assert {t["id"] for c in p["tags"]["categories"] for t in c["tags"]} == {"high_net_worth", "app_active"}


def test_every_read_is_audited_and_a_reveal_needs_pii_read(factory, tiny_lake, session_pii, catalogue, caplog):
    caplog.set_level(logging.DEBUG)
    masked = _profile(factory, tiny_lake, session_pii, catalogue, who=AGENT, source="cli")
    text = json.dumps(masked, default=str, ensure_ascii=False)
    assert PHONE not in text and NAME not in text and ID_NUMBER not in text
    with pytest.raises(PermissionError):
        _profile(factory, tiny_lake, session_pii, catalogue, who=AGENT, reveal=True)
    clear = _profile(factory, tiny_lake, session_pii, catalogue, who=SUPERVISOR, reveal=True, reason="called back")
    assert clear["identity"]["phone"] == PHONE and clear["identity"]["name"] == NAME
    with factory() as s:
        entries = list(s.scalars(select(AuditEntry).order_by(AuditEntry.entry_id)))
    reads = [e for e in entries if e.action == AUDIT_ACTION]
    assert [(e.actor, e.target, e.detail["source"], e.detail["revealed"]) for e in reads] == [
        ("agt", "customer:C1", "cli", False),
        ("sup", "customer:C1", "api", True),
    ]
    (reveal,) = [e for e in entries if e.action == "pii.reveal"]
    assert reveal.actor == "sup" and reveal.detail["reason"] == "called back"
    logged = caplog.text + str([e.detail for e in entries])
    assert PHONE not in logged and NAME not in logged and ID_NUMBER not in logged


def test_consent_history_and_why_on_or_off_each_current_list(factory, tiny_lake, session_pii, catalogue):
    with transaction(factory) as s:
        set_consent(s, "C2", False, datetime(2026, 11, 1, tzinfo=UTC), "sup", None)
        set_dnc(s, "C2", "sup", None)
        for cid, product in (("CW", "W1"), ("CD", "D1"), ("CX", "W1")):
            s.add(Campaign(campaign_id=cid, name=cid, product_id=product, spec={}, status="issued", created_by="t"))
        s.flush()
        lists = {}
        for cid in ("CW", "CD", "CX"):
            lists[cid] = IssuedList(campaign_id=cid, issued_by="t", policy_sha256="x", items=0, summary={})
            s.add(lists[cid])
        s.flush()
        s.add(
            ListMember(
                list_id=lists["CW"].list_id,
                campaign_id="CW",
                customer_id="C1",
                group="treatment",
                score=0.42,
                score_decile=1,
                assigned_at=datetime(2026, 11, 30, tzinfo=UTC),
            )
        )
        s.add(
            ListMember(
                list_id=lists["CD"].list_id,
                campaign_id="CD",
                customer_id="C1",
                group="control",
                score=0.1,
                score_decile=9,
                assigned_at=datetime(2026, 11, 30, tzinfo=UTC),
            )
        )
        s.get(Campaign, "CX").status = "closed"
    p1 = _profile(factory, tiny_lake, session_pii, catalogue)
    by_campaign = {r["campaign_id"]: r for r in p1["lists"]}
    assert set(by_campaign) == {"CW", "CD"}  # a closed campaign's list is not current
    assert by_campaign["CW"]["on_list"] and by_campaign["CW"]["group"] == "treatment"
    assert by_campaign["CD"]["reasons"] == ["control_group"]
    assert [s["score"] for s in p1["scores"]] == [0.1, 0.42]
    p2 = _profile(factory, tiny_lake, session_pii, catalogue, cid="C2")
    off = {r["campaign_id"]: r for r in p2["lists"]}
    assert not off["CW"]["on_list"] and "dnc" in off["CW"]["reasons"] and "no_consent" in off["CW"]["reasons"]
    consent = p2["consent"]
    assert consent["dnc"] and not consent["consent_marketing"]
    assert [e["kind"] for e in consent["history"]] == ["dnc", "consent_withdrawn"]
    assert p2["holdings"]["items"] == [] and p2["transactions"][0]["in"] == {"sum": 0.0, "count": 0}
    assert p2["tags"]["categories"][0]["tags"][0]["value"] is False


@pytest.mark.parametrize(
    "hostile", ["", "X" * 65, "C1' OR '1'='1", "C1; DROP TABLE customers;--", "客户一号", "C1\x00", "../C1", "%"]
)
def test_unknown_and_hostile_ids_are_not_found(factory, tiny_lake, session_pii, catalogue, hostile):
    with pytest.raises(CustomerNotFound):
        _profile(factory, tiny_lake, session_pii, catalogue, cid=hostile)
    with factory() as s:
        assert s.scalars(select(AuditEntry).where(AuditEntry.action == AUDIT_ACTION)).first() is None


def test_without_a_lake_the_operational_sections_still_answer(factory, session_pii, catalogue):
    p = _profile(factory, None, session_pii, catalogue)
    assert p["tags"] == {"cutoff": None, "categories": []} and p["holdings"]["items"] == []
    assert p["transactions"] == [] and p["activity"]["windows"] == [] and p["segment"] is None


def _segments_lake(tmp_path):
    import pyarrow as pa

    from callwise.lake import Lake

    lake = Lake(tmp_path / "seg", threads=1)
    lake.write(
        "segments",
        pa.table(
            {
                "customer_id": ["C1", "C2"],
                "segment_id": [3, 1],
                "distance": [0.25, 1.5],
                "assigned_at": [datetime(2026, 11, 1), datetime(2026, 11, 1)],
            }
        ),
    )
    return lake


def test_a_segment_is_named_by_the_segmentation_or_shown_by_its_id(tmp_path, monkeypatch):
    import sys
    import types

    from callwise.customers.profile import segment_of

    lake = _segments_lake(tmp_path)
    monkeypatch.setitem(sys.modules, "callwise.segments", types.ModuleType("callwise.segments"))
    bare = segment_of(lake, "C1")
    assert bare == {"segment_id": "3", "distance": 0.25, "assigned_at": datetime(2026, 11, 1), "name": None}
    assert segment_of(lake, "NOPE") is None

    class Named:
        def name(self, segment_id: str, lang: str) -> str:
            return {"zh": "高净值活跃客户", "en": "Affluent and active"}[lang] if segment_id == "3" else "?"

    module = types.ModuleType("callwise.segments")
    module.current_segmentation = lambda _lake: Named()  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "callwise.segments", module)
    assert segment_of(lake, "C1")["name"] == {"zh": "高净值活跃客户", "en": "Affluent and active"}

    def missing(_lake):
        raise FileNotFoundError("no segmentation yet")

    module.current_segmentation = missing  # type: ignore[attr-defined]
    assert segment_of(lake, "C1")["name"] is None  # the id alone, not a failed profile
