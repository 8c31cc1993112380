"""The Starbucks promotion experiment: fit on the training file, score on the test file, default settings.

For each seed: ``fit_uplift(learner="auto")`` (3-fold cross-validated Qini on the training file picks the learner)
and every learner on its own, each evaluated on the test file: Qini, AUUC, uplift at k, and the exercise's policy
"promote where uplift × 10 − 0.15 > 0" scored by IRR and NIR. Beside them the baselines: the plain S- and
T-learner on LightGBM defaults, promoting everyone, and promoting where the plain S-learner's uplift > 0.
Writes benchmarks/results/uplift_starbucks.json.
Usage: python benchmarks/uplift_starbucks.py [rows] [seeds]  (rows: a tiny run on the first rows of each file)
"""

from __future__ import annotations

import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import lightgbm
import numpy as np
import pandas as pd

from _bench import write_result
from callwise import __version__
from callwise.uplift import LEARNERS, evaluate_uplift, fit_uplift, make_uplift
from callwise.uplift.policy import promote, score_policy

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
FEATURES = [f"V{i}" for i in range(1, 8)]
VALUE, COST = 10.0, 0.15  # the exercise's product price and cost of one promotion
REFERENCE = {"irr": 0.0188, "nir": 189.45}  # the exercise's own solution on the test file
GOALS = {"qini": 0.20, "nir": 190.0, "irr": 0.0188}
LIGHTGBM_DEFAULTS: dict[str, Any] = {}  # no settings: LightGBM's own (100 rounds, 31 leaves, rate 0.1)
Experiment = tuple[pd.DataFrame, np.ndarray, np.ndarray]  # features, bought (0/1), treated (0/1)


def load(name: str, rows: int | None) -> Experiment:
    frame = pd.read_parquet(DATA / name)
    if rows is not None:
        frame = frame.iloc[:rows]
    return frame[FEATURES], frame["purchase"].to_numpy(np.int64), (frame["Promotion"] == "Yes").to_numpy(np.int64)


def on_test(uplift: np.ndarray, y: np.ndarray, t: np.ndarray) -> dict[str, Any]:
    """The figures of one model on the test file: ranking (Qini, AUUC, uplift at k) and the exercise's policy."""
    figures = evaluate_uplift(y, t, uplift)
    return {
        "qini": figures["qini"],
        "auuc": figures["auuc"],
        "uplift_at": figures["uplift_at"],
        "policy": score_policy(y, t, promote(uplift, VALUE, COST), VALUE, COST),
    }


def timed_fit(name: str, seed: int, data: Experiment, **params: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    model = make_uplift(name, random_state=seed, **params).fit(*data)
    return model, round(time.perf_counter() - start, 2)


def baselines(train: Experiment, test: Experiment) -> dict[str, Any]:
    X, y, t = test
    out: dict[str, Any] = {}
    for name in ("s", "t"):
        model, seconds = timed_fit(name, 0, train, outcome_params=LIGHTGBM_DEFAULTS, interval_folds=0)
        uplift = model.predict_uplift(X)
        out[f"{name}_lightgbm_defaults"] = {**on_test(uplift, y, t), "fit_seconds": seconds}
        if name == "s":
            out["s_lightgbm_defaults_uplift_above_0"] = score_policy(y, t, uplift > 0, VALUE, COST)
    out["promote_everyone"] = score_policy(y, t, np.ones(len(y), dtype=bool), VALUE, COST)
    return out


def one_seed(seed: int, train: Experiment, test: Experiment) -> dict[str, Any]:
    X, y, t = test
    start = time.perf_counter()
    model, selection = fit_uplift(*train, learner="auto", folds=3, seed=seed)
    auto = {
        "learner": selection["learner"],
        "cv_qini": selection["cv_qini"],
        **on_test(model.predict_uplift(X), y, t),
        "fit_seconds": round(time.perf_counter() - start, 2),
    }
    learners = {}
    for name in LEARNERS:
        fitted, seconds = timed_fit(name, seed, train)
        learners[name] = {**on_test(fitted.predict_uplift(X), y, t), "fit_seconds": seconds}
    return {"seed": seed, "auto": auto, "learners": learners}


def summary(runs: list[dict[str, Any]], pick: Any) -> dict[str, Any]:
    """Mean, min and each seed's value of the figures ``pick(run)`` returns."""
    rows = [pick(run) for run in runs]
    keys = {
        "qini": lambda r: r["qini"],
        "auuc": lambda r: r["auuc"],
        "nir": lambda r: r["policy"]["nir"],
        "irr": lambda r: r["policy"]["irr"],
        "fit_seconds": lambda r: r["fit_seconds"],
    }
    out: dict[str, Any] = {}
    for key, get in keys.items():
        values = [get(r) for r in rows]
        out[key] = {"mean": round(statistics.fmean(values), 6), "min": min(values), "each": values}
    return out


def main(rows: int | None = None, seeds: int = 3) -> dict[str, Any]:
    train = load("starbucks-promo-training.parquet", rows)
    test = load("starbucks-promo-test.parquet", rows)
    runs = [one_seed(seed, train, test) for seed in range(seeds)]
    auto = summary(runs, lambda run: run["auto"])
    output = {
        "benchmark": "uplift_starbucks",
        "callwise": __version__,
        "lightgbm": lightgbm.__version__,
        "python": platform.python_version(),
        "rows": {"training": len(train[1]), "test": len(test[1])},
        "value": VALUE,
        "cost": COST,
        "policy": "promote where uplift × value − cost > 0",
        "seeds": list(range(seeds)),
        "auto": auto,
        "learners": {name: summary(runs, lambda run, n=name: run["learners"][n]) for name in LEARNERS},
        "chosen": [run["auto"]["learner"] for run in runs],
        "baselines": baselines(train, test),
        "reference": REFERENCE,
        "goals": GOALS,
        "met": {key: auto[key]["min"] >= goal for key, goal in GOALS.items()},  # on every seed
        "runs": runs,
    }
    write_result("uplift_starbucks", output)
    return output


if __name__ == "__main__":
    args = sys.argv[1:]
    result = main(int(args[0]) if args else None, int(args[1]) if len(args) > 1 else 3)
    print({"auto": result["auto"], "chosen": result["chosen"], "met": result["met"]})
