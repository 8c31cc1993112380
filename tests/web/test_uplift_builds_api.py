"""A campaign ranked by uplift through the API: the field is checked like the campaign file's, and a build
needs an active uplift model (registered under the name "uplift")."""

from __future__ import annotations

import shutil
import time

import pytest

from callwise.lake import Lake
from callwise.pipeline import train_uplift_from_lake

CAMPAIGN = {"campaign_id": "wm-up", "product_id": "P_WM01", "date": "2026-07-01", "days": 3, "ranking": "uplift"}


@pytest.fixture(scope="module")
def uplift_model(small_bank, tmp_path_factory):
    out = tmp_path_factory.mktemp("uplift") / "model"
    train_uplift_from_lake(small_bank["lake"], "s", out, seed=2)
    return out


@pytest.fixture
def with_lake(api, small_bank, uplift_model, saved_model, tmp_path):
    shutil.copytree(small_bank["lake"].root, tmp_path / "lake")
    api.services.lake = Lake(tmp_path / "lake", threads=2)
    shutil.copytree(uplift_model, api.services.models_dir / "uplift-v1")
    shutil.copytree(saved_model, api.services.models_dir / "response-v1")
    return api


def _promote(api, name: str, path: str) -> None:
    made = api.client.post(
        "/api/v1/models", json={"name": name, "version": "v1", "path": path}, headers=api.as_("analyst")
    )
    assert made.status_code == 201, made.text
    assert api.client.post(f"/api/v1/models/{made.json()['model_id']}/promote", headers=api.as_("analyst")).is_success


def _build(api) -> dict:
    job = api.client.post(f"/api/v1/campaigns/{CAMPAIGN['campaign_id']}/builds", headers=api.as_("analyst")).json()
    for _ in range(600):
        state = api.client.get(f"/api/v1/jobs/{job['job_id']}", headers=api.as_("analyst")).json()
        if state["status"] in ("done", "failed"):
            return state
        time.sleep(0.2)
    raise AssertionError("the build did not finish")


def test_the_ranking_is_checked_like_the_campaign_files(with_lake):
    api = with_lake
    refused = api.client.post("/api/v1/campaigns", json={**CAMPAIGN, "ranking": "gain"}, headers=api.as_("analyst"))
    assert refused.status_code == 422 and "ranking" in str(refused.json()["error"]["details"])
    made = api.client.post("/api/v1/campaigns", json=CAMPAIGN, headers=api.as_("analyst"))
    assert made.status_code == 201 and made.json()["spec"]["ranking"] == "uplift"


def test_an_uplift_campaign_builds_from_the_active_uplift_model_and_not_without_one(with_lake):
    api = with_lake
    api.client.post("/api/v1/campaigns", json=CAMPAIGN, headers=api.as_("analyst"))
    _promote(api, "response", "response-v1")  # a response model is active, but not under the name uplift
    state = _build(api)
    assert state["status"] == "failed" and "no uplift model is active" in state["error"]
    _promote(api, "uplift", "uplift-v1")
    state = _build(api)
    assert state["status"] == "done", state["error"]
    assert "negative_uplift" in [s["step"] for s in state["result"]["funnel"]]
