"""POST /campaigns/{id}/close, and a closed campaign refusing a build with 409 and a clear message."""

from __future__ import annotations

CAMPAIGN = {"campaign_id": "life-1", "product_id": "P1", "date": "2026-07-01"}


def test_a_campaign_is_closed_once_and_then_gets_no_build(api):
    assert api.client.post("/api/v1/campaigns", json=CAMPAIGN, headers=api.as_("analyst")).json()["status"] == "draft"
    closed = api.client.post("/api/v1/campaigns/life-1/close", headers=api.as_("supervisor"))
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    again = api.client.post("/api/v1/campaigns/life-1/close", headers=api.as_("supervisor"))
    assert again.status_code == 409 and again.json()["error"]["code"] == "campaign_state"
    assert again.json()["error"]["message"] == "Campaign life-1 is closed and cannot become closed."
    build = api.client.post("/api/v1/campaigns/life-1/builds", headers=api.as_("analyst"))
    assert build.status_code == 409 and "cannot become built" in build.json()["error"]["message"]
    assert api.client.post("/api/v1/campaigns/none/close", headers=api.as_("supervisor")).status_code == 404
    assert api.client.get("/api/v1/campaigns/life-1", headers=api.as_("agent")).json()["status"] == "closed"
