"""The acceptance figures on the real UCI Bank Marketing files, through the same code the CLI uses.

For each file (``duration`` dropped: it is known only after the call): 5-fold shuffled CV of every model,
and the rolling-window backtest (W = 20000, K = 1000, last 8000 rows) of every model. Writes
benchmarks/results/uci_models.json. Usage: python benchmarks/uci_models.py [rows]  (rows: a tiny run on the first rows)
"""

from __future__ import annotations

import json
import os
import platform
import sys
from pathlib import Path

import lightgbm

from _bench import write_result
from callwise import __version__
from callwise.models import MODELS
from callwise.models.evaluation import cross_validate, rolling_backtest
from callwise.models.widetable import load_wide_table

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
FILES = ("bank-additional-full.csv", "bank-full.csv")
GOALS = {
    "lightgbm_cv_auc": 0.800,
    "lightgbm_cv_capture_0.5": 0.82,
    "scorecard_cv_auc": 0.785,
    "lightgbm_rolling_auc": 0.77,
}
KEEP = ("auc", "pr_auc", "ks", "brier", "log_loss", "alift", "capture", "rows", "positives", "seconds")


def run_file(name: str, rows: int | None = None) -> dict:
    wide = load_wide_table(DATA / name, "y", drop=["duration"])
    window, step, test_last = 20_000, 1_000, 8_000
    if rows is not None:  # a tiny run for the test suite: the first rows, the windows scaled alike
        wide.X, wide.y = wide.X.iloc[:rows], wide.y[:rows]
        window, step, test_last = rows // 2, rows // 20, rows // 5
    out: dict = {"rows": len(wide.y), "positives": int(wide.y.sum()), "cv": {}, "rolling": {}}
    for model in MODELS:
        cv = cross_validate(model, wide.X, wide.y, folds=5, seed=0)
        out["cv"][model] = {k: cv[k] for k in KEEP} | {"fold_auc": cv["fold_auc"]}
        rolling = rolling_backtest(model, wide.X, wide.y, window=window, step=step, test_last=test_last, seed=0)
        out["rolling"][model] = {k: rolling[k] for k in KEEP} | {"block_auc": [b["auc"] for b in rolling["blocks"]]}
        print(name, model, "cv", cv["auc"], "rolling", rolling["auc"], flush=True)
    return out


def main(rows: int | None = None) -> dict:
    results = {name: run_file(name, rows) for name in FILES}
    main_file = results[FILES[0]]
    measured = {
        "lightgbm_cv_auc": main_file["cv"]["lightgbm"]["auc"],
        "lightgbm_cv_capture_0.5": main_file["cv"]["lightgbm"]["capture"]["0.5"],
        "scorecard_cv_auc": main_file["cv"]["scorecard"]["auc"],
        "lightgbm_rolling_auc": main_file["rolling"]["lightgbm"]["auc"],
    }
    report = {
        "benchmark": "uci_models",
        "protocol": "duration dropped; 5-fold shuffled stratified CV (seed 0); rolling W=20000 K=1000 last 8000",
        "goals": GOALS,
        "measured": measured,
        "met": {k: measured[k] >= v for k, v in GOALS.items()},
        "files": results,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "lightgbm": lightgbm.__version__},
        "callwise": __version__,
    }
    write_result("uci_models" if rows is None else f"uci_models_{rows}", report)
    return report


if __name__ == "__main__":
    report = main(*[int(a) for a in sys.argv[1:2]])
    print(json.dumps({k: v for k, v in report.items() if k in ("measured", "met")}, indent=2))
