"""Recording the experiment: every member of a list, control included, in the ops DB and in the lake, once."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime

import pandas as pd
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from callwise.cli import app
from callwise.lake import Lake
from callwise.ops.db import session_factory, transaction
from callwise.ops.lists import issue_list
from callwise.ops.models import Campaign, Customer, ListMember
from callwise.results.frame import member_outcomes

runner = CliRunner()


def _members() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["C1", "C2", "C3"],
            "group": ["treatment", "control", "treatment"],
            "arm": ["a", None, "b"],
            "score": [0.7, 0.2, float("nan")],
            "score_decile": pd.array([1, 8, pd.NA], dtype="Int64"),
            "product_id": "P1",
            "province": ["广东", None, "上海"],
            "age_band": ["30-39", "60+", None],
            "segment": ["企业职员", None, None],
        }
    )


def test_issue_list_records_every_member_control_included(db_engine):
    factory = session_factory(db_engine)
    with transaction(factory) as s:
        s.add(Campaign(campaign_id="K", name="k", product_id="P1", spec={}, created_by="t"))
        s.add_all([Customer(customer_id=c) for c in ("C1", "C3")])
    calls = pd.DataFrame(
        {
            "customer_id": ["C1", "C3"],
            "product_id": "P1",
            "call_at": pd.to_datetime(["2026-07-01 09:00", "2026-07-01 10:00"]),
            "agent_id": ["A1", "A2"],
            "attempt": [1, 1],
            "arm": ["a", "b"],
            "phone_masked": ["138****0000", "139****0000"],
        }
    )
    start = datetime(2026, 7, 1, 1, tzinfo=UTC)
    summary = {"experiment": {"seed": 2**62 + 5}}
    with transaction(factory) as s:
        issued = issue_list(s, "K", calls, summary, "t", None, "Asia/Shanghai", members=_members(), assigned_at=start)
        list_id = issued.list_id
    with factory() as s:
        rows = s.scalars(select(ListMember).order_by(ListMember.customer_id)).all()
    assert [r.customer_id for r in rows] == ["C1", "C2", "C3"]  # C2 is control: never called, still recorded
    assert [r.group for r in rows] == ["treatment", "control", "treatment"]
    assert [r.arm for r in rows] == ["a", None, "b"]
    assert rows[0].score == pytest.approx(0.7) and rows[2].score is None
    assert [r.score_decile for r in rows] == [1, 8, None]
    assert {r.seed for r in rows} == {2**62 + 5} and {r.list_id for r in rows} == {list_id}
    assert {r.assigned_at for r in rows} == {start} and {r.product_id for r in rows} == {"P1"}
    assert [r.province for r in rows] == ["广东", None, "上海"] and rows[1].age_band == "60+"


def test_issue_list_without_members_records_none(db_engine):
    factory = session_factory(db_engine)
    with transaction(factory) as s:
        s.add(Campaign(campaign_id="K", name="k", product_id="P1", spec={}, created_by="t"))
    with transaction(factory) as s:
        issue_list(s, "K", pd.DataFrame(), {}, "t", None, "Asia/Shanghai")
    with factory() as s:
        assert s.scalars(select(ListMember)).all() == []


CAMPAIGN = "campaign_id: rec-1\nproduct_id: P_WM01\ndate: 2026-07-01\ndays: 3\ncapacity: 300\nseed: 5\nlang: en\n"


@pytest.fixture
def built(small_bank, saved_model, tmp_path):
    """A copy of the small bank's lake and the arguments of a list build on it."""
    shutil.copytree(small_bank["lake"].root, tmp_path / "lake")
    campaign = tmp_path / "campaign.yaml"
    campaign.write_text(CAMPAIGN, encoding="utf-8")
    args = [
        "lists",
        "build",
        "--campaign",
        str(campaign),
        "--lake",
        str(tmp_path / "lake"),
        "--model",
        str(saved_model),
    ]
    return tmp_path, args


def _build(args, out) -> dict:
    result = runner.invoke(app, [*args, "--out", str(out), "--json"], env={"CALLWISE_LANG": "en"})
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_cli_build_appends_the_members_to_the_lake_once(built):
    root, args = built
    lake = Lake(root / "lake", threads=2)
    before = lake.table("campaign_members").to_pandas()
    first = _build(args, root / "a")
    assert first["members_recorded"]["already"] is False
    members = pd.read_parquet(root / "a" / "members.parquet")
    assert set(members["group"]) == {"treatment", "control"}
    assert {"product_id", "province", "age_band", "segment"} <= set(members.columns)

    table = lake.table("campaign_members").to_pandas()
    mine = table[table["campaign_id"] == "rec-1"].sort_values("customer_id").reset_index(drop=True)
    assert len(mine) == len(members) == first["members_recorded"]["rows"]
    assert list(mine["customer_id"]) == list(members["customer_id"])
    assert list(mine["group"]) == list(members["group"])  # the control group too
    members_table = lake.table("campaign_members")
    seeds = members_table.filter(members_table.campaign_id == "rec-1").seed.to_pyarrow()  # int64 exactly
    assert set(seeds.to_pylist()) == {first["experiment"]["seed"]} and mine["list_id"].isna().all()
    assert set(mine["assigned_at"]) == {pd.Timestamp("2026-07-01 09:00")}
    # the synthetic past campaigns' rows are still there, widened with empty columns
    old = table[table["campaign_id"] != "rec-1"]
    assert len(old) == len(before) and old["seed"].isna().all()

    again = _build(args, root / "b")
    assert again["members_recorded"] == {**first["members_recorded"], "already": True}
    assert len(lake.table("campaign_members").to_pandas()) == len(table)  # the same build: nothing added
    assert (root / "a" / "members.parquet").read_bytes() == (root / "b" / "members.parquet").read_bytes()

    frame = member_outcomes(lake, "rec-1")  # a campaign with no outcomes yet
    assert len(frame) == len(members) and frame["dials"].sum() == 0 and frame["converted"].sum() >= 0
    assert set(frame["age_band"].dropna()) <= {"18-29", "30-39", "40-49", "50-59", "60+"}


def test_the_training_set_still_reads_the_widened_members(built):
    from callwise.features import materialize, training_set

    root, args = built
    lake = Lake(root / "lake", threads=2)
    reference = materialize(training_set(lake)).to_pandas()
    _build(args, root / "a")
    after = materialize(training_set(Lake(root / "lake", threads=2))).to_pandas()
    keys = ["campaign_id", "customer_id"]
    pd.testing.assert_frame_equal(
        reference.sort_values(keys).reset_index(drop=True), after.sort_values(keys).reset_index(drop=True)
    )


def test_no_record_leaves_the_lake_alone(built):
    root, args = built
    files = sorted(p.name for p in (root / "lake").rglob("*campaign_members*"))
    summary = _build([*args, "--no-record"], root / "a")
    assert "members_recorded" not in summary
    assert sorted(p.name for p in (root / "lake").rglob("*campaign_members*")) == files


def test_a_list_built_by_the_service_is_recorded_in_the_db_and_the_lake(api, small_bank, saved_model, tmp_path):
    from callwise.ops.customers import sync_customers
    from tests.web.test_builds_api import CAMPAIGN as SERVICE_CAMPAIGN
    from tests.web.test_builds_api import _build as build_by_api
    from tests.web.test_builds_api import _register_and_promote

    shutil.copytree(small_bank["lake"].root, tmp_path / "lake")
    api.services.lake = Lake(tmp_path / "lake", threads=2)
    shutil.copytree(saved_model, api.services.models_dir / "response-v1")
    sync_customers(api.services.factory, api.services.lake)
    service = api
    _register_and_promote(service)
    service.client.post("/api/v1/campaigns", json=SERVICE_CAMPAIGN, headers=service.as_("analyst"))
    list_id = build_by_api(service)["list_id"]
    campaign_id = SERVICE_CAMPAIGN["campaign_id"]
    with session_factory(api.services.engine)() as s:
        rows = s.scalars(select(ListMember).where(ListMember.campaign_id == campaign_id)).all()
    groups = {r.group for r in rows}
    assert groups == {"treatment", "control"} and {r.list_id for r in rows} == {list_id}
    lake = service.services.lake
    table = lake.table("campaign_members").to_pandas()
    mine = table[table["campaign_id"] == campaign_id]
    assert sorted(mine["customer_id"]) == sorted(r.customer_id for r in rows)
    assert set(mine["list_id"]) == {list_id}
    # the DB's instant and the lake's bank-clock time are the same moment: 09:00 in Shanghai
    assert {r.assigned_at for r in rows} == {datetime(2026, 7, 1, 1, tzinfo=UTC)}
    assert set(mine["assigned_at"]) == {pd.Timestamp("2026-07-01 09:00")}
    assert pq.read_schema(lake.files("campaign_members")[-1]).names[:5] == [
        "campaign_id",
        "customer_id",
        "group",
        "arm",
        "assigned_at",
    ]
    frame = member_outcomes(lake, campaign_id, ops_engine=api.services.engine)
    assert len(frame) == len(rows) and (frame["group"] == "control").sum() == sum(r.group == "control" for r in rows)
