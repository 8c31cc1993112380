"""A campaign built and run through the service gets its results by API and by CLI, the same numbers both ways.

The list is built by the service's job, the dialer posts outcomes through the API, and the bank's conversion file
(any channel) brings control members' purchases into the lake: the results count exactly those.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime

import pyarrow as pa
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from callwise.cli import app
from callwise.lake import Lake
from callwise.ops.customers import sync_customers
from callwise.ops.db import session_factory
from callwise.ops.models import ListMember
from tests.web.test_builds_api import CAMPAIGN, _build, _items, _register_and_promote

COSTS = {"cost_per_call": 4.0, "cost_per_minute": 0.5, "cost_per_sms": 0.0}
CONVERTED, TALK_CONVERTED, TALK_OTHER, TALK_COMPLAINT = 10, 200.0, 60.0, 30.0


@pytest.fixture
def run_campaign(api, small_bank, saved_model, tmp_path):
    """Build the list through the service, post 40 outcomes, and let 3 control members buy on their own."""
    shutil.copytree(small_bank["lake"].root, tmp_path / "lake")
    lake = api.services.lake = Lake(tmp_path / "lake", threads=2)
    shutil.copytree(saved_model, api.services.models_dir / "response-v1")
    sync_customers(api.services.factory, lake)
    _register_and_promote(api)
    made = api.client.post("/api/v1/campaigns", json={**CAMPAIGN, **COSTS}, headers=api.as_("analyst"))
    assert made.status_code == 201, made.text
    list_id = _build(api)["list_id"]
    with session_factory(api.services.engine)() as s:
        members = s.scalars(select(ListMember).where(ListMember.list_id == list_id)).all()
    control = sorted(m.customer_id for m in members if m.group == "control")
    assert len(control) >= 3

    first_items: dict[str, dict] = {}
    for item in _items(api, list_id, api.as_("agent")):
        first_items.setdefault(item["customer_id"], item)
    called = sorted(first_items)[:40]
    outcomes = []
    for i, customer in enumerate(called):
        disposition, talk = (
            ("converted", TALK_CONVERTED)
            if i < CONVERTED
            else ("complaint", TALK_COMPLAINT)
            if i == CONVERTED
            else ("answered", TALK_OTHER)
        )
        outcomes.append(
            {
                "idempotency_key": f"k-{customer}",
                "customer_id": customer,
                "campaign_id": CAMPAIGN["campaign_id"],
                "item_id": first_items[customer]["item_id"],
                "product_id": CAMPAIGN["product_id"],
                "disposition": disposition,
                "ts": "2026-07-01T10:15:00+08:00",
                "agent_id": "A0001",
                "duration_s": talk,
            }
        )
    posted = api.client.post("/api/v1/outcomes", json={"outcomes": outcomes}, headers=api.as_("agent"))
    assert posted.status_code == 200 and posted.json()["stored"] == 40, posted.text

    schema = lake.table("conversions").schema().to_pyarrow()
    bought = {name: [None] * 3 for name in schema.names}
    bought.update(
        customer_id=control[:3],
        product_id=[CAMPAIGN["product_id"]] * 3,
        ts=[datetime(2026, 7, 5, 10)] * 3,  # the bank's clock, within the window
        amount=[50_000.0] * 3,
    )
    lake.append("conversions", "control-bought", pa.table(bought, schema=schema), schema)
    return {"api": api, "members": members, "lake": lake}


def test_the_service_campaign_gets_its_results_by_api_and_cli(run_campaign, monkeypatch):
    api, members = run_campaign["api"], run_campaign["members"]
    url = f"/api/v1/campaigns/{CAMPAIGN['campaign_id']}/results"
    got = api.client.get(url, params={"window_days": 30}, headers=api.as_("analyst"))
    assert got.status_code == 200, got.text
    result = got.json()
    itt = result["itt"]
    assert itt["n_treatment"] == sum(m.group == "treatment" for m in members)
    assert itt["n_control"] == sum(m.group == "control" for m in members)
    assert (itt["conversions_treatment"], itt["conversions_control"]) == (CONVERTED, 3)
    talk = CONVERTED * TALK_CONVERTED + TALK_COMPLAINT + (40 - CONVERTED - 1) * TALK_OTHER
    assert result["costs"]["dials"] == 40
    assert result["costs"]["total"] == pytest.approx(40 * 4.0 + talk / 60 * 0.5, abs=0.01)  # money to the cent
    assert result["harm"]["complaint"]["count"] == 1 and result["harm"]["called"] == 40  # members dialled
    lift = itt["lift"]
    assert lift["low"] <= lift["estimate"] <= lift["high"]

    for lang, word in (("en", "incremental conversions"), ("zh", "增量成交")):
        page = api.client.get(url, params={"format": "html", "lang": lang}, headers=api.as_("analyst"))
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert word in page.text and CAMPAIGN["campaign_id"] in page.text

    monkeypatch.setenv("CALLWISE_DB_URL", api.services.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("CALLWISE_LANG", "en")
    cli = CliRunner().invoke(
        app, ["results", "campaign", CAMPAIGN["campaign_id"], "--lake", str(run_campaign["lake"].root), "--json"]
    )
    assert cli.exit_code == 0, cli.output
    assert json.loads(cli.output)["itt"] == itt


def test_results_are_refused_plainly(run_campaign):
    api = run_campaign["api"]
    assert api.client.get("/api/v1/campaigns/nope/results", headers=api.as_("analyst")).status_code == 404
    forbidden = api.client.get(f"/api/v1/campaigns/{CAMPAIGN['campaign_id']}/results", headers=api.as_("agent"))
    assert forbidden.status_code == 403
    bad = api.client.get(
        f"/api/v1/campaigns/{CAMPAIGN['campaign_id']}/results", params={"window_days": 0}, headers=api.as_("analyst")
    )
    assert bad.status_code == 422
