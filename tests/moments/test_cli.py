"""`callwise moments build | list | show | effect` as a user runs them, on the hand-made bank."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from callwise.cli import app

from .handbank import EXPECTED, write_bank

runner = CliRunner()


@pytest.fixture
def lake(tmp_path, monkeypatch):
    monkeypatch.setenv("CALLWISE_LANG", "en")
    return write_bank(tmp_path / "lake")


def _run(*args: str, lang: str = "en"):
    return runner.invoke(app, ["moments", *args], env={"CALLWISE_LANG": lang})


def test_build_then_show_counts_without_personal_data(lake):
    done = _run("build", "--as-of", "2026-06-10T08:15", "--lake", str(lake.root), "--json")
    assert done.exit_code == 0, done.output
    built = json.loads(done.stdout)
    assert built["rows"] == len(EXPECTED) and built["as_of"] == "2026-06-10T00:00:00" and built["grain"] == "daily"
    assert built["counts"]["birthday"] == 2 and built["skipped"] == []
    shown = _run("show", "birthday", "--lake", str(lake.root), "--json")
    assert shown.exit_code == 0, shown.output
    found = json.loads(shown.stdout)
    assert found["moments"]["live"] == 2 and found["kind"] == "date_ahead"
    assert "M0" not in shown.stdout  # counts, never customers
    later = json.loads(_run("show", "birthday", "--at", "2026-06-13T12:00", "--lake", str(lake.root), "--json").stdout)
    assert later["moments"]["live"] == 1  # M10's birthday week is over
    human = _run("build", "--as-of", "2026-06-10 09:40", "--grain", "hourly", "--lake", str(lake.root), lang="zh")
    assert human.exit_code == 0 and "粒度 hourly" in human.stdout and "M0" not in human.stdout


def test_list_names_every_trigger(lake):
    done = _run("list", "--json")
    listed = json.loads(done.stdout)
    assert listed["count"] == 8 and listed["triggers"][0] == {
        "id": "salary_arrived",
        "name": "Salary arrived",
        "kind": "transaction",
        "validity": {"days": 7},
    }
    assert "工资到账" in _run("list", lang="zh").stdout


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["build", "--as-of", "yesterday"], "the as-of time 'yesterday' is not valid"),
        (
            ["build", "--as-of", "2026-06-10", "--grain", "weekly"],
            "the grain 'weekly' is not known: use one of daily, hourly",
        ),
        (["show", "birthdya"], "no trigger has the id 'birthdya' (did you mean 'birthday'?)"),
        (["effect", "CMP1"], "the members of campaign CMP1 carry no moment"),
    ],
)
def test_bad_input_is_one_sentence(lake, args, words):
    done = _run(*args, "--lake", str(lake.root))
    assert done.exit_code == 2
    assert words in done.output and "Traceback" not in done.output


def test_a_broken_trigger_file_is_named_with_its_line(lake, tmp_path):
    bad = tmp_path / "t.yaml"
    bad.write_text("version: 1\ntriggers:\n  - id: x\n", "utf-8")
    done = _run("list", "--triggers", str(bad))
    assert done.exit_code == 2 and f"{bad}:3" in done.output
    zh = _run("list", "--triggers", str(bad), lang="zh")
    assert "触发器 id" in zh.output


def test_show_before_any_build_says_to_build(lake):
    done = _run("show", "birthday", "--lake", str(lake.root))
    assert done.exit_code == 0 and "run callwise moments build first" in done.stdout
