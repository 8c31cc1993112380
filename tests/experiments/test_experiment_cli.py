"""`callwise experiments power | assign`, used the way a manager and an analyst would."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
import typer.main
from typer.testing import CliRunner

from callwise.cli.experiments import register
from callwise.experiments import assign_groups
from callwise.experiments.power import detectable_lift, required_size

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.command("version")  # a second command keeps Typer from collapsing the app into the group
    def version() -> None:
        """Unused."""

    return app


def run(app, *args: str, lang: str = "en"):
    return runner.invoke(app, list(args), env={"CALLWISE_LANG": lang})


def call_json(app, *args: str) -> dict:
    result = run(app, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def scored_csv(tmp_path) -> Path:
    rng = np.random.default_rng(0)
    n = 3_000
    frame = pd.DataFrame(
        {
            "客户号": [f"00{i:05d}" for i in range(n)],  # leading zeros: ids are text, not numbers
            "score": rng.random(n).round(6),
            "age": rng.integers(18, 80, n),
            "branch": rng.choice(["浦东", "徐汇"], n),
        }
    )
    path = tmp_path / "scored.csv"
    frame.to_csv(path, index=False, encoding="utf-8")
    return path


def test_power_json_is_the_library_result(app):
    r = call_json(app, "experiments", "power", "--list-size", "100000", "--base-rate", "0.03")
    assert r == json.loads(json.dumps(detectable_lift(100_000, 0.1, 0.03)))
    assert r["n_control"] == 10_000 and 0.005 < r["mde_absolute"] < 0.0056


def test_power_with_a_lift_reports_the_list_size_needed(app):
    args = ["experiments", "power", "--list-size", "50000", "--control-share", "0.2", "--base-rate", "0.05"]
    r = call_json(app, *args, "--alpha", "0.1", "--power", "0.9", "--one-sided", "--lift", "0.01")
    assert r["two_sided"] is False and r["alpha"] == 0.1 and r["power"] == 0.9
    assert r["required"] == required_size(0.01, 0.2, 0.05, 0.1, 0.9, two_sided=False)


def test_power_human_output_in_both_languages(app):
    args = ["experiments", "power", "--list-size", "100000", "--base-rate", "0.03", "--lift", "0.01"]
    en, zh = run(app, *args, lang="en"), run(app, *args, lang="zh")
    assert en.exit_code == 0 and zh.exit_code == 0
    assert "minimum detectable lift (MDE): +0.531 percentage points" in en.stdout
    assert "control 300; treatment 2,700 (no lift)" in en.stdout
    assert "← this list" in en.stdout and "the list needs at least 30,655 customers" in en.stdout
    assert "最小可检测提升（MDE）：+0.531 个百分点" in zh.stdout and "名单至少需要 30,655 位" in zh.stdout


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--control-share", "0"], "control_share must be a number strictly between 0 and 1"),
        (["--control-share", "1"], "control_share"),
        (["--base-rate", "1.5"], "base_rate"),
        (["--base-rate", "0"], "base_rate"),
        (["--alpha", "1"], "alpha"),
        (["--power", "0"], "power"),
        (["--list-size", "500"], "too small to test"),
        (["--lift", "-0.01"], "lift must be an absolute lift above 0"),
    ],
)
def test_power_refuses_bad_input(app, extra, message):
    args = ["experiments", "power", "--list-size", "100000", "--base-rate", "0.03"]
    # later options win in Click, so the bad value replaces the good one
    result = run(app, *args, *extra)
    assert result.exit_code == 2
    assert message in result.stderr and result.stderr.startswith("error: ")


def test_assign_writes_the_assignment_and_prints_the_balance(app, scored_csv, tmp_path):
    out = tmp_path / "out" / "assignment.csv"
    args = ["experiments", "assign", "--ids", str(scored_csv), "--id-column", "客户号", "--seed", "42"]
    r = call_json(app, *args, "--arms", "稳健=0.5,进取=0.5", "--out", str(out))
    written = pd.read_csv(out, dtype={"customer_id": str}, encoding="utf-8-sig")
    source = pd.read_csv(scored_csv, dtype={"客户号": str})
    expected = assign_groups(source["客户号"], source["score"], 42, arms={"稳健": 0.5, "进取": 0.5})
    assert written["customer_id"].tolist() == expected["customer_id"].tolist()
    assert written["customer_id"].iloc[0] == "0000000"
    assert (written["group"] == expected["group"]).all() and (written["u"] == expected["u"]).all()
    assert written["arm"].fillna("").tolist() == expected["arm"].fillna("").tolist()
    assert r["control"] == 300 and r["balanced"] and r["seed"] == 42 and r["out"] == str(out)
    assert set(r["smd"]) == {"score", "age"} and r["chi_square"]["p_value"] > 0.999
    assert set(r["arms"]) == {"稳健", "进取"}


def test_assign_human_output_and_parquet_round_trip(app, scored_csv, tmp_path):
    parquet_in = tmp_path / "scored.parquet"
    pd.read_csv(scored_csv, dtype={"客户号": str}).to_parquet(parquet_in)
    out = tmp_path / "assignment.parquet"
    args = ["experiments", "assign", "--ids", str(parquet_in), "--id-column", "客户号", "--seed", "42"]
    zh = run(app, *args, "--out", str(out), lang="zh")
    assert zh.exit_code == 0, zh.output
    assert "对照组 300（10.0%，不外呼）" in zh.stdout and "结论：两组均衡" in zh.stdout
    again = run(app, *args, "--out", str(tmp_path / "again.csv"), lang="en")
    assert "control 300 (10.0%, not called)" in again.stdout and "Verdict: the groups are balanced" in again.stdout
    a = pd.read_parquet(out)
    b = pd.read_csv(tmp_path / "again.csv", dtype={"customer_id": str}, encoding="utf-8-sig")
    assert (a["u"].to_numpy() == b["u"].to_numpy()).all() and (a["group"] == b["group"]).all()


def test_assign_twice_gives_byte_identical_files(app, scored_csv, tmp_path):
    args = ["experiments", "assign", "--ids", str(scored_csv), "--id-column", "客户号", "--seed", "1", "--json"]
    assert run(app, *args, "--out", str(tmp_path / "a.csv")).exit_code == 0
    assert run(app, *args, "--out", str(tmp_path / "b.csv")).exit_code == 0
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


def test_assign_without_control_says_lift_cannot_be_measured(app, scored_csv, tmp_path):
    args = ["experiments", "assign", "--ids", str(scored_csv), "--id-column", "客户号", "--seed", "1"]
    result = run(app, *args, "--control-share", "0", "--out", str(tmp_path / "a.csv"))
    assert result.exit_code == 0 and "lift cannot be measured" in result.stdout


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("content", "extra", "message"),
    [
        ("customer_id,score\n", [], "no customers"),
        ("", [], "the file is empty"),
        ("id,score\na,0.1\n", [], "no column 'customer_id' (the file has: id, score)"),
        ("customer_id,p\na,0.1\n", [], "no column 'score'"),
        ("customer_id,score\na,0.1\nb,0.2\na,0.3\n", [], "customer_id 'a' appears more than once (lines 2 and 4)"),
        ("customer_id,score\na,0.1\n,0.2\n", [], "line 3: customer_id is empty"),
        ("customer_id,score\na,0.1\nb,high\n", [], "line 3: score 'high' is not a number"),
        ("customer_id,score\na,0.1\nb,\n", [], "line 3: score is empty"),
        ("customer_id,score\na,0.1\nb,0.2,9\n", [], "line 3 does not have 2 fields"),
        ("customer_id,score\na,0.1\n", ["--arms", "A=0.5,B=0.6"], "arm shares must sum to 1"),
        ("customer_id,score\na,0.1\n", ["--control-share", "1"], "control_share must be a number in [0, 1)"),
        ("customer_id,score\na,0.1\n", ["--deciles", "0"], "deciles must be a whole number"),
    ],
)
def test_assign_refuses_bad_files_and_writes_nothing(app, tmp_path, content, extra, message):
    source = _write(tmp_path / "in.csv", content)
    out = tmp_path / "out.csv"
    result = run(app, "experiments", "assign", "--ids", str(source), "--seed", "1", "--out", str(out), *extra)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    if not extra:  # a problem in the file names the file
        assert str(source) in result.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == [source]


def test_assign_refuses_a_bad_output_name_before_reading(app, scored_csv, tmp_path):
    out = tmp_path / "assignment.xlsx"
    result = run(app, "experiments", "assign", "--ids", str(scored_csv), "--seed", "1", "--out", str(out))
    assert result.exit_code == 2 and "must end in .csv or .parquet" in result.stderr
    missing = run(app, "experiments", "assign", "--ids", str(tmp_path / "nope.csv"), "--seed", "1", "--out", "x.csv")
    assert missing.exit_code == 2 and "no such file" in missing.stderr


def test_every_experiments_command_has_help_and_is_documented(app):
    docs = (ROOT / "docs" / "experiments.md").read_text(encoding="utf-8")
    group = typer.main.get_command(app).commands["experiments"]
    assert (group.help or "").strip()
    for name, command in group.commands.items():
        assert (command.help or "").strip(), name
        assert f"`callwise experiments {name}" in docs, name
        for param in command.params:
            if type(param).__name__.endswith("Option") and param.name != "help":
                assert (param.help or "").strip(), f"{name} {param.opts[0]}"
                assert param.opts[0] in docs, f"{name} {param.opts[0]} is not in docs/experiments.md"


@pytest.mark.parametrize(
    ("lang", "sentence"),
    [
        ("zh", "对照组 5%：不外呼 150 位，分组太小，任何提升都无法以所需的检验效能检测出来"),
        ("en", "control 5%: 150 calls not placed, groups too small to detect any lift with the power wanted"),
    ],
)
def test_a_control_share_too_small_to_test_is_worded_as_a_sentence(app, lang, sentence):
    result = run(app, "experiments", "power", "--list-size", "3000", "--base-rate", "0.03", lang=lang)
    assert result.exit_code == 0, result.output
    assert sentence in result.output
    assert "达不到" not in result.output and "not reachable" not in result.output and "+ " not in result.output
