"""`callwise segments fit | list | show | rename` read like a user session."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from callwise.cli import app
from callwise.lake import Lake

runner = CliRunner()


def test_fit_list_show_rename(lake: Lake, monkeypatch):
    monkeypatch.setenv("CALLWISE_LANG", "en")
    root = str(lake.root)
    fitted = runner.invoke(app, ["segments", "fit", "--cutoff", "2026-07-01", "--k", "3", "--lake", root, "--json"])
    assert fitted.exit_code == 0, fitted.output
    result = json.loads(fitted.output)
    assert result["k"] == 3 and result["method"] == "kmeans" and len(result["segments"]) == 3
    assert {"silhouette", "stability_ari", "stable"} <= set(result)
    listed = json.loads(runner.invoke(app, ["segments", "list", "--lake", root, "--json"]).output)
    assert [s["id"] for s in listed["segments"]] == ["S01", "S02", "S03"]
    shown = json.loads(runner.invoke(app, ["segments", "show", "S02", "--lake", root, "--json"]).output)
    assert shown["id"] == "S02" and shown["profile"]["size"] == shown["size"]
    renamed = runner.invoke(app, ["segments", "rename", "S02", "--zh", "重点", "--en", "Key", "--lake", root])
    assert renamed.exit_code == 0 and "Key" in renamed.output
    text = runner.invoke(app, ["segments", "list", "--lake", root]).output
    assert "S02  Key" in text


def test_refusals_are_one_sentence(lake: Lake, tmp_path, monkeypatch):
    monkeypatch.setenv("CALLWISE_LANG", "zh")
    root = str(lake.root)
    cases = [
        (["segments", "fit", "--cutoff", "July", "--lake", root], "不是 YYYY-MM-DD"),
        (["segments", "fit", "--cutoff", "2026-07-01", "--k", "1", "--lake", root], "至少为 2"),
        (["segments", "fit", "--cutoff", "2026-07-01", "--tags", "x", "--lake", root], "标签表"),
        (["segments", "list", "--lake", str(tmp_path / "none")], "还没有分群"),
    ]
    for args, words in cases:
        done = runner.invoke(app, args)
        assert done.exit_code == 2 and words in done.output and "Traceback" not in done.output, done.output
