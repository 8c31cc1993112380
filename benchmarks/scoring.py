"""Scoring speed of the LightGBM response model: compiled trees (lleaves) against LightGBM's own predict.

A bank is synthesised (default 20,000 customers, seed 11) and ingested; the response model is fitted on its past
campaigns as the CLI fits it and saved. The scoring matrix is its prepared features resampled to ``rows`` rows
(default 1,000,000; seed 0): the synthetic bank's own mix of numbers, categories and blanks. In the same run,
on 2 threads, best of 3: the booster's raw margin from LightGBM's predict and from the compiled trees, the gap
between them, and the seconds to compile (first load) and to load the cached object code (every later load).
Writes benchmarks/results/scoring.json. Usage: python benchmarks/scoring.py [customers] [rows]
"""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import lightgbm
import numpy as np

from _bench import throwaway_pii, write_result
from callwise import __version__
from callwise.ingest import ingest_directory
from callwise.lake import Lake
from callwise.models import load_model, make_model
from callwise.models.lgbm import LightGBMResponse
from callwise.pipeline import training_frame
from callwise.synth import synthesize

THREADS = 2
REPEATS = 3
GOALS = {"compiled_rows_per_s_min": 1_000_000, "max_relative_gap_max": 1e-9}


def best_seconds(run: Callable[[], object], repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def fitted_model(root: Path, customers: int) -> tuple[Path, np.ndarray, dict]:
    """Synthesise, ingest, fit and save; the saved directory and the prepared training matrix."""
    start = time.perf_counter()
    synthesize(root / "bank", customers=customers, seed=11)
    lake = Lake(root / "lake", threads=THREADS)
    ingest_directory(root / "bank", lake, root / "quarantine", pii=throwaway_pii())
    X, y, _ = training_frame(lake)
    model = make_model("lightgbm", random_state=0).fit(X, y)
    model.save(root / "model")
    assert isinstance(model, LightGBMResponse)
    text = model.booster_.model_to_string()
    about = {
        "customers": customers,
        "training_rows": len(X),
        "features": len(X.columns),
        "categorical_features": len(model.categories_),
        "trees": model.booster_.num_trees(),
        "categorical_splits": text.count("cat_threshold="),
        "prepare_seconds": round(time.perf_counter() - start, 3),
    }
    return root / "model", model._prepare(X), about


def main(customers: int = 20_000, rows: int = 1_000_000) -> dict:
    with tempfile.TemporaryDirectory(prefix="callwise-bench-") as tmp:
        directory, features, about = fitted_model(Path(tmp), customers)
        matrix = features[np.random.default_rng(0).integers(0, len(features), rows)]

        cold = load_model(directory)
        assert isinstance(cold, LightGBMResponse)
        first = cold.compiled_trees()
        assert first is not None and not first.cached, "the compiler must be installed for this benchmark"
        warm = load_model(directory)
        assert isinstance(warm, LightGBMResponse)
        start = time.perf_counter()
        trees = warm.compiled_trees()
        cached_seconds = time.perf_counter() - start
        assert trees is not None and trees.cached

        booster = warm.booster_
        reference = np.asarray(booster.predict(matrix, raw_score=True, num_threads=THREADS))
        compiled = trees.margin(matrix, THREADS)
        lightgbm_s = best_seconds(lambda: booster.predict(matrix, raw_score=True, num_threads=THREADS))
        compiled_s = best_seconds(lambda: trees.margin(matrix, THREADS))
        one_thread = trees.margin(matrix, 1)

    gap = np.abs(compiled - reference)
    relative = gap / np.maximum(np.abs(reference), 1.0)  # relative, or absolute for margins near 0
    measured = {
        "lightgbm_rows_per_s": round(rows / lightgbm_s),
        "compiled_rows_per_s": round(rows / compiled_s),
        "speedup": round(lightgbm_s / compiled_s, 2),
        "compile_seconds": first.seconds,
        "cached_load_seconds": round(cached_seconds, 3),
        "max_abs_difference": float(gap.max()),
        "max_relative_gap": float(relative.max()),
        "bitwise_equal_to_lightgbm_share": round(float(np.mean(compiled == reference)), 4),
        "same_bits_on_1_and_2_threads": bool(np.array_equal(one_thread.view(np.int64), compiled.view(np.int64))),
    }
    report = {
        "benchmark": "scoring",
        "protocol": (
            f"raw margin of {rows} rows (the synthetic bank's prepared features resampled, seed 0), "
            f"{THREADS} threads, best of {REPEATS}; compiled (lleaves) and LightGBM predict in the same run"
        ),
        "rows": rows,
        "model": about,
        "goals": GOALS,
        "measured": measured,
        "met": {
            "compiled_rows_per_s_min": measured["compiled_rows_per_s"] >= GOALS["compiled_rows_per_s_min"],
            "max_relative_gap_max": measured["max_relative_gap"] <= GOALS["max_relative_gap_max"],
        },
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "lightgbm": lightgbm.__version__,
            "load_average_1min": round(os.getloadavg()[0], 2),
        },
        "callwise": __version__,
    }
    write_result("scoring" if rows == 1_000_000 else f"scoring_{rows}", report)
    return report


if __name__ == "__main__":
    out = main(*[int(a) for a in sys.argv[1:3]])
    print(json.dumps({k: out[k] for k in ("measured", "met")}, indent=2))
