"""LightGBM boosters as the uplift learners use them: trained from a settings dict, read as probabilities or values."""

from __future__ import annotations

from typing import Any

import lightgbm as lgb
import numpy as np

# Fixed for every booster: reproducible bits whatever the thread count, and quiet.
FIXED: dict[str, Any] = {"deterministic": True, "force_row_wise": True, "verbose": -1}


def train(
    X: np.ndarray,
    target: np.ndarray,
    settings: dict[str, Any],
    *,
    regression: bool,
    names: list[str],
    categorical: list[int],
    seed: int,
    threads: int,
) -> lgb.Booster:
    """One booster: ``settings`` in scikit-learn's names (``n_estimators`` is the number of rounds)."""
    params = dict(settings)
    rounds = int(params.pop("n_estimators", 100))
    params.update(FIXED, objective="regression" if regression else "binary", seed=seed, num_threads=threads)
    data = lgb.Dataset(X, target, feature_name=names, categorical_feature=categorical, free_raw_data=True)
    return lgb.train(params, data, num_boost_round=rounds)


def probability(booster: lgb.Booster, X: np.ndarray, threads: int) -> np.ndarray:
    """p(1) of a classifier by LightGBM itself (while fitting; scoring goes through the model's compiled trees)."""
    return np.asarray(booster.predict(X, num_threads=threads), dtype=np.float64)


def shap(booster: lgb.Booster, X: np.ndarray, threads: int) -> np.ndarray:
    """SHAP contributions on the booster's raw scale (rows × features, the bias column dropped)."""
    return np.asarray(booster.predict(X, pred_contrib=True, num_threads=threads), dtype=np.float64)[:, :-1]


def gain_share(booster: lgb.Booster) -> np.ndarray:
    gain = np.asarray(booster.feature_importance(importance_type="gain"), dtype=np.float64)
    total = gain.sum()
    return gain / total if total else gain


def to_text(booster: lgb.Booster) -> str:
    return str(booster.model_to_string())


def from_text(text: str) -> lgb.Booster:
    return lgb.Booster(model_str=text)
