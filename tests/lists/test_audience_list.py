"""A campaign's audience and segment map: checked when the file loads, applied when the list is built."""

from __future__ import annotations

import itertools
import shutil
from datetime import date, datetime

import numpy as np
import pyarrow as pa
import pytest
from tests.tags.helpers import entry, write

from callwise.lake import Lake
from callwise.lists.build import ListError, build_list
from callwise.lists.campaign import Campaign, CampaignError, load_campaign
from callwise.pipeline import train_from_lake
from callwise.tags import build_tags

DAY = date(2026, 7, 1)
CUTOFF = datetime(2026, 7, 1)
TAGS = (
    entry("rich", "balance_total >= 50000", "flag", zh="有钱"),
    entry("older", "age >= 45", "flag", zh="年长"),
    entry("secret", "income_monthly > 20000", "flag", sensitivity="sensitive"),
)
BASE = "campaign_id: c1\nproduct_id: P_WM01\ndate: 2026-07-01\ntag_catalogue: tags.yaml\n"


@pytest.fixture
def folder(tmp_path):
    write(tmp_path / "tags.yaml", *TAGS)
    return tmp_path


def _file(folder, text: str):
    path = folder / "campaign.yaml"
    path.write_text(BASE + text, "utf-8")
    return path


def test_an_audience_by_id_or_chinese_name_is_accepted(folder):
    campaign = load_campaign(_file(folder, "audience: '有钱 and not older'\n"))
    assert campaign.audience == "有钱 and not older" and campaign.tag_catalogue == (folder / "tags.yaml").resolve()


@pytest.mark.parametrize(
    ("audience", "reason"),
    [
        ("'rich and richh'", "column 10 of the audience expression: unknown name 'richh'"),
        ("'rich and'", "the expression is not well formed"),
        ("'balance_total + 1'", "an audience expression must be a condition"),
        ("3", "audience must be text, not 3"),
        ("[rich]", "audience must be text"),
    ],
)
def test_a_bad_audience_is_refused_at_its_line(folder, audience, reason):
    path = _file(folder, f"days: 3\naudience: {audience}\n")
    with pytest.raises(CampaignError) as info:
        load_campaign(path)
    assert str(info.value).startswith(f"{path}:6: ") and reason in str(info.value)
    assert info.value.message("zh").startswith(f"{path}:6：")


def test_a_sensitive_tag_needs_the_permission(folder):
    path = _file(folder, "audience: secret and rich\n")
    with pytest.raises(CampaignError, match=r":5: .*reads a sensitive tag, which needs the permission tags:sensitive"):
        load_campaign(path, permissions={"lists:build"})
    assert load_campaign(path, permissions={"tags:sensitive"}).audience == "secret and rich"
    assert load_campaign(path).audience == "secret and rich"  # the CLI: the bank's own operator


def test_segments_are_checked_at_their_line(folder):
    ok = load_campaign(_file(folder, "segments:\n  S01: {product: P_WM01, arm: B, hours: [10, 12]}\n  S02: {}\n"))
    assert ok.segments is not None and ok.segments["S01"].hours == (10, 12) and ok.segments["S02"].arm is None
    bad = [
        ("segments:\n  S1: {}\n", 6, "segment id 'S1' must be"),
        ("segments:\n  S01: {hours: [12, 10]}\n", 6, "hours must be [first, last]"),
        ("segments:\n  S01: {hours: [7, 10]}\n", 5, "fall outside the campaign's hours [9, 20)"),
        ("segments:\n  S01: {product: P_WM01, script: B}\n", 6, "unknown key 'script'"),
        ("segments: {}\n", 5, "segments"),
    ]
    for text, line, reason in bad:
        path = _file(folder, text)
        with pytest.raises(CampaignError) as info:
            load_campaign(path)
        assert str(info.value).startswith(f"{path}:{line}: ") and reason in str(info.value), str(info.value)


@pytest.fixture(scope="module")
def bank(small_bank, tmp_path_factory):
    """A copy of the small bank's lake with the tag table built and segments assigned."""
    root = tmp_path_factory.mktemp("audience")
    shutil.copytree(small_bank["lake"].root, root / "lake")
    lake = Lake(root / "lake", threads=2)
    catalogue_path = write(root / "tags.yaml", *TAGS)
    from callwise.tags import load_catalogue

    build_tags(lake, load_catalogue(catalogue_path), CUTOFF)
    ids = lake.table("customers").select("customer_id").order_by("customer_id").to_pyarrow().column(0)
    segment = [f"S0{1 + i % 3}" for i in range(len(ids))]
    lake.write(
        "segments",
        pa.table(
            {
                "customer_id": ids,
                "segment_id": segment,
                "distance": pa.array(np.linspace(0, 1, len(ids))),
                "assigned_at": pa.array([CUTOFF] * len(ids), pa.timestamp("us")),
            }
        ),
    )
    model, _ = train_from_lake(lake, "logistic", seed=3)
    segments = dict(zip(ids.to_pylist(), segment, strict=True))
    return {"lake": lake, "catalogue": catalogue_path, "model": model, "segment": segments}


def _campaign(bank, **more) -> Campaign:
    return Campaign(campaign_id="c1", product_id="P_WM01", date=DAY, days=2, tag_catalogue=bank["catalogue"], **more)


def _adds_up(result) -> dict[str, int]:
    funnel = result.summary["funnel"]
    counts = result.excluded["reason"].value_counts()
    read = funnel[0]["remaining"]
    assert read == len(result.excluded) + len(result.listed)  # read = kept + each reason
    for before, step in itertools.pairwise(funnel):
        assert step["remaining"] == before["remaining"] - step["removed"]
        assert step["removed"] == int(counts.get(step["step"], 0))
    return {s["step"]: s["removed"] for s in funnel}


def test_customers_outside_the_audience_leave_with_their_reason(bank):
    lake = bank["lake"]
    result = build_list(_campaign(bank, audience="有钱 and not 年长"), lake, bank["model"])
    removed = _adds_up(result)
    steps = [s["step"] for s in result.summary["funnel"]]
    assert steps[:2] == ["customers", "not_in_audience"]
    tags = lake.table("tags").to_pandas().set_index("customer_id")
    outside = set(tags.index[~(tags["rich"] & ~tags["older"])])
    assert removed["not_in_audience"] == len(outside) > 0
    left_off = result.excluded.set_index("customer_id")["reason"]
    assert (left_off[left_off == "not_in_audience"].index.isin(outside)).all()
    assert set(result.listed["customer_id"]).isdisjoint(outside)
    from callwise.lists.output import funnel_text

    assert "not in the campaign's audience" in funnel_text(result.summary, "en")
    assert "不在活动受众内" in funnel_text(result.summary, "zh")


def test_segments_give_the_product_arm_and_hours(bank):
    segments = {"S01": {"arm": "B", "hours": (10, 12)}, "S02": {"product": "P_DEP01"}}
    result = build_list(_campaign(bank, segments=segments), bank["lake"], bank["model"])
    removed = _adds_up(result)
    segment = bank["segment"]
    reasons = result.excluded.set_index("customer_id")["reason"]
    assert removed["segment_not_mapped"] == sum(s == "S03" for s in segment.values())
    assert removed["segment_other_product"] == sum(s == "S02" for s in segment.values())
    assert {segment[c] for c in reasons.index[reasons == "segment_not_mapped"]} == {"S03"}
    assert {segment[c] for c in result.listed["customer_id"]} == {"S01"}
    assert set(result.listed["arm"]) == {"B"}
    hours = {t.hour for t in result.calls["call_at"]}
    assert hours and hours <= {10, 11}


def test_a_missing_or_stale_tag_table_says_to_build_it(bank, tmp_path):
    campaign = _campaign(bank, audience="rich").model_copy(update={"date": date(2026, 7, 8)})
    with pytest.raises(ListError) as info:
        build_list(campaign, bank["lake"], bank["model"])
    stale = "built as of 2026-07-01, before the list's cutoff 2026-07-08: run `callwise tags build --cutoff 2026-07-08`"
    assert stale in str(info.value)
    assert "callwise tags build --cutoff 2026-07-08" in info.value.message("zh")
    shutil.copytree(bank["lake"].root, tmp_path / "lake", ignore=shutil.ignore_patterns("tags.parquet", "segments*"))
    bare = Lake(tmp_path / "lake")
    with pytest.raises(ListError, match="the lake has no tag table: run `callwise tags build --cutoff 2026-07-01`"):
        build_list(_campaign(bank, audience="rich"), bare, bank["model"])
    with pytest.raises(ListError, match="maps segments, but the lake has no table segments"):
        build_list(_campaign(bank, segments={"S01": {}}), bare, bank["model"])


def test_the_cli_previews_an_audience_with_the_campaigns_eligible_count(bank, tmp_path, monkeypatch):
    import json

    from typer.testing import CliRunner

    from callwise.cli import app

    monkeypatch.setenv("CALLWISE_LANG", "en")
    campaign = tmp_path / "c.yaml"
    shutil.copy(bank["catalogue"], tmp_path / "tags.yaml")
    campaign.write_text(BASE + "days: 2\n", "utf-8")
    lake = str(bank["lake"].root)
    runner = CliRunner()
    done = runner.invoke(
        app, ["lists", "audience", "有钱 and not 年长", "--campaign", str(campaign), "--lake", lake, "--json"]
    )
    assert done.exit_code == 0, done.output
    found = json.loads(done.stdout)
    tags = bank["lake"].table("tags").to_pandas()
    chosen = tags[tags["rich"] & ~tags["older"]]
    assert found["size"] == len(chosen) and found["bank"] == len(tags) and found["cutoff"] == "2026-07-01"
    result = build_list(_campaign(bank, audience="有钱 and not 年长"), bank["lake"], bank["model"])
    assert found["eligible"] == result.summary["eligible"]  # left once the policy's customer rules have run
    human = runner.invoke(
        app,
        ["lists", "audience", "rich", "--cutoff", "2026-07-01", "--lake", lake, "--catalogue", str(bank["catalogue"])],
    )
    assert human.exit_code == 0 and human.stdout.startswith("audience: ") and "of the bank's" in human.stdout
    bad = runner.invoke(app, ["lists", "audience", "rich and", "--lake", lake, "--catalogue", str(bank["catalogue"])])
    assert bad.exit_code == 2 and "the expression is not well formed" in bad.stderr
