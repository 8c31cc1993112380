"""`callwise results campaign` on the command line: the numbers, the reports, and a plain sentence for bad input."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from callwise.cli import app

CAMPAIGN = "CMP2605W"  # a past campaign of the synthetic bank: members, calls and conversions in the lake


def _run(args: list[str], lang: str = "en", tmp_path=None):
    env = {"CALLWISE_LANG": lang, "CALLWISE_DATA_DIR": str(tmp_path)}  # no operational database there
    return CliRunner().invoke(app, ["results", "campaign", *args], env=env)


def test_results_of_a_past_campaign_and_its_reports(small_bank, tmp_path):
    lake = str(small_bank["lake"].root)
    done = _run(
        [CAMPAIGN, "--lake", lake, "--cost-per-call", "5", "--json", "--html", str(tmp_path / "r")], tmp_path=tmp_path
    )
    assert done.exit_code == 0, done.output
    result = json.loads(done.output)
    assert result["campaign_id"] == CAMPAIGN and result["costs"]["cost_per_call"] == 5.0
    assert result["costs"]["total"] == pytest.approx(5.0 * result["costs"]["dials"], abs=0.01)
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == [
        f"results_{CAMPAIGN}_en.html",
        f"results_{CAMPAIGN}_zh.html",
    ]
    text = _run([CAMPAIGN, "--lake", lake], lang="zh", tmp_path=tmp_path)
    assert text.exit_code == 0 and "增量成交" in text.output and "Incremental" not in text.output


@pytest.mark.parametrize(
    ("args", "english", "chinese"),
    [
        (["CMP2605X"], "campaign 'CMP2605X' is in neither the lake nor the operational DB", "营销活动 'CMP2605X'"),
        ([CAMPAIGN, "--cost-per-sms", "-1"], "cost cost_per_sms must be a number of 0 or more", "成本 cost_per_sms"),
    ],
)
def test_bad_input_is_one_sentence_in_the_users_language(small_bank, tmp_path, args, english, chinese):
    lake = ["--lake", str(small_bank["lake"].root)]
    for lang, words in (("en", english), ("zh", chinese)):
        done = _run([*args, *lake], lang=lang, tmp_path=tmp_path)
        assert done.exit_code == 2 and words in done.output, done.output
        assert "Traceback" not in done.output and len(done.output.strip().splitlines()) == 1


def test_a_window_out_of_range_and_a_broken_campaign_file_are_refused(small_bank, tmp_path):
    lake = ["--lake", str(small_bank["lake"].root)]
    assert _run([CAMPAIGN, "--window-days", "0", *lake], tmp_path=tmp_path).exit_code == 2
    broken = tmp_path / "campaign.yaml"
    broken.write_bytes("campaign_id: x\nproduct_id: [\n".encode("gbk"))
    done = _run([CAMPAIGN, "--campaign-file", str(broken), *lake], tmp_path=tmp_path)
    assert done.exit_code == 2 and str(broken) in done.output and "Traceback" not in done.output
