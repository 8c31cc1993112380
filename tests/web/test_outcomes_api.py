"""Outcomes through the API: per-item results, exactly once, and every kind of bad input refused clearly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from callwise.ops.models import CallOutcome, Customer

T = (datetime.now(UTC) - timedelta(hours=2)).isoformat()


def _item(key: str, cid: str = "C1", disposition: str = "no_answer", **extra) -> dict:
    return {"idempotency_key": key, "customer_id": cid, "disposition": disposition, "ts": T, **extra}


def _count(api) -> int:
    with api.services.factory() as s:
        return s.scalar(select(func.count()).select_from(CallOutcome))


def test_a_batch_is_stored_once_and_a_retry_changes_nothing(api):
    batch = {"outcomes": [_item("a1"), _item("a2", "C2", "answered"), _item("a3", "C3", "refused")]}
    first = api.client.post("/api/v1/outcomes", json=batch, headers=api.as_("agent"))
    assert first.status_code == 200, first.text
    assert first.json()["stored"] == 3
    again = api.client.post("/api/v1/outcomes", json=batch, headers=api.as_("agent"))
    assert again.json()["duplicates"] == 3 and again.json()["stored"] == 0
    assert [i["outcome_id"] for i in again.json()["items"]] == [i["outcome_id"] for i in first.json()["items"]]
    assert _count(api) == 3


def test_a_batch_with_bad_items_says_per_item_what_was_accepted(api):
    batch = {
        "outcomes": [
            _item("b1"),
            _item("b2", disposition="hung_up"),
            _item("b3", cid="NOBODY"),
            {"idempotency_key": "b4", "customer_id": "C1", "disposition": "answered", "ts": "yesterday"},
            {"idempotency_key": "b5", "customer_id": 42, "disposition": "answered", "ts": T},
            {"idempotency_key": "b6", "customer_id": "C2", "disposition": "busy", "ts": T, "colour": "red"},
            _item("b7", "C2", "dnc_requested"),
        ]
    }
    out = api.client.post("/api/v1/outcomes", json=batch, headers=api.as_("agent")).json()
    assert [(i["status"], i["code"]) for i in out["items"]] == [
        ("stored", None),
        ("rejected", "unknown_disposition"),
        ("rejected", "unknown_customer"),
        ("rejected", "invalid"),
        ("rejected", "invalid"),
        ("rejected", "invalid"),
        ("stored", None),
    ]
    assert out["items"][3]["details"][0]["where"] == "ts"
    assert out["items"][5]["details"][0]["where"] == "colour"
    assert _count(api) == 2
    with api.services.factory() as s:
        assert s.get(Customer, "C2").dnc  # the good DNC item of the batch took effect


def test_single_outcome_by_key(api):
    url = "/api/v1/outcomes/k-1"
    assert api.client.put(url, json=_item("k-1"), headers=api.as_("agent")).status_code == 201
    assert api.client.put(url, json=_item("k-1"), headers=api.as_("agent")).status_code == 200
    wrong = api.client.put(url, json=_item("other"), headers=api.as_("agent"))
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "validation"
    unknown = api.client.put("/api/v1/outcomes/k-2", json=_item("k-2", cid="NOBODY"), headers=api.as_("agent"))
    assert unknown.status_code == 404 and "NOBODY" in unknown.json()["error"]["message"]


def test_malformed_json_wrong_types_empty_and_oversized_bodies(api):
    headers = {**api.as_("agent"), "content-type": "application/json"}
    broken = api.client.post("/api/v1/outcomes", content=b'{"outcomes": [', headers=headers)
    assert broken.status_code == 422 and broken.json()["error"]["code"] == "validation"
    assert api.client.post("/api/v1/outcomes", json={"outcomes": "x"}, headers=headers).status_code == 422
    empty = api.client.post("/api/v1/outcomes", json={"outcomes": []}, headers=headers)
    assert empty.status_code == 422 and empty.json()["error"]["message_zh"]
    big = {"outcomes": [_item(f"z{i}", note="x" * 400) for i in range(600)]}
    too_large = api.client.post("/api/v1/outcomes", json=big, headers=headers)
    assert too_large.status_code == 413 and too_large.json()["error"]["code"] == "too_large"
    assert _count(api) == 0


def test_outcomes_can_be_read_back_page_by_page(api):
    api.client.post("/api/v1/outcomes", json={"outcomes": [_item(f"p{i}") for i in range(5)]}, headers=api.as_("agent"))
    seen, after = [], 0
    while True:
        page = api.client.get(f"/api/v1/outcomes?limit=2&after_id={after}", headers=api.as_("supervisor")).json()
        seen += [i["idempotency_key"] for i in page["items"]]
        if page["next_after"] is None:
            break
        after = page["next_after"]
    assert seen == [f"p{i}" for i in range(5)]


def test_an_interested_outcome_plans_its_follow_ups_and_metrics_count_them(api):
    from callwise.loop import load_followup_rules
    from callwise.ops.followups import outcome_planner
    from callwise.policy import default_policy

    products = {"P_WM01": {"category": "wealth", "name": "季季盈", "link": "https://bank.example/wm01"}}
    rules, policy = load_followup_rules(), default_policy()
    api.services.plan_followups = outcome_planner(rules, policy, products, "Asia/Shanghai", "示例银行")
    batch = {
        "outcomes": [
            _item("f1", "C1", "interested", product_id="P_WM01", campaign_id="K"),
            _item("f2", "C2", "no_answer", campaign_id="K"),
        ]
    }
    assert api.client.post("/api/v1/outcomes", json=batch, headers=api.as_("agent")).json()["stored"] == 2
    summary = api.client.get("/api/v1/metrics/summary", headers=api.as_("analyst")).json()
    assert summary["outbox"] == {"pending": 2}
    (campaign,) = summary["campaigns"]
    assert campaign["calls"] == 2 and campaign["answered"] == 1 and campaign["answer_rate"] == 0.5


def test_a_time_outside_what_utc_can_hold_is_a_422_not_a_500(api):
    for field in ("ts", "callback_at"):
        for at in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"):
            item = _item("k-odd") | {field: at}
            answer = api.client.put("/api/v1/outcomes/k-odd", json=item, headers=api.as_("agent"))
            assert answer.status_code == 422, (field, at)
