"""The wide-table commands, used the way an analyst would, on the real UCI files."""

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from callwise.cli import app
from callwise.i18n import t

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


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_score_writes_the_input_values_back_unchanged(tmp_path, suffix):
    """Only score, rank and reasons are added: 24 stays 24 (not 24.0), 007 keeps its zeros, blanks stay blank."""
    n = 400
    ages = [str(20 + i % 50) for i in range(n)]
    train = pd.DataFrame(
        {
            "cust_id": [f"{i:03d}" for i in range(n)],
            "age": ages,
            "city": ["上海" if i % 3 else "北京" for i in range(n)],
            "calls": [i % 7 for i in range(n)],
            "y": ["yes" if i % 4 == 0 else "no" for i in range(n)],
        }
    )
    train.to_csv(tmp_path / "train.csv", index=False)
    fit_args = ["--target", "y", "--drop", "cust_id", "--model", "scorecard", "--cv", "0"]
    call("model", "fit", "--table", str(tmp_path / "train.csv"), *fit_args, "--out", str(tmp_path / "m"))
    lines = [
        "cust_id,age,account,city,calls,note,ratio",
        "007,24,9007199254740993,上海,3,NA,0.5",
        "010,,12345678901234567890,北京,,张三的备注,",
        "123,61,1,,0,1.10,1.25",
    ]
    (tmp_path / "new.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    call(
        "model",
        "score",
        "--model",
        str(tmp_path / "m"),
        "--table",
        str(tmp_path / "new.csv"),
        "--out",
        str(tmp_path / f"scored{suffix}"),
    )
    if suffix == ".csv":
        text = (tmp_path / "scored.csv").read_text(encoding="utf-8-sig").splitlines()
        assert text[0].startswith("cust_id,age,account,city,calls,note,ratio,score,rank,reason_1")
        for written, original in zip(text[1:], lines[1:], strict=True):
            assert written.startswith(original + ","), written
        return
    from openpyxl import load_workbook

    rows = list(load_workbook(tmp_path / "scored.xlsx").active.iter_rows(values_only=True))
    assert rows[0][:8] == ("cust_id", "age", "account", "city", "calls", "note", "ratio", "score")
    assert [r[:7] for r in rows[1:]] == [
        ("007", 24, "9007199254740993", "上海", 3, "NA", 0.5),
        ("010", None, "12345678901234567890", "北京", None, "张三的备注", None),
        ("123", 61, "1", None, 0, "1.10", 1.25),  # one long ID keeps the column text
    ]
    assert isinstance(rows[1][1], int)


def test_score_with_a_model_of_fewer_features_than_reasons(tmp_path):
    """Three reason columns even when the model has one feature (it used to stop with KeyError 'reason_3')."""
    pd.DataFrame({"age": [20 + i % 50 for i in range(200)], "y": [i % 3 == 0 for i in range(200)]}).to_csv(
        tmp_path / "t.csv", index=False
    )
    args = ["--target", "y", "--model", "scorecard", "--cv", "0", "--out", str(tmp_path / "m")]
    call("model", "fit", "--table", str(tmp_path / "t.csv"), *args)
    call(
        "model",
        "score",
        "--model",
        str(tmp_path / "m"),
        "--table",
        str(tmp_path / "t.csv"),
        "--out",
        str(tmp_path / "s.csv"),
    )
    out = pd.read_csv(tmp_path / "s.csv", encoding="utf-8-sig", keep_default_na=False)
    assert list(out.columns[-3:]) == ["reason_1", "reason_2", "reason_3"] and (out["reason_3"] == "").all()


@pytest.mark.parametrize("command", [("model", "eval"), ("model", "backtest"), ("model", "fit"), ("train",)])
def test_every_model_option_offers_the_kinds_of_the_registry(command, tmp_path, monkeypatch):
    import typer.main

    from callwise.model_kinds import KINDS

    group = typer.main.get_command(app)
    cmd = group
    for name in command:
        cmd = cmd.commands[name]
    (option,) = [p for p in cmd.params if "--model" in p.opts]
    assert all(f"{kind.name} (" in option.help for kind in KINDS)
    assert any(t("help.model_kind.scorecard", lang) in option.help for lang in ("zh", "en"))
    monkeypatch.setenv("CALLWISE_LANG", "en")
    args = [*command, "--model", "magic", "--table", str(tmp_path / "absent.csv"), "--target", "y"]
    if command == ("train",):
        args = ["train", "--model", "magic", "--out", str(tmp_path / "m")]
    elif command == ("model", "fit"):
        args += ["--out", str(tmp_path / "m")]
    result = runner.invoke(app, args, env={"COLUMNS": "300"})
    assert result.exit_code == 2  # refused before the (absent) table or lake is opened
    assert f"unknown model 'magic'; choose one of {', '.join(k.name for k in KINDS)}" in result.stderr


UCI_MACRO = ("emp.var.rate", "cons.price.idx", "cons.conf.idx", "euribor3m", "nr.employed")


def test_context_columns_are_used_by_the_model_but_never_a_reason(uci_additional, tmp_path):
    """On UCI the macro figures (one value per month for everyone) top the reasons unless marked as context."""
    fit = call(
        "model", "fit", "--table", str(uci_additional), "--target", "y", "--drop", "duration",
        "--cv", "0", "--out", str(tmp_path / "model"),
    )  # fmt: skip
    assert fit["context_columns"] == []
    recent = pd.read_csv(uci_additional, sep=";").tail(8000)  # the period with the most buyers
    recent.to_csv(tmp_path / "recent.csv", index=False, sep=";")
    scored = {}
    for name, context in (("plain", []), ("context", ["--context-columns", ",".join(UCI_MACRO)])):
        out = tmp_path / f"{name}.csv"
        result = call(
            "model", "score", "--model", str(tmp_path / "model"), "--table", str(tmp_path / "recent.csv"),
            "--out", str(out), "--lang", "en", *context,
        )  # fmt: skip
        assert result["context_columns"] == (list(UCI_MACRO) if context else [])
        scored[name] = pd.read_csv(out, encoding="utf-8-sig").sort_values("rank").head(50)
    macro_words = tuple(t(f"feature.{c}", "en") for c in UCI_MACRO)
    assert scored["plain"]["reason_1"].str.startswith(macro_words).mean() > 0.5  # the problem is real
    top = scored["context"]
    assert top["reason_1"].str.len().gt(0).all()
    for column in ("reason_1", "reason_2", "reason_3"):
        assert not top[column].fillna("").str.startswith(macro_words).any(), top[column].tolist()
    assert top["score"].tolist() == scored["plain"]["score"].tolist()  # the same model, only the words differ


def test_context_columns_are_saved_with_the_model_and_in_its_card(uci_additional, tmp_path):
    table = pd.read_csv(uci_additional, sep=";").sample(3000, random_state=1)
    table.to_csv(tmp_path / "sample.csv", index=False, sep=";")
    fit = call(
        "model", "fit", "--table", str(tmp_path / "sample.csv"), "--target", "y", "--drop", "duration",
        "--model", "scorecard", "--cv", "0", "--out", str(tmp_path / "model"),
        "--context-columns", "euribor3m,nr.employed", "--context-columns", "emp.var.rate",
    )  # fmt: skip
    card = json.loads((tmp_path / "model" / "model_card.json").read_text(encoding="utf-8"))
    assert card["context_columns"] == fit["context_columns"] == ["euribor3m", "nr.employed", "emp.var.rate"]
    assert {"euribor3m", "nr.employed", "emp.var.rate"} <= set(card["features"])  # still used by the model
    table.drop(columns=["y"]).head(300).to_csv(tmp_path / "new.csv", index=False)
    out = tmp_path / "scored.csv"
    scored = call("model", "score", "--model", str(tmp_path / "model"), "--table", str(tmp_path / "new.csv"),
                  "--out", str(out), "--lang", "en")  # fmt: skip
    assert scored["context_columns"] == ["euribor3m", "nr.employed", "emp.var.rate"]
    words = pd.read_csv(out, encoding="utf-8-sig")[["reason_1", "reason_2", "reason_3"]].fillna("")
    macro = tuple(t(f"feature.{c}", "en") for c in ("euribor3m", "nr.employed", "emp.var.rate"))
    assert not words.apply(lambda c: c.str.startswith(macro)).any().any()


def test_a_context_column_not_in_the_table_is_refused(uci_additional, tmp_path):
    args = ["--target", "y", "--context-columns", "euribor3m,gdp", "--out", str(tmp_path / "m")]
    result = runner.invoke(app, ["model", "fit", "--table", str(uci_additional), *args], env={"CALLWISE_LANG": "en"})
    assert result.exit_code == 2 and "context column 'gdp' is not in the file" in result.output


def test_eval_with_a_report_says_where_the_reports_went(uci_full, tmp_path, monkeypatch):
    monkeypatch.setenv("CALLWISE_LANG", "en")
    result = runner.invoke(app, [*scorecard_eval(uci_full), "--report", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    for lang in ("zh", "en"):
        path = tmp_path / "r" / f"model_scorecard_cv_{lang}.html"
        assert path.exists() and f"report → {path}" in result.output
