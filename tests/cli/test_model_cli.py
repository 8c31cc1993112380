"""The wide-table commands, used the way an analyst would, on the real UCI files."""

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from callwise.cli import app

runner = CliRunner()
KEYS = {"auc", "pr_auc", "ks", "brier", "log_loss", "alift", "capture", "rows", "positives"}


def call(*args: str) -> dict:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def scorecard_eval(table) -> list[str]:
    model = ["--drop", "duration", "--model", "scorecard", "--cv", "3"]
    return ["model", "eval", "--table", str(table), "--target", "y", *model]


def test_eval_on_both_uci_schemas(uci_additional, uci_full, tmp_path):
    a = call(
        "model",
        "eval",
        "--table",
        str(uci_additional),
        "--target",
        "y",
        "--drop",
        "duration",
        "--model",
        "logistic",
        "--cv",
        "3",
        "--report",
        str(tmp_path),
    )
    assert set(a) >= KEYS and a["rows"] == 41_188 and a["positives"] == 4_640 and a["auc"] > 0.77
    assert set(a["capture"]) == {"0.1", "0.2", "0.3", "0.5"}
    html = (tmp_path / "model_logistic_cv_zh.html").read_text(encoding="utf-8")
    assert "累计捕获曲线" in html and "<svg" in html
    assert "Cumulative gains" in (tmp_path / "model_logistic_cv_en.html").read_text(encoding="utf-8")
    b = call(*scorecard_eval(uci_full))
    assert b["rows"] == 45_211 and b["positives"] == 5_289 and b["auc"] > 0.7


def test_backtest(uci_full):
    r = call(
        "model",
        "backtest",
        "--table",
        str(uci_full),
        "--target",
        "y",
        "--drop",
        "duration",
        "--model",
        "logistic",
        "--window",
        "5000",
        "--step",
        "2000",
        "--test-last",
        "4000",
    )
    assert r["protocol"] == "rolling" and r["rows"] == 4000 and len(r["blocks"]) == 2


def test_fit_then_score_writes_every_row_with_score_rank_and_reasons(uci_additional, tmp_path):
    table = pd.read_csv(uci_additional, sep=";").sample(3000, random_state=0)
    table.to_csv(tmp_path / "sample.csv", index=False, sep=";")
    fit = call(
        "model",
        "fit",
        "--table",
        str(tmp_path / "sample.csv"),
        "--target",
        "y",
        "--drop",
        "duration",
        "--model",
        "scorecard",
        "--cv",
        "3",
        "--out",
        str(tmp_path / "model"),
    )
    assert fit["rows"] == 3000 and fit["metrics"]["auc"] > 0.65
    new = table.drop(columns=["y"]).head(500)
    new.to_csv(tmp_path / "new.csv", index=False)
    scored = call(
        "model",
        "score",
        "--model",
        str(tmp_path / "model"),
        "--table",
        str(tmp_path / "new.csv"),
        "--out",
        str(tmp_path / "scored.csv"),
        "--lang",
        "en",
    )
    assert scored["rows"] == 500
    out = pd.read_csv(tmp_path / "scored.csv", encoding="utf-8-sig")
    assert len(out) == 500 and sorted(out["rank"]) == list(range(1, 501))
    assert out.loc[out["score"].idxmax(), "rank"] == 1
    assert list(out.columns[: len(new.columns)]) == list(new.columns)
    assert out["reason_1"].str.len().gt(0).mean() > 0.5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--target", "bought"], "target column 'bought' is missing"),
        (["--target", "y", "--drop", "nothing"], "cannot drop column 'nothing'"),
        (["--target", "y", "--model", "magic"], "unknown model 'magic'"),
    ],
)
def test_errors_are_one_clear_sentence(uci_full, args, message):
    result = runner.invoke(app, ["model", "eval", "--table", str(uci_full), *args])
    assert result.exit_code == 2
    assert message in result.output


def test_unreadable_table(tmp_path):
    (tmp_path / "empty.csv").write_bytes(b"")
    result = runner.invoke(app, ["model", "eval", "--table", str(tmp_path / "empty.csv"), "--target", "y"])
    assert result.exit_code == 2 and "empty.csv: the file is empty" in result.output


def test_reports_are_deterministic_and_complete(uci_full, tmp_path):
    args = scorecard_eval(uci_full)
    call(*args, "--report", str(tmp_path / "a"))
    call(*args, "--report", str(tmp_path / "b"))
    for name in ("model_scorecard_cv_zh.html", "model_scorecard_cv_en.html"):
        first = (tmp_path / "a" / name).read_text(encoding="utf-8")
        assert first == (tmp_path / "b" / name).read_text(encoding="utf-8")
        assert "nan" not in first and first.count("<svg") == 4
    zh = (tmp_path / "a" / "model_scorecard_cv_zh.html").read_text(encoding="utf-8")
    assert "评分卡分值表" in zh and "基础分" in zh and "缺失" in zh
