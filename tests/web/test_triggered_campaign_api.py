"""POST /api/v1/campaigns takes ``trigger:`` (moment ids), checked as the campaign file's are."""

from __future__ import annotations

CAMPAIGN = {"campaign_id": "trig-api", "product_id": "P_WM01", "date": "2026-07-01", "days": 3}


def test_a_triggered_campaign_is_created_and_an_unknown_id_refused(api):
    headers = api.as_("analyst")
    bad = api.client.post("/api/v1/campaigns", json={**CAMPAIGN, "trigger": ["birthdya"]}, headers=headers)
    assert bad.status_code == 422
    detail = bad.json()["error"]["details"][0]
    assert detail["where"] == "body.trigger" and "did you mean 'birthday'" in detail["problem"]
    twice = api.client.post(
        "/api/v1/campaigns", json={**CAMPAIGN, "trigger": ["birthday", "birthday"]}, headers=headers
    )
    assert twice.status_code == 422 and "listed twice" in twice.json()["error"]["details"][0]["problem"]
    ok = api.client.post(
        "/api/v1/campaigns", json={**CAMPAIGN, "trigger": ["birthday", "large_inflow"]}, headers=headers
    )
    assert ok.status_code == 201, ok.text
