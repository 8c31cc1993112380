"""From a campaign to an issued list through the API, and a DNC request obeyed by the very next build."""

from __future__ import annotations

import shutil
import time

import pytest

from callwise.lake import Lake
from callwise.ops.customers import sync_customers

CAMPAIGN = {"campaign_id": "wm-api", "product_id": "P_WM01", "date": "2026-07-01", "days": 3, "seed": 5, "lang": "en"}


@pytest.fixture
def with_lake(api, small_bank, saved_model, tmp_path):
    shutil.copytree(small_bank["lake"].root, tmp_path / "lake")
    api.services.lake = Lake(tmp_path / "lake", threads=2)
    shutil.copytree(saved_model, api.services.models_dir / "response-v1")
    sync_customers(api.services.factory, api.services.lake)
    return api


def _register_and_promote(api, version: str = "v1") -> dict:
    made = api.client.post(
        "/api/v1/models", json={"version": version, "path": "response-v1"}, headers=api.as_("analyst")
    )
    assert made.status_code == 201, made.text
    promoted = api.client.post(f"/api/v1/models/{made.json()['model_id']}/promote", headers=api.as_("analyst"))
    assert promoted.status_code == 200 and promoted.json()["active"]
    return promoted.json()


def _build(api) -> dict:
    job = api.client.post(f"/api/v1/campaigns/{CAMPAIGN['campaign_id']}/builds", headers=api.as_("analyst"))
    assert job.status_code == 202, job.text
    for _ in range(600):
        state = api.client.get(f"/api/v1/jobs/{job.json()['job_id']}", headers=api.as_("analyst")).json()
        if state["status"] in ("done", "failed"):
            break
        time.sleep(0.2)
    assert state["status"] == "done", state["error"]
    assert state["progress"] == 1.0
    return state["result"]


def _items(api, list_id: int, headers: dict, **params) -> list[dict]:
    items, after = [], 0
    while True:
        page = api.client.get(
            f"/api/v1/lists/{list_id}/items", params={"after_id": after, "limit": 200, **params}, headers=headers
        )
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        if page.json()["next_after"] is None:
            return items
        after = page.json()["next_after"]


def test_a_dnc_request_excludes_the_customer_from_the_very_next_build(with_lake):
    api = with_lake
    _register_and_promote(api)
    assert api.client.post("/api/v1/campaigns", json=CAMPAIGN, headers=api.as_("analyst")).status_code == 201
    first = _build(api)
    items = _items(api, first["list_id"], api.as_("agent"))
    assert len(items) == first["items"] > 0
    assert all("****" in i["phone"] for i in items)
    customer = items[0]["customer_id"]

    dnc = api.client.post(f"/api/v1/customers/{customer}/dnc", headers=api.as_("supervisor"))
    assert dnc.status_code == 200 and dnc.json()["withdrawn_calls"] >= 1
    left = _items(api, first["list_id"], api.as_("agent"), status="pending")
    assert customer not in {i["customer_id"] for i in left}

    second = _build(api)
    again = {i["customer_id"] for i in _items(api, second["list_id"], api.as_("agent"))}
    assert customer not in again and len(again) > 0


def test_dialers_with_pii_read_get_numbers_and_the_export_is_audited(with_lake):
    api = with_lake
    _register_and_promote(api)
    api.client.post("/api/v1/campaigns", json=CAMPAIGN, headers=api.as_("analyst"))
    built = _build(api)
    assert (
        api.client.get(f"/api/v1/lists/{built['list_id']}/items?reveal=true", headers=api.as_("agent")).status_code
        == 403
    )
    revealed = _items(api, built["list_id"], api.as_("supervisor"), reveal="true")
    assert all(i["phone"].isdigit() and len(i["phone"]) == 11 for i in revealed)
    audit = api.client.get("/api/v1/audit?action=list.export_pii", headers=api.as_("auditor")).json()["items"]
    assert sum(e["detail"]["items"] for e in audit) == len(revealed)


def test_the_campaign_status_follows_the_build_the_issue_and_the_first_outcome(with_lake):
    api = with_lake
    _register_and_promote(api)
    api.client.post("/api/v1/campaigns", json=CAMPAIGN, headers=api.as_("analyst"))

    def status() -> dict:
        return api.client.get(f"/api/v1/campaigns/{CAMPAIGN['campaign_id']}", headers=api.as_("agent")).json()

    assert status()["status"] == "draft"
    built = _build(api)
    assert status()["status"] == "issued"
    item = _items(api, built["list_id"], api.as_("agent"))[0]
    outcome = {
        "idempotency_key": "life-1",
        "customer_id": item["customer_id"],
        "item_id": item["item_id"],
        "disposition": "no_answer",
        "ts": "2026-07-01T02:00:00Z",
    }
    assert (
        api.client.post("/api/v1/outcomes", json={"outcomes": [outcome]}, headers=api.as_("agent")).status_code == 200
    )
    assert status()["status"] == "running"
    moves = api.client.get("/api/v1/audit?action=campaign.status", headers=api.as_("auditor")).json()["items"]
    assert [(m["detail"]["from"], m["detail"]["to"]) for m in moves] == [
        ("draft", "built"),
        ("built", "issued"),
        ("issued", "running"),
    ]


def test_a_build_without_an_active_model_fails_with_a_clear_message(with_lake):
    api = with_lake
    api.client.post("/api/v1/campaigns", json=CAMPAIGN, headers=api.as_("analyst"))
    job = api.client.post(f"/api/v1/campaigns/{CAMPAIGN['campaign_id']}/builds", headers=api.as_("analyst")).json()
    for _ in range(100):
        state = api.client.get(f"/api/v1/jobs/{job['job_id']}", headers=api.as_("analyst")).json()
        if state["status"] in ("done", "failed"):
            break
        time.sleep(0.1)
    assert state["status"] == "failed" and "no active response model" in state["error"]


def test_model_registry_promote_and_roll_back(with_lake):
    api = with_lake
    v1 = _register_and_promote(api, "v1")
    v2 = _register_and_promote(api, "v2")
    listed = api.client.get("/api/v1/models", headers=api.as_("analyst")).json()["items"]
    models = {m["version"]: m["active"] for m in listed}
    assert models == {"v1": False, "v2": True}
    back = api.client.post("/api/v1/models/by-name/response/rollback", headers=api.as_("analyst"))
    assert back.status_code == 200 and back.json()["version"] == "v1" and back.json()["model_id"] == v1["model_id"]
    assert v2["card"]["note"] == "test"
    outside = api.client.post("/api/v1/models", json={"version": "v9", "path": "../../etc"}, headers=api.as_("analyst"))
    assert outside.status_code == 422
    actions = [e["action"] for e in api.client.get("/api/v1/audit", headers=api.as_("auditor")).json()["items"]]
    assert actions.count("model.promote") == 2 and "model.rollback" in actions


def test_campaigns_are_checked_like_campaign_files(with_lake):
    api = with_lake
    bad_arms = {**CAMPAIGN, "arms": {"A": 0.5, "B": 0.4}}
    refused = api.client.post("/api/v1/campaigns", json=bad_arms, headers=api.as_("analyst"))
    assert refused.status_code == 422 and "arms" in str(refused.json()["error"]["details"])
    hours = {**CAMPAIGN, "first_hour": 20, "last_hour": 9}
    assert api.client.post("/api/v1/campaigns", json=hours, headers=api.as_("analyst")).status_code == 422
    assert api.client.post("/api/v1/campaigns", json=CAMPAIGN, headers=api.as_("analyst")).status_code == 201
    assert api.client.post("/api/v1/campaigns", json=CAMPAIGN, headers=api.as_("analyst")).status_code == 409
    assert api.client.post("/api/v1/campaigns/none/builds", headers=api.as_("analyst")).status_code == 404


def test_a_model_file_swapped_for_a_link_outside_after_registration_fails_the_build(with_lake, tmp_path):
    api = with_lake
    _register_and_promote(api)
    assert api.client.post("/api/v1/campaigns", json=CAMPAIGN, headers=api.as_("analyst")).status_code == 201
    card = api.services.models_dir / "response-v1" / "model_card.json"
    outside = tmp_path / "elsewhere.json"
    outside.write_text(card.read_text(encoding="utf-8"), encoding="utf-8")
    card.unlink()
    card.symlink_to(outside)
    job = api.client.post(f"/api/v1/campaigns/{CAMPAIGN['campaign_id']}/builds", headers=api.as_("analyst"))
    for _ in range(300):
        state = api.client.get(f"/api/v1/jobs/{job.json()['job_id']}", headers=api.as_("analyst")).json()
        if state["status"] in ("done", "failed"):
            break
        time.sleep(0.1)
    assert state["status"] == "failed"
    assert "outside the models directory" in state["error"] and "模型目录之外" in state["error_zh"]
