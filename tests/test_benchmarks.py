"""Every benchmark runs at a tiny size in the suite, so a change that breaks ``make bench`` fails the day it is made.

Each script runs as ``make bench`` runs it (a subprocess), with its results sent to a temporary folder; the
committed figures in ``benchmarks/results/`` must stay untouched.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"

# script → (arguments of a tiny run, the result file it writes)
TINY = {
    "uci_models.py": (["3000"], "uci_models_3000"),
    "pipeline_1m.py": (["4000"], "pipeline_4000"),
    "timing.py": (["3000", "20000"], "timing_3000"),
    "scheduler_1m.py": (["3000", "10"], "scheduler_3000"),
    "plan_quality.py": (["4000"], "plan_quality"),
    "customer_sync.py": (["2000"], "customer_sync"),
    "service_load.py": (["2000", "1", "500"], "service_load"),
    "scoring.py": (["2000", "20000"], "scoring_20000"),
    "engines_1m.py": (["2000"], "engines_2000"),
    "scale_10m.py": (["3000", "1000", "256MB"], "scale_3000"),
    "results_agents.py": (["3000", "2"], "results_agents"),
    "results_daily_looks.py": (["20", "3000"], "results_daily_looks"),
    "results_1m.py": (["5000", "15000"], "results_5000"),
    "results_coverage.py": (["10", "3000"], "results_coverage"),
    "model_health.py": (["2", "1", "800", "4000"], "model_health"),
    "board_speed.py": (["5000", "5", "2"], "board_speed"),
    "uplift_speed.py": (["3000", "2000"], "uplift_speed_3000"),
    "uplift_starbucks.py": (["4000", "1"], "uplift_starbucks"),
    "uplift_plan.py": (["4000"], "uplift_plan"),
    "tags_build.py": (["2000", "1000"], "tags_build_2000"),
    "segments_truth.py": (["2000"], "segments_truth_2000"),
    "moments_build.py": (["2000", "1000"], "moments_build_2000"),
    "synth_channels.py": (["2000", "1"], "synth_channels_2000"),
    "attribution_truth.py": (["3000"], "attribution_truth_3000"),
    "channel_choice.py": (["3000", "50000"], "channel_choice_3000"),
    "journeys_worker.py": (["300"], "journeys_worker"),
}


def _scripts() -> list[str]:
    return sorted(p.name for p in BENCHMARKS.glob("*.py") if not p.name.startswith("_"))


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.json"))}


def test_every_benchmark_is_in_make_bench_and_has_a_tiny_run() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    in_make = re.findall(r"benchmarks/(\w+\.py)", makefile.split("\nbench:", 1)[1].split("\n\n", 1)[0])
    assert sorted(in_make) == _scripts()
    assert sorted(TINY) == _scripts()


@pytest.mark.slow
@pytest.mark.parametrize("script", sorted(TINY))
def test_benchmark_runs_at_a_tiny_size(script: str, tmp_path: Path) -> None:
    args, result_name = TINY[script]
    committed = _digest(BENCHMARKS / "results")
    # As `make bench` runs: no keys in the environment (a benchmark brings its own throw-away ones).
    env = {k: v for k, v in os.environ.items() if k not in ("CALLWISE_PII_KEYS", "CALLWISE_LOOKUP_KEY")}
    env["CALLWISE_BENCH_RESULTS"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    result = json.loads((tmp_path / f"{result_name}.json").read_text(encoding="utf-8"))
    assert result["benchmark"] in result_name
    assert result["callwise"]
    assert _digest(BENCHMARKS / "results") == committed
