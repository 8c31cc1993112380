"""Small randomised experiments with a known uplift, and learner settings that fit them in a blink."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

# LightGBM settings for tests: few, small trees.
TINY: dict[str, Any] = {"n_estimators": 30, "learning_rate": 0.1, "num_leaves": 7, "min_child_samples": 20}


def tiny(name: str, **params: Any) -> dict[str, Any]:
    """``make_uplift`` keyword arguments with tiny boosters for the learner ``name``."""
    out: dict[str, Any] = {"outcome_params": TINY, "n_jobs": 1, **params}
    if name in ("x", "dr"):
        out.setdefault("effect_params", TINY)
    return out


def experiment(
    n: int = 3000, seed: int = 0, confounded: bool = False
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """(X, y, treatment, true uplift): persuadables where ``x0 > 0``, sleeping dogs in segment "c"."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "x0": rng.normal(size=n),
            "x1": rng.normal(size=n),
            "segment": pd.array(rng.choice(["a", "b", "c"], n), dtype="str"),
        }
    )
    true = np.where(X["x0"] > 0, 0.25, 0.0) - np.where(X["segment"] == "c", 0.1, 0.0)
    share = 1 / (1 + np.exp(-1.5 * X["x1"].to_numpy())) if confounded else np.full(n, 0.5)
    treatment = (rng.random(n) < share).astype(int)
    base = 0.15 + 0.05 * (X["x1"] > 0)
    y = (rng.random(n) < base + true * treatment).astype(int)
    return X, y, treatment, true
