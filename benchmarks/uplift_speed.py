"""Fit and scoring speed of the uplift learners on a synthetic experiment table, with their Qini as a sanity check.

The table: ``rows`` customers (default 500,000; seed 0) × 20 features (16 numbers, 4 text columns of 3–12
categories, 2% blanks), a randomised treatment at treated share 0.5 (an A/B test) and 0.1 (the lake's case: a
campaign's treatment list beside a 10% control group); the true uplift depends on three features and a
category, and one segment is hurt by the treatment. For each share and learner, with the default settings on
2 threads: seconds to fit (the model and its interval members), rows per second to score ``predict_uplift`` and
``uplift_interval`` from the DataFrame (best of 3), and the Qini on a fresh holdout of ``holdout`` rows beside
the Qini of the true uplift there. ``auto`` (3-fold cross-validated choice, then the refit) is timed too.
Writes benchmarks/results/uplift_speed.json. Usage: python benchmarks/uplift_speed.py [rows] [holdout]
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from collections.abc import Callable

import lightgbm
import numpy as np
import pandas as pd

from _bench import write_result
from callwise import __version__
from callwise.uplift import LEARNERS, fit_uplift, make_uplift
from callwise.uplift.defaults import EFFECT, INTERVAL_FOLDS, OUTCOME
from callwise.uplift.metrics import qini_coefficient

THREADS = 2
REPEATS = 3
SHARES = (0.5, 0.1)
GOALS = {"fit_seconds_max": 90, "score_rows_per_s_min": 500_000}


def experiment(rows: int, treated_share: float, seed: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """(X, bought, treated, true uplift) of a randomised experiment."""
    rng = np.random.default_rng(seed)
    numbers = rng.normal(size=(rows, 16))
    numbers[rng.random(numbers.shape) < 0.02] = np.nan
    X = pd.DataFrame(numbers, columns=[f"n{i}" for i in range(16)])
    for i, levels in enumerate((3, 5, 8, 12)):
        text = np.array([f"c{i}_{k}" for k in range(levels)], dtype=object)[rng.integers(0, levels, rows)]
        text[rng.random(rows) < 0.02] = None
        X[f"t{i}"] = pd.array(text, dtype="str")
    n = np.nan_to_num(numbers)
    true = 0.04 * (n[:, 0] > 0) + 0.02 * np.tanh(n[:, 1]) + 0.03 * (X["t0"] == "c0_1") - 0.03 * (n[:, 2] > 1.2)
    base = 1 / (1 + np.exp(-(-2.6 + 0.5 * n[:, 3] + 0.3 * n[:, 4] - 0.2 * (X["t1"] == "c1_0"))))
    treated = (rng.random(rows) < treated_share).astype(np.int64)
    bought = (rng.random(rows) < np.clip(base + true * treated, 0, 1)).astype(np.int64)
    return X, bought, treated, np.asarray(true)


def best_seconds(run: Callable[[], object], repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def one_share(rows: int, holdout: int, share: float) -> dict:
    X, y, t, _ = experiment(rows, share, seed=0)
    Xh, yh, th, true_h = experiment(holdout, share, seed=1)
    out: dict = {"treated_share": share, "treated": int(t.sum()), "buyers": int(y.sum()), "learners": {}}
    out["holdout_qini_of_true_uplift"] = round(qini_coefficient(yh, th, true_h), 4)
    for name in LEARNERS:
        start = time.perf_counter()
        model = make_uplift(name, n_jobs=THREADS).fit(X, y, t)
        fit_s = time.perf_counter() - start
        score_s = best_seconds(lambda model=model: model.predict_uplift(X))
        interval_s = best_seconds(lambda model=model: model.uplift_interval(X))
        out["learners"][name] = {
            "fit_seconds": round(fit_s, 2),
            "score_rows_per_s": round(rows / score_s),
            "interval_rows_per_s": round(rows / interval_s),
            "holdout_qini": round(qini_coefficient(yh, th, model.predict_uplift(Xh)), 4),
        }
        print(share, name, out["learners"][name], file=sys.stderr, flush=True)
    start = time.perf_counter()
    model, selection = fit_uplift(X, y, t, learner="auto", folds=3)
    out["auto"] = {
        "fit_seconds": round(time.perf_counter() - start, 2),
        "chosen": selection["learner"],
        "cv_qini": selection["cv_qini"],
        "holdout_qini": round(qini_coefficient(yh, th, model.predict_uplift(Xh)), 4),
    }
    print(share, "auto", out["auto"], file=sys.stderr, flush=True)
    return out


def main(rows: int = 500_000, holdout: int = 100_000) -> dict:
    load_before = round(os.getloadavg()[0], 2)
    shares = [one_share(rows, holdout, share) for share in SHARES]
    learners = [r for s in shares for r in s["learners"].values()]
    slowest_fit = max(r["fit_seconds"] for r in learners)
    slowest_score = min(r["score_rows_per_s"] for r in learners)
    report = {
        "benchmark": "uplift_speed",
        "protocol": (
            f"synthetic randomised experiment, {rows} rows × 20 features (16 numbers, 4 text), treated shares "
            f"{', '.join(map(str, SHARES))}; default settings, {THREADS} threads; scoring from the DataFrame, best of "
            f"{REPEATS}; Qini on a fresh holdout of {holdout} rows; auto = 3-fold CV choice + refit"
        ),
        "rows": rows,
        "features": 20,
        "settings": {"outcome": OUTCOME, "effect": EFFECT, "interval_folds": INTERVAL_FOLDS},
        "goals": GOALS,
        "shares": shares,
        "met": {
            "fit_seconds_max": slowest_fit <= GOALS["fit_seconds_max"],
            "score_rows_per_s_min": slowest_score >= GOALS["score_rows_per_s_min"],
        },
        "slowest_learner_fit_seconds": slowest_fit,
        "slowest_learner_score_rows_per_s": slowest_score,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "lightgbm": lightgbm.__version__,
            "load_average_1min_before": load_before,
            "load_average_1min_after": round(os.getloadavg()[0], 2),
        },
        "callwise": __version__,
    }
    write_result("uplift_speed" if rows == 500_000 else f"uplift_speed_{rows}", report)
    return report


if __name__ == "__main__":
    out = main(*[int(a) for a in sys.argv[1:3]])
    print(json.dumps({k: out[k] for k in ("met", "slowest_learner_fit_seconds", "slowest_learner_score_rows_per_s")}))
