"""`callwise monitor` and `callwise retrain --challenge` on a small synthetic bank, as a user runs them."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from callwise.cli import app
from callwise.models import load_model
from callwise.monitor.errors import MonitorError
from callwise.monitor.lake import reference
from callwise.ops.db import make_engine, session_factory
from callwise.ops.migrate import upgrade
from callwise.ops.models import AuditEntry, ModelVersion

runner = CliRunner()
EN = {"CALLWISE_LANG": "en"}


@pytest.fixture(scope="module")
def trained(small_bank, tmp_path_factory):
    out = tmp_path_factory.mktemp("model") / "m"
    lake = str(small_bank["lake"].root)
    done = runner.invoke(app, ["train", "--lake", lake, "--out", str(out), "--model", "logistic", "--json"])
    assert done.exit_code == 0, done.output
    return lake, out


def test_monitor_json_and_human(trained) -> None:
    lake, model = trained
    assert (model / "reference_profile.json").exists()
    done = runner.invoke(app, ["monitor", "--lake", lake, "--model", str(model), "--json"])
    assert done.exit_code == 0, done.output
    result = json.loads(done.output)
    assert result["reference_source"] == "saved" and result["weeks"]
    week = result["weeks"][0]
    assert week["stability"][0]["column"] == "score" and week["performance"]["n"] > 0
    assert isinstance(result["retrain"], bool)
    human = runner.invoke(app, ["monitor", "--lake", lake, "--model", str(model)], env=EN)
    assert human.exit_code == 0 and "Model health" in human.output and "Verdict" in human.output
    zh = runner.invoke(app, ["monitor", "--lake", lake, "--model", str(model)], env={"CALLWISE_LANG": "zh"})
    assert "模型健康" in zh.output and "结论" in zh.output
    late = runner.invoke(app, ["monitor", "--lake", lake, "--model", str(model), "--since", "2030-01-01"], env=EN)
    assert late.exit_code == 2 and "no members of finished campaigns" in late.output


def test_a_model_without_a_profile_recomputes_it_from_the_lake(trained, small_bank, tmp_path) -> None:
    _, model = trained
    old = tmp_path / "old"
    old.mkdir()
    for f in model.iterdir():
        if f.is_file() and f.name != "reference_profile.json":
            (old / f.name).write_bytes(f.read_bytes())
    fitted = load_model(old)
    with pytest.raises(MonitorError, match="no reference profile"):
        reference(old, fitted, None)
    recomputed = reference(old, fitted, small_bank["lake"])
    saved = reference(model, fitted, None)
    assert recomputed.source == "recomputed" and saved.source == "saved"
    assert recomputed.rows == saved.rows and recomputed.counts["score"] == saved.counts["score"]


def test_retrain_challenge_records_the_decision(trained, tmp_path) -> None:
    lake, model = trained
    url = f"sqlite:///{tmp_path / 'ops.db'}"
    engine = make_engine(url)
    upgrade(engine)
    args = ["retrain", "--challenge", "--lake", lake, "--model", str(model), "--db", url]
    done = runner.invoke(app, [*args, "--out", str(tmp_path / "c"), "--version", "c1", "--json"])
    assert done.exit_code == 0, done.output
    result = json.loads(done.output)
    assert result["challenger"] == "c1" and result["promoted"] == (result["low"] > 0)
    factory = session_factory(engine)
    with factory() as session:
        actions = [e.action for e in session.scalars(select(AuditEntry))]
        versions = session.scalars(select(ModelVersion)).all()
    assert actions[-1] in ("model.promote", "model.challenge_refused") and len(versions) == 1
    assert (tmp_path / "c" / "reference_profile.json").exists()
    engine.dispose()
    missing = runner.invoke(app, ["monitor", "--lake", lake, "--db", url, "--name", "nothing"], env=EN)
    assert missing.exit_code == 2 and "active model nothing" in missing.output
