"""Choosing a learner by cross-validated Qini (``auto``), and the out-of-fold evaluation a model card carries.

Folds are stratified by treatment × bought, so every fold holds all four kinds of customer in the same shares.
A learner's score is the Qini coefficient of its pooled out-of-fold predictions; ``auto`` takes the best
(ties: the first in ``LEARNERS``, the simplest) and refits it on every row. On a table of more than ``CV_ROWS``
rows the cross-validation runs on a sample of that many (stratified the same way): four learners' folds on half a
million rows would cost several full fits, and 150,000 rows rank the learners as well (the card's ``cv_rows``
says how many were used).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold

from callwise.models.base import _as_frame
from callwise.uplift.base import UpliftModel
from callwise.uplift.errors import UpliftInputError
from callwise.uplift.learners import LEARNER_CLASSES, LEARNERS
from callwise.uplift.metrics import check_experiment, evaluate_uplift, json_number, qini_coefficient

AUTO = "auto"
CV_ROWS = 150_000
CHOICES: tuple[str, ...] = (AUTO, *LEARNERS)


def make_uplift(name: str, random_state: int = 0, **params: Any) -> UpliftModel:
    """A new, unfitted learner by name (one of ``LEARNERS``)."""
    if name not in LEARNER_CLASSES:
        raise UpliftInputError("uplift.unknown_learner", name=repr(name), choices=", ".join(LEARNERS))
    return LEARNER_CLASSES[name](random_state=random_state, **params)


def out_of_fold(
    learner: str,
    X: pd.DataFrame,
    y: np.ndarray,
    treatment: np.ndarray,
    folds: int,
    seed: int,
    propensity: float | None,
    n_jobs: int = 2,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Each row's uplift predicted by a ``learner`` fitted without its fold, and the held-out rows of each fold."""
    if folds < 2:
        raise UpliftInputError("uplift.cv.min_folds")
    strata = 2 * treatment + y
    if np.bincount(strata, minlength=4).min() < folds:
        raise UpliftInputError("uplift.cv.too_few", folds=folds)
    splits = list(StratifiedKFold(folds, shuffle=True, random_state=seed).split(X, strata))

    def held_out_uplift(split: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        fit_rows, held_out = split
        # The interval is not scored here. One thread per booster for every call of a fold, as the folds run side
        # by side: LightGBM predicting with another thread count while a sibling trains can crash the process.
        model = make_uplift(learner, random_state=seed, interval_folds=0, n_jobs=1)
        model.fit(X.iloc[fit_rows], y[fit_rows], treatment[fit_rows], propensity)
        return model.predict_uplift(X.iloc[held_out])

    predicted = np.empty(len(y))
    with ThreadPoolExecutor(min(n_jobs, folds)) as pool:  # folds are independent fits: side by side
        for (_, held_out), values in zip(splits, pool.map(held_out_uplift, splits), strict=True):
            predicted[held_out] = values
    held = [held_out for _, held_out in splits]
    return predicted, held


def cross_validate_uplift(
    learner: str, X: Any, y: Any, treatment: Any, folds: int = 5, seed: int = 0, propensity: float | None = None
) -> dict[str, Any]:
    """``evaluate_uplift`` of the pooled out-of-fold predictions, plus each fold's Qini and the learner's name."""
    frame = _as_frame(X)
    y_arr, t_arr = check_experiment(y, treatment)
    predicted, held = out_of_fold(learner, frame, y_arr, t_arr, folds, seed, propensity)
    result = evaluate_uplift(y_arr, t_arr, predicted)
    result["per_fold"] = [{"qini": json_number(qini_coefficient(y_arr[h], t_arr[h], predicted[h]))} for h in held]
    result["learner"] = learner
    result["folds"] = folds
    return result


def _or_worst(value: float | None) -> float:
    return -np.inf if value is None else value


def fit_uplift(
    X: Any,
    y: Any,
    treatment: Any,
    learner: str = AUTO,
    folds: int = 3,
    seed: int = 0,
    propensity: float | None = None,
    cv_rows: int = CV_ROWS,
) -> tuple[UpliftModel, dict[str, Any]]:
    """The learner (``auto``: the best by cross-validated Qini) fitted on every row, and how it was chosen.

    ``selection``: ``learner``, ``folds``, ``cv_qini`` (per learner tried) and ``evaluation`` (the chosen
    learner's out-of-fold figures; None when ``folds`` is 0).
    """
    if learner not in CHOICES:
        raise UpliftInputError("uplift.unknown_learner", name=repr(learner), choices=", ".join(CHOICES))
    if learner == AUTO and folds < 2:
        raise UpliftInputError("uplift.cv.auto_folds")
    frame = _as_frame(X)
    y_arr, t_arr = check_experiment(y, treatment)
    if len(frame) != len(y_arr):
        raise UpliftInputError("uplift.input.lengths", lengths=f"{len(frame)} / {len(y_arr)} / {len(t_arr)}")
    tried = LEARNERS if learner == AUTO else (learner,)
    rows = cv_sample(y_arr, t_arr, seed, cv_rows)
    cv_X, cv_y, cv_t = frame.iloc[rows].reset_index(drop=True), y_arr[rows], t_arr[rows]
    predictions: dict[str, np.ndarray] = {}
    if folds:
        for name in tried:
            predictions[name] = out_of_fold(name, cv_X, cv_y, cv_t, folds, seed, propensity)[0]
    cv_qini = {name: json_number(qini_coefficient(cv_y, cv_t, p)) for name, p in predictions.items()}
    chosen = learner
    if learner == AUTO:
        chosen = max(tried, key=lambda name: _or_worst(cv_qini[name]))
    model = make_uplift(chosen, random_state=seed).fit(frame, y_arr, t_arr, propensity)
    evaluation = evaluate_uplift(cv_y, cv_t, predictions[chosen]) if folds else None
    selection = {
        "learner": chosen,
        "requested": learner,
        "folds": folds,
        "cv_rows": len(rows),
        "cv_qini": cv_qini,
        "evaluation": evaluation,
    }
    return model, selection


def cv_sample(y: np.ndarray, treatment: np.ndarray, seed: int, limit: int = CV_ROWS) -> np.ndarray:
    """Every row, or at most ``limit`` of them drawn within treatment × bought (in file order)."""
    if len(y) <= limit:
        return np.arange(len(y))
    strata = 2 * treatment + y
    rng = np.random.default_rng([seed, len(y)])
    picked = [
        rng.choice(members, round(limit * len(members) / len(y)), replace=False)
        for members in (np.flatnonzero(strata == k) for k in range(4))
    ]
    return np.sort(np.concatenate(picked))
