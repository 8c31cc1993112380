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
    result = runner.invoke(app, ["model", "fit", "--table", str(uci_additional), *args])
    assert result.exit_code == 2 and "context column 'gdp' is not in the file" in result.output


def test_eval_with_a_report_says_where_the_reports_went(uci_full, tmp_path, monkeypatch):
    monkeypatch.setenv("CALLWISE_LANG", "en")
    result = runner.invoke(app, [*scorecard_eval(uci_full), "--report", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    for lang in ("zh", "en"):
        path = tmp_path / "r" / f"model_scorecard_cv_{lang}.html"
        assert path.exists() and f"report → {path}" in result.output
