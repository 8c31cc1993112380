"""The multi-table path from the command line: synth → ingest → features → train → list, and the demo."""

import hashlib
import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from callwise.cli import app

runner = CliRunner()


def call(*args: str) -> dict:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def build_list(tmp_path, name: str) -> bytes:
    """Synthesise, ingest, train and build a list from scratch in its own directory."""
    root = tmp_path / name
    call("synth", "--out", str(root / "bank"), "--customers", "3000", "--seed", "5")
    ingest = call("ingest", str(root / "bank"), "--lake", str(root / "lake"))
    assert ingest["read"] == ingest["accepted"] + ingest["quarantined"]
    call("train", "--lake", str(root / "lake"), "--out", str(root / "model"), "--seed", "5")
    campaign = root / "campaign.yaml"
    campaign.write_text(
        "campaign_id: t-wealth\nproduct_id: P_WM01\ndate: 2026-07-01\ncapacity: 100\ncost_per_call: 5\nseed: 5\n",
        encoding="utf-8",
    )
    summary = call(
        "lists",
        "build",
        "--campaign",
        str(campaign),
        "--lake",
        str(root / "lake"),
        "--model",
        str(root / "model"),
        "--out",
        str(root / "list"),
        "--truth",
        str(root / "bank" / "_truth"),
    )
    assert 0 < summary["listed"] <= 100  # capacity: at most 100 customers called
    assert summary["funnel"][-1]["remaining"] == summary["listed"]
    schedules = summary["schedules_against_truth"]
    assert schedules["plans"]["oracle"]["true_value"] >= schedules["plans"]["callwise"]["true_value"] * 0.99
    assert list((root / "list" / "dialer").glob("calls_*.xlsx"))
    truth = summary["against_truth"]["lists"]
    assert truth["callwise"]["true_conversions"] > truth["random"]["true_conversions"]
    assert truth["oracle"]["true_conversions"] >= truth["callwise"]["true_conversions"]
    listed = pd.read_csv(root / "list" / "call_list.csv", encoding="utf-8-sig", dtype={"phone_masked": str})
    assert listed["phone_masked"].str.fullmatch(r"1\d\d\*{4}\d{4}").all()
    excluded = pd.read_csv(root / "list" / "exclusions.csv", encoding="utf-8-sig")
    assert len(listed) + len(excluded) == 3000, "every customer is listed or has a reason code"
    return (root / "list" / "call_list.csv").read_bytes()


def test_same_seed_gives_a_byte_identical_list(tmp_path):
    first, second = build_list(tmp_path, "a"), build_list(tmp_path, "b")
    assert hashlib.sha256(first).hexdigest() == hashlib.sha256(second).hexdigest()


def test_features_build_writes_a_lake_table(small_bank):
    lake = small_bank["lake"]
    result = call("features", "build", "--cutoff", "2026-07-01", "--product", "P_WM01", "--lake", str(lake.root))
    assert result["rows"] == 4000 and result["features"] > 40
    assert lake.has("features")
    bad = runner.invoke(
        app, ["features", "build", "--cutoff", "July", "--lake", str(lake.root)], env={"CALLWISE_LANG": "en"}
    )
    assert bad.exit_code == 2 and "is not a date" in bad.output


def test_demo_runs_end_to_end(tmp_path):
    summary = call("demo", "--out", str(tmp_path / "demo"), "--customers", "3000")
    assert set(summary["stages"]) == {"synth", "ingest", "evaluate", "train", "list", "files"}
    assert summary["ingest"]["quarantined"] == 0
    for name in ("call_list_zh", "call_list_en", "model_lightgbm_zh", "model_scorecard_en"):
        assert (tmp_path / "demo" / "report").exists() and summary["files"][name].endswith(".html")
    zh = Path(summary["files"]["call_list_zh"]).read_text(encoding="utf-8")
    assert "外呼名单报告" in zh and "先知名单" in zh
    assert summary["against_truth"]["vs_random"] > 1


def test_human_output_follows_the_language_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("CALLWISE_LANG", "zh")
    zh = runner.invoke(app, ["synth", "--out", str(tmp_path / "a"), "--customers", "200"])
    assert zh.exit_code == 0 and "真实情况 →" in zh.output
    monkeypatch.setenv("CALLWISE_LANG", "en")
    en = runner.invoke(app, ["ingest", str(tmp_path / "a"), "--lake", str(tmp_path / "lake")])
    assert en.exit_code == 0 and "quarantined" in en.output
