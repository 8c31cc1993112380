"""What a first-time user trips over on the command line is one sentence that says what to fix, in zh and en."""

import pandas as pd
from typer.testing import CliRunner

from callwise.cli import app

runner = CliRunner()


def test_a_wrong_campaign_path_points_at_the_file_that_is_there(monkeypatch, tmp_path):
    (tmp_path / "campaign.yaml").write_text("campaign_id: w\nproduct_id: P1\ndate: 2026-07-06\n", encoding="utf-8")
    wrong = tmp_path / "campain.yaml"
    args = ["lists", "build", "--campaign", str(wrong), "--out", str(tmp_path / "out")]
    monkeypatch.setenv("CALLWISE_LANG", "en")
    en = runner.invoke(app, args)
    assert en.exit_code == 2
    assert en.output.strip() == f"error: {wrong}: campaign file not found (did you mean 'campaign.yaml'?)"
    monkeypatch.setenv("CALLWISE_LANG", "zh")
    zh = runner.invoke(app, args)
    assert zh.exit_code == 2
    assert zh.output.strip() == f"错误：{wrong}：找不到活动文件（是否想写 'campaign.yaml'？）"
    assert not (tmp_path / "out").exists()


def test_broken_campaign_yaml_says_line_column_and_what_is_wrong(monkeypatch, tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("campaign_id: w\nproduct_id: P1\ndate: 2026-7-6\nname: 理财: 七月\n", encoding="utf-8")
    monkeypatch.setenv("CALLWISE_LANG", "zh")
    result = runner.invoke(app, ["lists", "build", "--campaign", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert f"{path}:4:9：不是有效的 YAML：此处的 ':' 不能开始新的键" in result.output
    assert "ScannerError" not in result.output and "Traceback" not in result.output


def test_an_unknown_policy_key_is_answered_in_the_chosen_language(monkeypatch, tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text("name: bank\nversion: 1\nrules:\n  quite_hours: {}\n", encoding="utf-8")
    monkeypatch.setenv("CALLWISE_LANG", "zh")
    result = runner.invoke(app, ["policy", "check", str(path)])
    assert result.exit_code == 2
    assert f"{path}:4：未知的规则 'quite_hours'（是否想写 'quiet_hours'？）" in result.output


def test_scoring_a_table_without_the_model_columns_names_the_file_and_the_model(monkeypatch, tmp_path):
    frame = pd.DataFrame({"age": [20 + i % 50 for i in range(200)], "housing": ["yes", "no"] * 100})
    frame.assign(y=[i % 3 == 0 for i in range(200)]).to_csv(tmp_path / "train.csv", index=False)
    frame.drop(columns="housing").to_csv(tmp_path / "new.csv", index=False)
    fit = ["model", "fit", "--table", str(tmp_path / "train.csv"), "--target", "y", "--model", "logistic"]
    assert runner.invoke(app, [*fit, "--cv", "0", "--out", str(tmp_path / "m")]).exit_code == 0
    score = ["model", "score", "--model", str(tmp_path / "m"), "--table", str(tmp_path / "new.csv")]
    score += ["--out", str(tmp_path / "s.csv")]
    monkeypatch.setenv("CALLWISE_LANG", "en")
    en = runner.invoke(app, score)
    assert en.exit_code == 2
    assert (
        f"{tmp_path / 'new.csv'} lacks the columns model logistic ({tmp_path / 'm'}) was fitted on: housing"
        in en.output
    )
    monkeypatch.setenv("CALLWISE_LANG", "zh")
    zh = runner.invoke(app, score)
    assert f"{tmp_path / 'new.csv'} 缺少模型 logistic ({tmp_path / 'm'}) 所需的列：housing" in zh.output
    assert not (tmp_path / "s.csv").exists()
