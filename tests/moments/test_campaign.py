"""Triggered campaigns: ``trigger:`` checked when the file loads; the list built only from customers with a live
moment (``no_live_moment`` ahead of the policy); each member's moment recorded and measured against its control."""

from __future__ import annotations

import itertools
import json
import shutil
from datetime import date, datetime

import pytest

from callwise.lake import Lake
from callwise.lists.build import ListError, build_list
from callwise.lists.campaign import Campaign, CampaignError, load_campaign
from callwise.moments import MomentsError, build_moments, default_triggers
from callwise.moments.effect import moment_effect
from callwise.pipeline import train_from_lake
from callwise.results.effect import itt
from callwise.results.frame import member_outcomes
from callwise.results.record import record_members

DAY = date(2026, 7, 1)
CUTOFF = datetime(2026, 7, 1)
TRIGGER = ["large_inflow", "birthday", "repeated_product_views"]
BASE = "campaign_id: m1\nproduct_id: P_WM01\ndate: 2026-07-01\n"


def _file(tmp_path, text: str):
    path = tmp_path / "campaign.yaml"
    path.write_text(BASE + text, "utf-8")
    return path


def test_trigger_ids_are_checked_at_their_line(tmp_path):
    ok = load_campaign(_file(tmp_path, "trigger: [birthday, large_inflow]\n"))
    assert ok.trigger == ["birthday", "large_inflow"]
    for text, reason in [
        (
            "trigger: [birthdya]\n",
            "'birthdya' in trigger: is not an id of the trigger catalogue (did you mean 'birthday'?)",
        ),
        ("trigger: [birthday, birthday]\n", "'birthday' is listed twice in trigger:"),
        ("trigger: []\n", "trigger"),
        ("trigger: birthday\n", "trigger must be a list"),
        ("trigger: [Birthday!]\n", "trigger"),
    ]:
        path = _file(tmp_path, text)
        with pytest.raises(CampaignError) as info:
            load_campaign(path)
        assert str(info.value).startswith(f"{path}:4: ") and reason in str(info.value), str(info.value)
        assert info.value.message("zh").startswith(f"{path}:4：")


def test_a_broken_trigger_catalogue_is_named_with_its_own_line(tmp_path):
    (tmp_path / "triggers.yaml").write_text("version: 1\ntriggers:\n  - id: x!\n", "utf-8")
    path = _file(tmp_path, "trigger: [birthday]\ntrigger_catalogue: triggers.yaml\n")
    with pytest.raises(CampaignError) as info:
        load_campaign(path)
    assert str(info.value).startswith(f"{tmp_path / 'triggers.yaml'}:")


@pytest.fixture(scope="module")
def bank(small_bank, tmp_path_factory):
    root = tmp_path_factory.mktemp("triggered")
    shutil.copytree(small_bank["lake"].root, root / "lake")
    lake = Lake(root / "lake", threads=2)
    build_moments(lake, default_triggers(), CUTOFF)
    model, _ = train_from_lake(lake, "logistic", seed=3)
    return {"lake": lake, "model": model}


def _campaign(**more) -> Campaign:
    return Campaign(campaign_id="m1", product_id="P_WM01", date=DAY, days=2, control_share=0.3, **more)


def test_only_customers_with_a_live_moment_are_listed_and_each_member_carries_its_moment(bank):
    lake = bank["lake"]
    result = build_list(_campaign(trigger=TRIGGER), lake, bank["model"])
    funnel = result.summary["funnel"]
    assert [s["step"] for s in funnel[:2]] == ["customers", "no_live_moment"]
    counts = result.excluded["reason"].value_counts()
    for before, step in itertools.pairwise(funnel):
        assert step["remaining"] == before["remaining"] - step["removed"]
        assert step["removed"] == int(counts.get(step["step"], 0))
    moments = lake.table("moments").to_pandas()
    live = moments[moments["moment_id"].isin(TRIGGER)]
    with_moment = set(live["customer_id"])
    assert funnel[1]["removed"] == funnel[0]["remaining"] - len(with_moment) > 0
    assert set(result.listed["customer_id"]) <= with_moment
    members = result.members.set_index("customer_id")
    assert len(members) > 0 and members["moment_id"].notna().all()
    # the member's moment is the first of the campaign's ids that is live for them
    first = live.assign(rank=live["moment_id"].map(TRIGGER.index)).sort_values("rank").drop_duplicates("customer_id")
    expected = first.set_index("customer_id")["moment_id"].reindex(members.index)
    assert (members["moment_id"] == expected).all()
    assert set(members["group"]) == {"treatment", "control"}
    from callwise.lists.output import funnel_text

    assert "no live moment at the list time" in funnel_text(result.summary, "en")
    assert "名单时点没有有效的关键节点" in funnel_text(result.summary, "zh")


def test_a_campaign_without_trigger_keeps_its_funnel(bank):
    result = build_list(_campaign(), bank["lake"], bank["model"])
    assert "no_live_moment" not in [s["step"] for s in result.summary["funnel"]]
    assert "moment_id" not in result.members.columns


def test_a_moments_table_of_another_time_is_refused(bank, tmp_path):
    shutil.copytree(bank["lake"].root, tmp_path / "lake")
    other = Lake(tmp_path / "lake", threads=2)
    build_moments(other, default_triggers(), datetime(2026, 6, 30))
    with pytest.raises(ListError) as info:
        build_list(_campaign(trigger=TRIGGER), other, bank["model"])
    assert "before the campaign's cutoff 2026-07-01 00:00" in str(info.value)
    assert "--as-of 2026-07-01 00:00" in info.value.message("zh")
    other.path("moments").unlink()
    with pytest.raises(ListError, match="the lake has no moments table"):
        build_list(_campaign(trigger=TRIGGER), other, bank["model"])


def test_each_moment_is_measured_against_its_own_control(bank, tmp_path):
    shutil.copytree(bank["lake"].root, tmp_path / "lake")
    lake = Lake(tmp_path / "lake", threads=2)
    result = build_list(_campaign(trigger=TRIGGER), lake, bank["model"])
    with pytest.raises(MomentsError, match="carry no moment"):
        moment_effect(lake, "m1")
    record_members(lake, result)
    found = moment_effect(lake, "m1")
    by_moment = {row["moment_id"]: row for row in found["moments"]}
    members = result.members
    assert set(by_moment) == set(members["moment_id"])
    assert found["members"] == len(members)
    frame = member_outcomes(lake, "m1").merge(members[["customer_id", "moment_id"]], on="customer_id")
    for moment, row in by_moment.items():
        part = frame[frame["moment_id"] == moment]
        assert row["n_treatment"] == int((part["group"] == "treatment").sum())
        assert row["n_control"] == int((part["group"] == "control").sum())
        if row["n_treatment"] and row["n_control"]:
            expected = itt(part.drop(columns=["moment_id"]))
            assert row["difference"]["estimate"] == pytest.approx(expected["lift"]["estimate"])
            assert row["difference"]["low"] <= row["difference"]["estimate"] <= row["difference"]["high"]
            assert row["rate_treatment"] == pytest.approx(expected["rate_treatment"])
    from typer.testing import CliRunner

    from callwise.cli import app

    done = CliRunner().invoke(
        app, ["moments", "effect", "m1", "--lake", str(lake.root), "--json"], env={"CALLWISE_LANG": "en"}
    )
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["moments"] == json.loads(json.dumps(found["moments"]))
    human = CliRunner().invoke(app, ["moments", "effect", "m1", "--lake", str(lake.root)], env={"CALLWISE_LANG": "zh"})
    assert "处理组转化率" in human.stdout and all(m in human.stdout for m in by_moment)
