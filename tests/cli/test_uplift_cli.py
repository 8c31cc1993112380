"""`callwise uplift fit|score|eval` used the way an analyst would, on samples of the real Starbucks experiment."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from tests.cli.test_exported_files_cli import HOSTILE, live
from tests.conftest import SHARED_DATA
from typer.testing import CliRunner

from callwise.cli import app

runner = CliRunner()
TRAINING = SHARED_DATA / "starbucks-promo-training.parquet"
TEST = SHARED_DATA / "starbucks-promo-test.parquet"
GROUPS = ["--target", "purchase", "--treatment", "Promotion", "--treated", "Yes", "--control", "No", "--drop", "ID"]
KEYS = {"qini", "auuc", "uplift_at", "ate", "rows", "treated", "control"}
EN = {"CALLWISE_LANG": "en"}


def invoke(*args: str, lang: str = "en"):
    return runner.invoke(app, list(args), env={"CALLWISE_LANG": lang})


def call(*args: str) -> dict:
    result = invoke(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def refused(*args: str, lang: str = "en") -> str:
    result = invoke(*args, lang=lang)
    assert result.exit_code == 2, result.output
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.output
    return result.stderr


@pytest.fixture(scope="module")
def promo(tmp_path_factory) -> Path:
    """6,000 rows of the training file as a CSV (as an analyst's export would be)."""
    assert TRAINING.exists(), f"Starbucks data missing at {TRAINING}"
    path = tmp_path_factory.mktemp("promo") / "promo.csv"
    pd.read_parquet(TRAINING).sample(6000, random_state=0).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def fitted(promo, tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("model") / "promo"
    card = call("uplift", "fit", "--table", str(promo), *GROUPS, "--learner", "t", "--cv", "2", "--out", str(out))
    return out, card


def test_eval_gives_the_issues_keys_and_the_report_in_both_languages(promo, tmp_path):
    result = call("uplift", "eval", "--table", str(promo), *GROUPS, "--learner", "s", "--cv", "3",
                  "--report", str(tmp_path))  # fmt: skip
    assert set(result) >= KEYS | {"learner", "deciles", "source", "cv_qini", "calibration", "curve"}
    assert result["rows"] == 6000 == result["treated"] + result["control"] and result["learner"] == "s"
    frame = pd.read_csv(promo)
    treated = frame["Promotion"] == "Yes"
    assert result["treated"] == int(treated.sum())
    ate = frame.loc[treated, "purchase"].mean() - frame.loc[~treated, "purchase"].mean()
    assert result["ate"] == pytest.approx(ate, abs=1e-6)
    assert set(result["uplift_at"]) == {"0.1", "0.2", "0.3", "0.5"} and len(result["deciles"]) == 10
    assert result["qini"] > 0.02 and result["uplift_at"]["0.1"] > ate  # the promotion works best on the top
    assert result["cv_qini"] == {"s": result["qini"]} and len(result["per_fold"]) == 3
    zh = (tmp_path / "uplift_s_cv_zh.html").read_text(encoding="utf-8")
    en = (tmp_path / "uplift_s_cv_en.html").read_text(encoding="utf-8")
    assert "Qini 曲线" in zh and "按预测增益十分位" in zh and "Qini curve" in en and "Calibration" in en
    assert zh.count("<svg") == 3 and "nan" not in en and result["reports"]["zh"].endswith("uplift_s_cv_zh.html")


def test_eval_auto_tries_every_learner_and_reports_the_best(promo):
    result = call("uplift", "eval", "--table", str(promo), *GROUPS, "--cv", "2")
    assert set(result["cv_qini"]) == {"t", "s", "x", "dr"} and result["requested"] == "auto"
    best = max(result["cv_qini"], key=lambda name: result["cv_qini"][name])
    assert result["learner"] == best and result["qini"] == result["cv_qini"][best]


def test_eval_prints_sentences_and_a_decile_table_not_dicts(promo):
    shown = invoke("uplift", "eval", "--table", str(promo), *GROUPS, "--learner", "t", "--cv", "2", lang="zh")
    assert shown.exit_code == 0, shown.output
    for words in ("增益学习器 t：2 折交叉验证", "处理组 ", "Qini 系数", "前 10%", "按预测增益十分位", "95% 区间"):
        assert words in shown.output, shown.output
    assert "{" not in shown.output and "'" not in shown.output


def test_fit_saves_an_uplift_model_with_its_card(fitted):
    out, summary = fitted
    card = json.loads((out / "model_card.json").read_text(encoding="utf-8"))
    assert card["kind"] == "uplift" and card["learner"] == "t" == summary["learner"]
    assert card["data_window"]["treatment"] == "Promotion" and card["data_window"]["treated_value"] == "Yes"
    assert card["rows"] == 6000 and card["treated"] + card["control"] == 6000
    assert card["selection"]["evaluation"]["qini"] == card["selection"]["cv_qini"]["t"]
    assert "ID" not in card["features"] and "Promotion" not in card["features"] and len(card["features"]) == 7
    assert card["propensity"]["source"] == "share"
    assert not any(p.suffix == ".pkl" for p in out.iterdir())


def test_fit_auto_chooses_by_cv_and_reports_the_card(promo, tmp_path):
    shown = invoke("uplift", "fit", "--table", str(promo), *GROUPS, "--cv", "2", "--out", str(tmp_path / "m"),
                   "--report", str(tmp_path / "r"))  # fmt: skip
    assert shown.exit_code == 0, shown.output
    card = json.loads((tmp_path / "m" / "model_card.json").read_text(encoding="utf-8"))
    tried = card["selection"]["cv_qini"]
    assert set(tried) == {"t", "s", "x", "dr"} and card["learner"] == max(tried, key=lambda k: tried[k])
    assert f"saved the uplift model {card['learner']}" in shown.output and "cross-validated Qini" in shown.output
    html = (tmp_path / "r" / f"uplift_{card['learner']}_cv_en.html").read_text(encoding="utf-8")
    assert "Model card" in html and "Most important features" in html and html.count("<svg") == 4


def test_score_keeps_every_row_and_column_and_adds_uplift_rank_and_reasons(fitted, tmp_path):
    model, _ = fitted
    new = pd.read_parquet(TEST).head(1500)
    new.to_parquet(tmp_path / "new.parquet")
    summary = call("uplift", "score", "--model", str(model), "--table", str(tmp_path / "new.parquet"),
                   "--out", str(tmp_path / "scored.parquet"), "--lang", "en")  # fmt: skip
    out = pd.read_parquet(tmp_path / "scored.parquet")
    assert summary["rows"] == 1500 and summary["learner"] == "t"
    added = ["uplift", "p_treated", "p_control", "rank", "reason_1", "reason_2", "reason_3"]
    assert list(out.columns) == [*new.columns, *added]
    pd.testing.assert_frame_equal(out[new.columns], new, check_dtype=False)
    assert np.allclose(out["uplift"], out["p_treated"] - out["p_control"], atol=2e-6)
    assert sorted(out["rank"]) == list(range(1, 1501)) and out.loc[out["uplift"].idxmax(), "rank"] == 1
    assert (out.sort_values("rank")["uplift"].diff().dropna() <= 0).all()
    assert summary["negative"] == int((out["uplift"] < 0).sum())
    assert out["reason_1"].str.match(r"^V[1-7]: ").mean() > 0.5


def test_score_writes_hostile_and_huge_cells_back_formula_safe(fitted, tmp_path):
    """Every hostile value (and a hostile header) is text in the CSV and the XLSX; a huge cell is kept."""
    model, _ = fitted
    rows = pd.read_parquet(TEST).head(len(HOSTILE) + 2).drop(columns=["Promotion", "purchase"])
    rows.insert(1, "note", [*HOSTILE, "x" * 200_000, "-12.5"])
    rows.insert(2, "=HYPERLINK(1)", "plain")
    rows.to_parquet(tmp_path / "hostile.parquet")  # a CR inside a cell survives Parquet, not every CSV reader
    for suffix in (".csv", ".xlsx"):
        out = tmp_path / f"scored{suffix}"
        call("uplift", "score", "--model", str(model), "--table", str(tmp_path / "hostile.parquet"), "--out", str(out))
        if suffix == ".csv":
            with out.open(encoding="utf-8-sig", newline="") as handle:
                cells = list(csv.reader(handle))
        else:
            cells = [["" if v is None else str(v) for v in row] for row in load_workbook(out).active.values]
        assert not [c for row in cells for c in row if live(c)], suffix
        notes = [row[1] for row in cells[1:]]
        assert notes[0] == "'=cmd|' /C calc'!A0" and cells[0][2] == "'=HYPERLINK(1)"
        whole = 200_000 if suffix == ".csv" else 32_767  # an XLSX cell holds at most 32,767 characters
        assert notes[-2] == "x" * whole and notes[-1] == "-12.5" and len(cells) == len(HOSTILE) + 3


def test_score_refuses_what_it_cannot_score(fitted, tmp_path):
    model, _ = fitted
    pd.DataFrame({"ID": [1, 2], "V1": [1, 2]}).to_csv(tmp_path / "few.csv", index=False)
    args = ["uplift", "score", "--model", str(model), "--out", str(tmp_path / "s.csv")]
    said = refused(*args, "--table", str(tmp_path / "few.csv"))
    assert "few.csv lacks the columns model t" in said and "V2, V3, V4" in said
    pd.read_parquet(TEST).head(5).assign(rank=1).to_csv(tmp_path / "ranked.csv", index=False)
    assert "already has the columns rank" in refused(*args, "--table", str(tmp_path / "ranked.csv"))
    said = refused(*args, "--table", str(TEST), "--lang", "fr")
    assert "no reasons in the language 'fr'; choose one of zh, en" in said


def test_a_response_model_or_a_damaged_directory_is_not_an_uplift_model(tmp_path):
    (tmp_path / "response").mkdir()
    (tmp_path / "response" / "state.json").write_text('{"kind": "lightgbm"}', encoding="utf-8")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "state.json").write_text("{not json", encoding="utf-8")
    args = ["--table", str(TEST), "--out", str(tmp_path / "s.csv")]
    assert "not an uplift model" in refused("uplift", "score", "--model", str(tmp_path / "response"), *args)
    assert "不是增益模型" in refused("uplift", "score", "--model", str(tmp_path / "response"), *args, lang="zh")
    assert "not a saved model" in refused("uplift", "score", "--model", str(tmp_path), *args)
    assert "damaged" in refused("uplift", "score", "--model", str(tmp_path / "broken"), *args)


def experiment(tmp_path: Path, name: str, rows: list[str], encoding: str = "utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(("group,bought,age,city\n" + "\n".join(rows) + "\n").encode(encoding))
    return str(path)


def small(n: int = 400, control_buyers: bool = True) -> list[str]:
    rows = []
    for i in range(n):
        treated = i % 2 == 0
        bought = (i % 5 == 0) if treated else (control_buyers and i % 9 == 1)
        rows.append(
            f"{'外呼' if treated else '对照'},{'是' if bought else '否'},{20 + i % 50},{'上海' if i % 3 else '北京'}"
        )
    return rows


CN = ["--target", "bought", "--treatment", "group", "--treated", "外呼", "--control", "对照"]


def test_a_gbk_table_with_chinese_values_fits_and_scores(tmp_path):
    table = experiment(tmp_path, "gbk.csv", small(), "gbk")
    model = ["--learner", "t", "--cv", "0", "--propensity", "0.5", "--out", str(tmp_path / "m")]
    fit = call("uplift", "fit", "--table", table, *CN, *model)
    assert fit["rows"] == 400 and fit["treated"] == 200 and fit["selection"]["evaluation"] is None
    assert fit["propensity"] == {"source": "given", "value": 0.5}
    card = json.loads((tmp_path / "m" / "model_card.json").read_text(encoding="utf-8"))
    assert card["data_window"]["treated_value"] == "外呼" and set(card["features"]) == {"age", "city"}
    scored = call(
        "uplift", "score", "--model", str(tmp_path / "m"), "--table", table, "--out", str(tmp_path / "s.xlsx")
    )
    assert scored["rows"] == 400


@pytest.mark.parametrize(
    ("rows", "extra", "en", "zh"),
    [
        (
            [*small()[:5], "短信,否,30,上海", *small()[5:]],
            [],
            "row 6 (the first row under the header is 1) has '短信'",
            "第 6 行",
        ),
        (small(), ["--treatment", "arm"], "treatment column 'arm' is missing", "缺少处理组标记列 'arm'"),
        (small(), ["--target", "y"], "target column 'y' is missing", "缺少目标列 'y'"),
        (
            small(),
            ["--control", "hold"],
            "has '对照' in 'group', neither the treated value '外呼' nor the control value 'hold' (200 rows like it)",
            "对照组取值 'hold'（共 200 行如此）",
        ),
        (
            [r for r in small() if r.startswith("外呼")],
            [],
            "no row of 'group' equals the control value '对照'",
            "没有一行等于对照组取值",
        ),
        (small(control_buyers=False), ["--cv", "0"], "no control row bought", "对照组中没有购买者"),
        (small(), ["--learner", "magic"], "unknown uplift learner 'magic'", "未知的增益学习器 'magic'"),
        (small(20), ["--cv", "5"], "too few treated or control buyers or non-buyers for 5 folds", "不够分成 5 折"),
        (
            small(),
            ["--learner", "auto", "--cv", "0"],
            "choosing the learner automatically needs cross-validation",
            "自动选择学习器需要交叉验证",
        ),
        (
            small(),
            ["--propensity", "1"],
            "the propensity must lie strictly between 0 and 1",
            "处理概率必须在 0 与 1 之间",
        ),
        (small(), ["--cv", "0", "--report", "r"], "--report needs cross-validated figures", "--report 需要交叉验证"),
    ],
)
def test_fit_refusals_are_one_sentence_in_the_users_language(tmp_path, rows, extra, en, zh):
    table = experiment(tmp_path, "t.csv", rows)
    args = ["uplift", "fit", "--table", table, *CN, "--learner", "t", "--cv", "2", *extra, "--out", str(tmp_path / "m")]
    for lang, sentence in (("en", en), ("zh", zh)):
        said = refused(*args, lang=lang)
        assert sentence in said, said
        assert said.startswith("错误：" if lang == "zh" else "error: ")
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize("command", ["fit", "eval"])
def test_empty_duplicate_and_third_value_tables_are_refused_by_both_commands(tmp_path, command):
    out = ["--out", str(tmp_path / "m")] if command == "fit" else []
    (tmp_path / "empty.csv").write_bytes(b"")
    base = ["uplift", command, *CN, *out]
    assert "empty.csv: the file is empty" in refused(*base, "--table", str(tmp_path / "empty.csv"))
    (tmp_path / "dup.csv").write_text("group,bought,age,age\n外呼,是,1,2\n对照,否,3,4\n", encoding="utf-8")
    assert "column 'age' appears more than once" in refused(*base, "--table", str(tmp_path / "dup.csv"))
    table = experiment(tmp_path, "arms.csv", [*small(10), "=cmd|' /C calc'!A0,否,30,上海"])
    assert "row 11" in refused(*base, "--table", table)


def test_the_learner_choices_are_the_libraries(monkeypatch):
    from callwise.cli.uplift import LEARNER_CHOICES
    from callwise.uplift import CHOICES

    assert LEARNER_CHOICES == CHOICES


@pytest.mark.parametrize("command", ["fit", "eval"])
def test_a_file_in_no_known_encoding_is_refused_in_one_sentence(tmp_path, command):
    path = tmp_path / "latin.csv"
    path.write_bytes(b"group,bought,age\ncall,yes,1\nho\xffld,no,2\nhold,no,3\n")
    out = ["--out", str(tmp_path / "m")] if command == "fit" else []
    args = ["uplift", command, "--table", str(path), *CN, *out]
    assert "latin.csv: the text encoding is neither UTF-8 nor GBK/GB18030" in refused(*args)
    assert "latin.csv：文本编码既不是 UTF-8，也不是 GBK/GB18030" in refused(*args, lang="zh")
