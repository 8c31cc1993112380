"""`callwise lists build` writes the list report (zh and en) next to the list and says plainly what it measures."""

import json

from typer.testing import CliRunner

from callwise.cli import app

runner = CliRunner()


def test_lists_build_writes_both_reports_and_says_when_the_control_group_is_too_small(small_bank, tmp_path):
    lake = str(small_bank["lake"].root)
    trained = runner.invoke(app, ["train", "--lake", lake, "--out", str(tmp_path / "model"), "--seed", "3", "--json"])
    assert trained.exit_code == 0, trained.output
    campaign = tmp_path / "campaign.yaml"
    campaign.write_text(
        "campaign_id: t-small\nproduct_id: P_WM01\ndate: 2026-07-01\ndays: 3\ncapacity: 150\nseed: 5\nlang: en\n",
        encoding="utf-8",
    )
    args = ["lists", "build", "--campaign", str(campaign), "--lake", lake, "--model", str(tmp_path / "model")]
    args.append("--no-record")  # the session's shared lake stays as it was
    human = runner.invoke(app, [*args, "--out", str(tmp_path / "a")], env={"CALLWISE_LANG": "en"})
    assert human.exit_code == 0, human.output
    for lang in ("zh", "en"):
        report = tmp_path / "a" / f"call_list_{lang}.html"
        assert report.exists() and f"list report: {report}" in human.output
    assert "Control group too small" in human.output and "the list needs at least" in human.output

    summary = json.loads(runner.invoke(app, [*args, "--out", str(tmp_path / "b"), "--json"]).output)
    assert summary["files"]["call_list_en"] == str(tmp_path / "b" / "call_list_en.html")
    experiment = summary["experiment"]
    assert 0 < experiment["control_held_out"] < 50 and experiment["lift_measurable"] is False
    assert experiment["lift_to_detect"] == 0.2 and experiment["needed"]["list_size"] > 150
    written = json.loads((tmp_path / "b" / "summary.json").read_text(encoding="utf-8"))
    assert written["experiment"]["lift_measurable"] is False
    first = (tmp_path / "a" / "call_list_en.html").read_bytes()
    assert first == (tmp_path / "b" / "call_list_en.html").read_bytes()  # same inputs, same report
