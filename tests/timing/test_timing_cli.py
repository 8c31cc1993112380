"""`callwise timing fit | eval | heatmap`, used the way an analyst would, on the small synthetic bank."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from callwise.cli import timing

runner = CliRunner()


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    app = typer.Typer()
    timing.register(app)
    return app


def call(app, *args: str, env: dict | None = None) -> dict:
    result = runner.invoke(app, [*args, "--json"], env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.fixture(scope="module")
def fitted(app, small_bank, tmp_path_factory):
    out = tmp_path_factory.mktemp("timing") / "model"
    lake = str(small_bank["lake"].root)
    card = call(app, "timing", "fit", "--lake", lake, "--as-of", "2026-07-01", "--out", str(out))
    return out, card


def test_fit_saves_the_model_and_its_card(fitted):
    out, card = fitted
    assert {p.name for p in out.iterdir()} >= {"answer_model.json", "model_card.json", "profiles.parquet"}
    assert card["as_of"] == "2026-07-01T00:00:00" and card["attempts"]["used"] > 4_000
    assert card["evaluation"]["beats_baselines"] is True
    assert json.loads((out / "model_card.json").read_text(encoding="utf-8"))["kappa_customer"] == card["kappa_customer"]


def test_eval_reports_every_predictor(app, small_bank):
    result = call(app, "timing", "eval", "--lake", str(small_bank["lake"].root), "--holdout-days", "20")
    assert result["split"] == {"by": "days", "days": 20.0}
    assert set(result["predictors"]) == {"global", "segment", "callwise", "global_empirical", "segment_empirical"}
    assert result["predictors"]["callwise"]["log_loss"] < result["predictors"]["global"]["log_loss"]


def test_human_output_in_both_languages(app, small_bank):
    lake = str(small_bank["lake"].root)
    zh = runner.invoke(app, ["timing", "eval", "--lake", lake], env={"CALLWISE_LANG": "zh"})
    en = runner.invoke(app, ["timing", "eval", "--lake", lake], env={"CALLWISE_LANG": "en"})
    assert zh.exit_code == 0 and en.exit_code == 0
    assert "对数损失" in zh.output and "最近一次活动（CMP2605W）" in zh.output
    assert "log loss" in en.output and "the most recent campaign (CMP2605W)" in en.output


def test_heatmap_of_a_segment_and_of_a_customer(app, fitted, tmp_path):
    out, _ = fitted
    heatmap = ["timing", "heatmap", "--model", str(out)]
    summary = call(app, *heatmap, "--segment", "退休人员", "--out", str(tmp_path / "s.csv"))
    grid = pd.read_csv(tmp_path / "s.csv", encoding="utf-8-sig", dtype={"weekday": int})
    assert grid.shape == (7, 2 + 12) and list(grid.columns[2:]) == [f"{h:02d}" for h in range(9, 21)]
    hours = grid.iloc[:, 2:].to_numpy()
    assert ((hours > 0) & (hours < 1)).all()
    best = summary["best"][0]
    assert best["p_answer"] == pytest.approx(hours.max(), abs=1e-6)
    assert hours[:5, :3].mean() > hours[:5, -3:].mean()  # retirees answer in the morning, not the evening
    customer = call(app, *heatmap, "--customer", "C00000001", "--out", str(tmp_path / "c.csv"))
    assert customer["customer"] == "C00000001" and (tmp_path / "c.csv").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--segment", "宇航员"], "the model has no segment '宇航员'"),
        (["--customer", "NOBODY"], "the model has no customer 'NOBODY'"),
        ([], "give exactly one of a segment or a customer"),
    ],
)
def test_heatmap_refusals_write_nothing(app, fitted, tmp_path, args, message):
    out, _ = fitted
    result = runner.invoke(app, ["timing", "heatmap", "--model", str(out), "--out", str(tmp_path / "h.csv"), *args])
    assert result.exit_code == 2 and message in result.output
    assert not (tmp_path / "h.csv").exists()


def test_fit_refusals(app, small_bank, tmp_path):
    lake = str(small_bank["lake"].root)
    args = ["timing", "fit", "--lake", lake, "--as-of", "July", "--out", str(tmp_path / "m")]
    bad_date = runner.invoke(app, args, env={"CALLWISE_LANG": "en"})
    assert bad_date.exit_code == 2 and "--as-of: 'July' is not a date" in bad_date.output
    fit = ["timing", "fit", "--lake", lake, "--as-of", "2026-07-01", "--out", str(tmp_path / "m")]
    bad_column = runner.invoke(app, [*fit, "--segments", "pet"])
    assert bad_column.exit_code == 2 and "no segment column 'pet'" in bad_column.output
    assert not (tmp_path / "m").exists()
    missing = runner.invoke(app, ["timing", "heatmap", "--model", str(tmp_path), "--segment", "all", "--out", "x.csv"])
    assert missing.exit_code == 2 and "not a saved answer model" in missing.output
