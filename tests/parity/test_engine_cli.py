"""``--engine`` chooses the lake's engine per command, over CALLWISE_ENGINE; a pyspark that cannot start says why."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
from typer.testing import CliRunner

from callwise.cli import app

from ..features.test_asof import base_tables, make_lake
from .compare import assert_same

runner = CliRunner()
CALLWISE = Path(sys.executable).parent / "callwise"


def test_features_build_on_either_engine_writes_the_same_table(lakes, tmp_path):
    lake = make_lake(tmp_path / "lake", base_tables())
    written = {}
    for engine in ("duckdb", "pyspark"):
        env = {"CALLWISE_ENGINE": "duckdb" if engine == "pyspark" else "pyspark"}  # the option wins
        args = ["features", "build", "--cutoff", "2026-03-01", "--product", "P1", "--lake", str(lake.root)]
        result = runner.invoke(app, [*args, "--engine", engine, "--name", f"f_{engine}", "--json"], env=env)
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)["rows"] == 2
        written[engine] = pq.read_table(lake.path(f"f_{engine}"))
    assert_same(written["duckdb"], written["pyspark"], ["customer_id"])


def test_an_unknown_engine_is_refused_naming_the_engines(tmp_path):
    result = runner.invoke(
        app,
        ["features", "build", "--cutoff", "2026-03-01", "--lake", str(tmp_path), "--engine", "polars"],
        env={"CALLWISE_LANG": "en"},
    )
    assert result.exit_code == 2
    assert "unknown lake engine 'polars'; choose one of duckdb, pyspark" in result.output


def test_pyspark_without_java_is_refused_in_the_readers_language(tmp_path):
    """A fresh process with no java on PATH and no JAVA_HOME: one sentence, no Java stack trace."""
    lake = make_lake(tmp_path / "lake", base_tables())
    env = {k: v for k, v in os.environ.items() if k not in ("JAVA_HOME", "SPARK_HOME")}
    env["PATH"] = str(CALLWISE.parent)
    for lang, sentence in (("en", "the pyspark engine needs Java 17 or later"), ("zh", "引擎 pyspark 需要 Java 17")):
        done = subprocess.run(
            [
                str(CALLWISE),
                "features",
                "build",
                "--cutoff",
                "2026-03-01",
                "--lake",
                str(lake.root),
                "--engine",
                "pyspark",
            ],
            env={**env, "CALLWISE_LANG": lang},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 2, done.stderr
        assert sentence in done.stderr
        assert "Traceback" not in done.stderr and "py4j" not in done.stderr
    assert not lake.has("features")
