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
    ("args", "lang", "message"),
    [
        (["--target", "bought"], "en", "target column 'bought' is missing"),
        (["--target", "bought"], "zh", "缺少目标列 'bought'"),
        (["--target", "y", "--drop", "nothing"], "en", "cannot drop column 'nothing'"),
        (["--target", "y", "--drop", "nothing"], "zh", "无法排除列 'nothing'"),
        (["--target", "y", "--model", "magic"], "en", "unknown model 'magic'"),
        (["--target", "y", "--model", "magic"], "zh", "未知的模型 'magic'"),
    ],
)
def test_errors_are_one_clear_sentence_in_the_users_language(uci_full, args, lang, message):
    result = runner.invoke(app, ["model", "eval", "--table", str(uci_full), *args], env={"CALLWISE_LANG": lang})
    assert result.exit_code == 2
    assert message in result.stderr and len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("错误：" if lang == "zh" else "error: ")


@pytest.mark.parametrize(("lang", "message"), [("en", "empty.csv: the file is empty"), ("zh", "empty.csv：文件是空的")])
def test_unreadable_table(tmp_path, lang, message):
    (tmp_path / "empty.csv").write_bytes(b"")
    args = ["model", "eval", "--table", str(tmp_path / "empty.csv"), "--target", "y"]
    result = runner.invoke(app, args, env={"CALLWISE_LANG": lang})
    assert result.exit_code == 2 and message in result.stderr


def test_a_damaged_saved_model_and_too_many_folds_are_said_in_chinese(uci_full, tmp_path):
    zh = {"CALLWISE_LANG": "zh"}
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "state.json").write_text("{not json", encoding="utf-8")
    args = ["model", "score", "--model", str(tmp_path / "broken"), "--table", str(uci_full), "--out", "x.csv"]
    damaged = runner.invoke(app, args, env=zh)
    assert damaged.exit_code == 2 and "模型文件已损坏" in damaged.stderr and "damaged model" not in damaged.stderr
    missing = runner.invoke(app, [*args[:3], str(tmp_path), *args[4:]], env=zh)
    assert missing.exit_code == 2 and "不是已保存的模型" in missing.stderr
    folds = runner.invoke(app, ["model", "eval", "--table", str(uci_full), "--target", "y", "--cv", "100000"], env=zh)
    assert folds.exit_code == 2 and "不够分成 100000 折" in folds.stderr


@pytest.fixture(scope="module")
def small_wide(uci_additional, tmp_path_factory):
    path = tmp_path_factory.mktemp("wide") / "bank.csv"
    pd.read_csv(uci_additional, sep=";").sample(3000, random_state=1).to_csv(path, sep=";", index=False)
    return path


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("zh", ["3 折交叉验证", "对数损失", "按分数十分位", "累计捕获率", "各折 AUC：", "最重要的特征："]),
        ("en", ["3-fold cross-validation", "log loss", "By score decile", "cum. capture", "AUC per fold: "]),
    ],
)
def test_eval_prints_lines_and_a_decile_table_not_dicts(small_wide, lang, words):
    args = ["model", "eval", "--table", str(small_wide), "--target", "y", "--model", "logistic", "--cv", "3"]
    shown = runner.invoke(app, args, env={"CALLWISE_LANG": lang})
    assert shown.exit_code == 0, shown.output
    assert "{" not in shown.output and "'" not in shown.output and "capture=" not in shown.output
    assert all(word in shown.output for word in words), shown.output
    data = runner.invoke(app, [*args, "--json"], env={"CALLWISE_LANG": lang})
    result = json.loads(data.stdout)
    assert set(result) >= KEYS | {"deciles", "fold_auc", "importance", "protocol", "source", "target"}
    assert f"{result['auc']:.4f}" in shown.output and len(result["deciles"]) == 10


def test_backtest_fit_and_score_print_sentences_in_chinese(small_wide, tmp_path):
    zh = {"CALLWISE_LANG": "zh"}
    wide = ["--table", str(small_wide), "--target", "y", "--model", "logistic"]
    rolled = runner.invoke(app, ["model", "backtest", *wide, "--window", "1500", "--step", "500"], env=zh)
    assert rolled.exit_code == 0 and "滚动回测" in rolled.output and "预测块 3 个" in rolled.output
    fitted = runner.invoke(app, ["model", "fit", *wide, "--cv", "3", "--out", str(tmp_path / "m")], env=zh)
    assert (
        fitted.exit_code == 0
        and "已保存 logistic 模型" in fitted.output
        and "模型卡指标（3 折交叉验证）" in fitted.output
    )
    out = tmp_path / "s.csv"
    scored = runner.invoke(
        app, ["model", "score", "--model", str(tmp_path / "m"), *wide[:2], "--out", str(out)], env=zh
    )
    assert scored.exit_code == 0 and "已用 logistic 模型为 3,000 行打分" in scored.output
    for result in (rolled, fitted, scored):
        assert "{" not in result.output and "'" not in result.output


def test_train_says_what_it_learned_from_or_why_it_cannot_in_chinese(small_bank, tmp_path):
    zh = {"CALLWISE_LANG": "zh"}
    (tmp_path / "empty").mkdir()
    empty = runner.invoke(app, ["train", "--lake", str(tmp_path / "empty"), "--out", str(tmp_path / "m")], env=zh)
    assert empty.exit_code == 2 and "数据湖中没有活动表（campaigns）" in empty.stderr
    args = ["train", "--lake", str(small_bank["lake"].root), "--out", str(tmp_path / "m"), "--model", "logistic"]
    trained = runner.invoke(app, args, env=zh)
    assert trained.exit_code == 0, trained.output
    assert "已保存 logistic 模型" in trained.output and "学习自过往活动：" in trained.output
    assert "{" not in trained.output
