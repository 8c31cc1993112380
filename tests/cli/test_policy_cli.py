"""`callwise policy check`: a compliance officer reads the policy in words; a bad file names its line."""

import json

from typer.testing import CliRunner

from callwise.cli import app
from callwise.policy import default_policy

runner = CliRunner()


def test_builtin_policy_is_shown_rule_by_rule_in_the_chosen_language(monkeypatch):
    monkeypatch.setenv("CALLWISE_LANG", "zh")
    zh = runner.invoke(app, ["policy", "check"])
    assert zh.exit_code == 0 and "客户当地时间 21:00–09:00 不呼" in zh.output
    monkeypatch.setenv("CALLWISE_LANG", "en")
    en = runner.invoke(app, ["policy", "check"])
    assert en.exit_code == 0 and "no call from 21:00 to 09:00" in en.output


def test_json_carries_the_hash_every_list_records(tmp_path):
    path = tmp_path / "bank.yaml"
    path.write_text("name: bank\nversion: 3\nrules:\n  refusal_cooldown:\n    days: 365\n", encoding="utf-8")
    result = runner.invoke(app, ["policy", "check", str(path), "--json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["rules"]["refusal_cooldown"]["days"] == 365 and shown["sha256"] != default_policy().sha256


def test_a_bad_policy_file_is_refused_with_its_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: bank\nversion: 1\nrules:\n  dnc: {}\n  quiet_hour: {}\n", encoding="utf-8")
    result = runner.invoke(app, ["policy", "check", str(path)])
    assert result.exit_code == 2
    assert "bad.yaml:5" in result.output and "quiet_hour" in result.output


def test_lists_build_refuses_a_bad_policy_before_writing_anything(tmp_path):
    campaign = tmp_path / "c.yaml"
    campaign.write_text("campaign_id: w\nproduct_id: P_WM01\ndate: 2026-07-01\n", encoding="utf-8")
    policy = tmp_path / "p.yaml"
    policy.write_text("name: bank\nversion: 1\nrules:\n  dnc:\n    enabled: false\n", encoding="utf-8")
    out = tmp_path / "out"
    args = ["--campaign", str(campaign), "--model", str(tmp_path), "--policy", str(policy), "--out", str(out)]
    result = runner.invoke(app, ["lists", "build", *args, "--lake", str(tmp_path / "lake")])
    assert result.exit_code == 2 and "p.yaml:5" in result.output and "dnc" in result.output
    assert not out.exists()
