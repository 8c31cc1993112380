"""1M synthetic customers through the daily path: ingest → list (features, score, policy, schedule, gate) → files.

Stages, each timed on its own: ``synth`` (the test bench's synthetic bank, not part of the daily path),
``history`` (the bank cut at its last day and everything before ingested whole: the lake a bank has the evening
before, not part of the daily path), ``ingest`` (the day's files appended: new calls, transactions, events and
conversions, 1% of customers sent again, holdings whole), ``train`` (weekly, not daily: its own goal), ``list``
(its steps: policy, score with its features, experiment, answer model, phone numbers, schedule, gate, explain),
``files`` (the list files ``callwise lists build`` writes) and ``dialer`` (the list issued and its dialer CSV
written with real numbers, as ``callwise lists export --dialer csv`` does). ``ops_sync`` fills the operational
database the dialer file is exported from with the lake's customers; a bank's database holds them already, so
it is reported but not counted in the daily path.

Writes benchmarks/results/pipeline_1m.json: per-stage seconds, rows/s and peak memory, the daily path's total and
peak, the whole run's peak (synthesis and training included), and the list's true
expected conversions beside a random list and the oracle list of the same size.
Usage: python benchmarks/pipeline_1m.py [customers]
"""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile

import lightgbm

from _bench import throwaway_pii, write_result
from callwise import __version__
from callwise.pipeline import DAILY_STAGES, run_pipeline

GOALS = {"daily_path_seconds_max": 60, "daily_path_peak_memory_mb_max": 6144, "train_seconds_max": 30}


def main(customers: int = 1_000_000) -> dict:
    with tempfile.TemporaryDirectory(prefix="callwise-bench-") as tmp:
        summary = run_pipeline(
            tmp, customers=customers, seed=11, evaluate=False, pii=throwaway_pii(), dialer="csv", incremental=True
        )
    stages = _flat_stages(summary["stages"])
    daily = {name: summary["stages"][name]["seconds"] for name in DAILY_STAGES}
    result = {
        "benchmark": "pipeline",
        "customers": customers,
        "daily_path_seconds": round(sum(daily.values()), 3),
        "daily_path": daily,
        "train_seconds": summary["stages"]["train"]["seconds"],
        "total_seconds": summary["total_seconds"],
        # the goal's figure: the process's peak while the daily path's stages ran (what it held before counts)
        "daily_path_peak_memory_mb": max(summary["stages"][name].get("peak_memory_mb", 0.0) for name in DAILY_STAGES),
        "peak_memory_mb": summary["peak_memory_mb"],
        "stages": stages,
        "ingest": summary["ingest"],
        "list": summary["list"],
        "plan": summary["plan"],
        "against_truth": summary["against_truth"],
        "goals": GOALS,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "lightgbm": lightgbm.__version__},
        "callwise": __version__,
    }
    write_result("pipeline_1m" if customers == 1_000_000 else f"pipeline_{customers}", result)
    return result


def _flat_stages(stages: dict) -> dict:
    """The list stage's scoring step (features as of the list date, then the model) as a stage of its own."""
    out = {k: v for k, v in stages.items() if k != "list"}
    lst = stages["list"]
    steps = lst["steps"]
    out["score"] = {"seconds": steps["score"], "rows": lst["scored"], "rows_per_s": lst["score_rows_per_s"]}
    out["list"] = {
        "seconds": round(lst["seconds"] - steps["score"], 3),
        "rows": lst["rows"],
        "steps": {k: v for k, v in steps.items() if k != "score"},
        "peak_memory_mb": lst.get("peak_memory_mb"),  # of the list stage, scoring included
    }
    return out


if __name__ == "__main__":
    out = main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
    keys = ("daily_path_seconds", "daily_path", "daily_path_peak_memory_mb", "train_seconds", "peak_memory_mb", "goals")
    print(json.dumps({k: out[k] for k in keys}, indent=2))
