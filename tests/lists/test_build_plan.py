"""A campaign's list end to end on a small synthetic bank: policy, experiment, schedule, gate, files."""

import hashlib
import json
import shutil
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from openpyxl import load_workbook

from callwise.lake import Lake
from callwise.lists.build import ListError, build_list
from callwise.lists.campaign import Campaign, CampaignError, load_campaign
from callwise.lists.output import write_list
from callwise.pipeline import train_from_lake
from callwise.policy import assert_clean, default_policy, evaluate_customers, history_since, load_call_history
from callwise.schema.contract import PHONE_KEY, TABLES

DAY = date(2026, 7, 1)


@pytest.fixture(scope="module")
def model(small_bank):
    fitted, _ = train_from_lake(small_bank["lake"], "lightgbm", seed=3)
    return fitted


@pytest.fixture(scope="module")
def built(small_bank, model):
    campaign = Campaign(campaign_id="t-wealth", product_id="P_WM01", date=DAY, days=5, arms={"A": 0.5, "B": 0.5})
    return build_list(campaign, small_bank["lake"], model)


def test_every_customer_is_called_or_has_a_reason_and_the_funnel_adds_up(built, small_bank):
    customers = small_bank["lake"].table("customers").count().execute()
    assert built.summary["customers"] == customers
    assert len(built.listed) + len(built.excluded) == customers
    assert built.excluded["reason"].notna().all()
    assert not set(built.listed["customer_id"]) & set(built.excluded["customer_id"])
    funnel = built.summary["funnel"]
    assert funnel[-1]["remaining"] == len(built.listed) > 0
    assert sum(s["removed"] for s in funnel) == customers - len(built.listed)


def test_nobody_on_the_list_is_excluded_by_any_rule_and_every_call_passes_the_gate(built, small_bank):
    lake, policy = small_bank["lake"], default_policy()
    verdicts = evaluate_customers(
        lake,
        policy,
        {"product_id": "P_WM01", "category": "wealth", "risk_level": "R2", "value_per_conversion": 1.0},
        "t-wealth",
        DAY,
        DAY,
    )
    barred = set(verdicts.frame.loc[verdicts.primary.notna().to_numpy(), "customer_id"])
    assert not barred & set(built.listed["customer_id"])
    calls = built.calls.merge(verdicts.frame[["customer_id", PHONE_KEY]], on="customer_id")
    history = load_call_history(lake, history_since(policy, DAY))
    assert_clean(calls, verdicts, policy, history)  # raises if any call breaks a rule


def test_control_customers_are_members_but_never_called(built):
    control = built.members[built.members["group"] == "control"]
    treatment = built.members[built.members["group"] == "treatment"]
    assert len(control) > 0 and control["arm"].isna().all()
    assert not set(control["customer_id"]) & set(built.calls["customer_id"])
    assert set(treatment["customer_id"]) == set(built.listed["customer_id"])
    assert set(treatment["arm"]) <= {"A", "B"}
    share = len(control) / len(built.members)
    assert 0.05 < share < 0.15  # about the 10% asked for
    assert built.summary["experiment"]["detectable_lift"]["mde_absolute"] > 0


def test_calls_stay_within_agent_capacity_hours_and_attempts(built):
    plan = built.planning.plan
    slots, force = built.planning.slots, built.planning.force
    load = np.bincount(built.calls["slot"], built.calls["p_reached"], minlength=len(slots))
    assert (load <= force.capacity.sum(axis=0) + 1e-6).all()
    hours = built.calls["call_at"].dt.hour
    assert ((hours >= 9) & (hours < 20)).all()
    assert (built.calls.groupby("customer_id").size() <= 3).all()
    assert built.calls["agent_id"].notna().all()
    assert plan.summary["lp_bound"] >= plan.summary["objective"] > 0


def test_schedules_against_the_truth_keep_capacity_and_the_oracle_earns_most(built, small_bank):
    from callwise.synth.against_truth import compare_schedules_with_truth

    out = compare_schedules_with_truth(built, small_bank["bank"] / "_truth")
    plans = out["plans"]
    assert set(plans) == {"ranked_in_order", "callwise", "oracle_timing", "best_from_tables", "oracle"}
    for plan in plans.values():
        assert plan["true_expected_calls"] <= out["capacity_calls"] * 1.001
        assert 0 < plan["true_conversions"] <= plan["customers_called"]
    # The oracle plans on the true value, so no other plan may earn clearly more of it.
    best = plans["oracle"]["true_value"]
    assert all(plan["true_value"] <= best * 1.01 + 1 for plan in plans.values())
    assert out["share_of_oracle"] == pytest.approx(
        plans["callwise"]["true_conversions"] / plans["oracle"]["true_conversions"], abs=1e-3
    )
    assert 0 < out["best_from_tables_share_of_oracle"] <= 1.01


def test_schedules_by_increment_the_oracle_adds_most_and_the_tables_less(built, small_bank):
    from callwise.synth.against_truth import compare_increment_schedules_with_truth

    out = compare_increment_schedules_with_truth(built, small_bank["bank"] / "_truth")
    plans = out["plans"]
    assert set(plans) == {
        "callwise",
        "best_from_tables_by_increment",
        "best_from_tables_by_increment_own_timing",
        "oracle_by_increment",
    }
    for plan in plans.values():
        assert plan["true_expected_calls"] <= out["capacity_calls"] * 1.001
        assert plan["true_incremental_conversions"] < plan["true_conversions"]
    # The oracle plans on the true increment, so no plan may add clearly more conversions than it.
    most = plans["oracle_by_increment"]["true_incremental_conversions"]
    assert all(plan["true_incremental_conversions"] <= most * 1.01 + 0.5 for plan in plans.values())
    assert plans["best_from_tables_by_increment"]["true_incremental_conversions"] > 0
    assert out["share_of_oracle_by_increment"] == pytest.approx(
        plans["callwise"]["true_incremental_conversions"] / most, abs=1e-3
    )


def test_files_are_written_per_day_and_byte_identical_on_a_rebuild(built, small_bank, model, tmp_path):
    files = write_list(built, tmp_path / "a", lang="en")
    day_files = sorted((tmp_path / "a" / "dialer").glob("calls_*.csv"))
    assert day_files and all(p.with_suffix(".xlsx").exists() for p in day_files)
    rows = pd.concat([pd.read_csv(p, encoding="utf-8-sig", dtype=str) for p in day_files])
    assert len(rows) == len(built.calls)
    assert rows["phone_masked"].str.fullmatch(r"1\d\d\*{4}\d{4}").all()
    assert set(rows["condition"]) <= {"always", "if_no_answer"}
    assert set(rows["slot_tz"]) == {"Asia/Shanghai"} and rows["local_tz"].notna().all()
    assert rows["slot_start_local"].str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:00:00[+-]\d\d:\d\d").all()
    sheet = load_workbook(day_files[0].with_suffix(".xlsx"), read_only=True).active
    assert next(sheet.iter_rows(values_only=True))[0] == "date"
    summary = json.loads((tmp_path / "a" / "summary.json").read_text(encoding="utf-8"))
    assert summary["policy"]["sha256"] == default_policy().sha256
    campaign = Campaign(campaign_id="t-wealth", product_id="P_WM01", date=DAY, days=5, arms={"A": 0.5, "B": 0.5})
    again = write_list(build_list(campaign, small_bank["lake"], model), tmp_path / "b", lang="en")
    for key in (
        "list_csv",
        "members_csv",
        "exclusions_csv",
        "summary",
        *[k for k in files if k.startswith("dialer_") and not k.endswith("xlsx")],
    ):
        digest = [hashlib.sha256(Path(path).read_bytes()).hexdigest() for path in (files[key], again[key])]
        assert digest[0] == digest[1], key


def test_profiling_opt_outs_can_be_reached_without_profile_models(small_bank, model, tmp_path):
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text("name: bank\nversion: 2\nrules:\n  profiling_opt_out:\n    mode: non_personalised\n")
    campaign = Campaign(campaign_id="t-opt", product_id="P_WM01", date=DAY, days=3, policy=policy_file)
    result = build_list(campaign, small_bank["lake"], model)
    opted = result.ranked[result.ranked["non_personalised"]]
    assert len(opted) > 0 and opted["score"].nunique() == 1
    listed = result.listed[result.listed["customer_id"].isin(opted["customer_id"])]
    assert (listed["reason_1"] == "").all(), "no profile-based reasons for them"
    assert result.summary["policy"]["source"].endswith("policy.yaml")


def test_unknown_product_is_refused_and_nothing_is_written(small_bank, model, tmp_path):
    campaign = Campaign(campaign_id="t", product_id="NOPE", date=DAY)
    with pytest.raises(ListError, match="NOPE"):
        build_list(campaign, small_bank["lake"], model)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("arms: {A: 0.5, B: 0.6}\n", r"c\.yaml:4: arms"),
        ("control_share: 1.2\n", r"c\.yaml:4: control_share"),
        ("capacity: -5\n", r"c\.yaml:4: capacity"),
        ("first_hour: 20\nlast_hour: 9\n", "last_hour"),
        ("policy: missing.yaml\n", r"c\.yaml:4: policy"),
        ("days: 0\n", r"c\.yaml:4: days"),
        ("agent_share: 0\n", r"c\.yaml:4: agent_share"),
    ],
)
def test_malformed_campaign_files_are_refused(tmp_path, extra, message):
    path = tmp_path / "c.yaml"
    path.write_text(f"campaign_id: w\nproduct_id: P_WM01\ndate: 2026-07-01\n{extra}", encoding="utf-8")
    with pytest.raises(CampaignError, match=message):
        load_campaign(path)


def lake_copy(small_bank, tmp_path, agents: pd.DataFrame | None):
    """The small bank's lake with its agents table replaced (or left out)."""
    root = tmp_path / "lake"
    shutil.copytree(small_bank["lake"].root, root, ignore=shutil.ignore_patterns("agents.parquet"))
    lake = Lake(root)
    if agents is not None:
        schema = TABLES["agents"].arrow_schema(list(agents.columns))
        lake.write("agents", pa.Table.from_pandas(agents, schema=schema, preserve_index=False))
    return lake


def test_a_lake_without_agents_is_refused(small_bank, model, tmp_path):
    with pytest.raises(ListError, match="no agents table"):
        build_list(
            Campaign(campaign_id="t", product_id="P_WM01", date=DAY), lake_copy(small_bank, tmp_path, None), model
        )


def test_agents_never_on_shift_in_the_campaign_are_refused(small_bank, model, tmp_path):
    weekend_only = pd.DataFrame(
        {"agent_id": ["A1"], "skills": ["wealth"], "shift": ["sun 09:00-18:00"], "calls_per_hour": [12.0]}
    )
    lake = lake_copy(small_bank, tmp_path, weekend_only)
    campaign = Campaign(campaign_id="t", product_id="P_WM01", date=DAY, days=3)  # Wed–Fri
    with pytest.raises(ListError, match="on shift"):
        build_list(campaign, lake, model)


def test_customers_sharing_numbers_are_planned_on_different_days_and_the_rest_have_the_reason(
    small_bank, model, tmp_path
):
    root = tmp_path / "lake"
    shutil.copytree(small_bank["lake"].root, root)
    lake = Lake(root)
    customers = lake.table("customers").to_pyarrow()
    phones = customers[PHONE_KEY].to_numpy(zero_copy_only=False).copy()
    phones[: len(phones) // 2] = phones[: len(phones) // 2 : 3].repeat(3)[: len(phones) // 2]  # households of 3
    position = customers.schema.get_field_index(PHONE_KEY)
    lake.write("customers", customers.set_column(position, PHONE_KEY, pa.array(phones, pa.binary())))
    campaign = Campaign(campaign_id="t-shared", product_id="P_WM01", date=DAY, days=2)
    result = build_list(campaign, lake, model)
    assert "phone_daily_limit" not in result.summary["gate"], "the plan already keeps one call per number a day"
    steps = {s["step"]: s["removed"] for s in result.summary["funnel"]}
    assert steps["phone_daily_limit"] > 0, "whoever the number's days could not take is counted, not lost"
    number = pd.Series(phones, index=customers["customer_id"].to_numpy())
    calls = result.calls.assign(number=number.reindex(result.calls["customer_id"]).to_numpy())
    assert not calls.assign(day=calls["call_at"].dt.date).duplicated(["number", "day"]).any()
    limited = result.excluded.loc[result.excluded["reason"] == "phone_daily_limit", "customer_id"]
    assert number.reindex(limited).isin(number.reindex(result.members["customer_id"])).all()
