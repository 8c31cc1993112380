"""How well does a score find the customers a treatment changes? Qini, AUUC, uplift at k, by decile.

The definitions are scikit-uplift's (``sklift.metrics``), so figures compare with published ones: customers are
sorted by predicted uplift, best first, and the curves are read at every distinct score (tied customers enter
together). The Qini curve counts incremental buyers, ``treated buyers − control buyers × treated / control``
among the top n; the uplift curve is ``(treated rate − control rate) × n``. A coefficient is the area between
the model's curve and the random line, over the same area for the perfect ranking (1 perfect, 0 random).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from callwise.uplift.errors import UpliftInputError

UPLIFT_AT = (0.1, 0.2, 0.3, 0.5)
CURVE_POINTS = 101


def check_experiment(y: Any, treatment: Any, uplift: Any | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``y`` and ``treatment`` as 0/1 integer arrays of one length (and ``uplift``'s), both groups present."""
    y_arr, t_arr = _binary(y, "y"), _binary(treatment, "treatment")
    if len(y_arr) != len(t_arr) or (uplift is not None and len(np.asarray(uplift)) != len(y_arr)):
        lengths = [len(y_arr), len(t_arr)] + ([len(np.asarray(uplift))] if uplift is not None else [])
        raise UpliftInputError("uplift.input.lengths", lengths=" / ".join(map(str, lengths)))
    treated = int(t_arr.sum())
    if treated == 0 or treated == len(t_arr):
        raise UpliftInputError("uplift.input.one_group", treated=treated, control=len(t_arr) - treated)
    return y_arr, t_arr


def _binary(values: Any, name: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise UpliftInputError("uplift.input.one_column", name=name)
    if arr.dtype == bool:
        return arr.astype(np.int64)
    found = set(pd.unique(arr).tolist()) if len(arr) else set()
    if not found <= {0, 1}:
        raise UpliftInputError("uplift.input.not_binary", name=name, values=sorted(found, key=str)[:5])
    return arr.astype(np.int64)


def _at_thresholds(y: np.ndarray, treatment: np.ndarray, uplift: np.ndarray) -> tuple[np.ndarray, ...]:
    """Cumulative counts at each distinct score, best first: (n, treated, control, treated buyers, control buyers)."""
    order = np.argsort(uplift, kind="mergesort")[::-1]
    score, t, yy = uplift[order], treatment[order], y[order]
    ends = np.r_[np.flatnonzero(np.diff(score)), len(score) - 1]
    n = ends + 1
    n_t = np.cumsum(t)[ends]
    y_t = np.cumsum(yy * t)[ends]
    y_c = np.cumsum(yy * (1 - t))[ends]
    return n, n_t, n - n_t, y_t, y_c


def _from_zero(x: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.r_[0, x].astype(np.float64), np.r_[0.0, v]


def qini_curve(y: Any, treatment: Any, uplift: Any) -> tuple[np.ndarray, np.ndarray]:
    """(customers targeted, incremental buyers among them), from (0, 0)."""
    y_arr, t_arr = check_experiment(y, treatment, uplift)
    n, n_t, n_c, y_t, y_c = _at_thresholds(y_arr, t_arr, np.asarray(uplift, dtype=np.float64))
    ratio = np.divide(n_t, n_c, out=np.zeros(len(n)), where=n_c != 0)
    return _from_zero(n, y_t - y_c * ratio)


def uplift_curve(y: Any, treatment: Any, uplift: Any) -> tuple[np.ndarray, np.ndarray]:
    """(customers targeted, (treated rate − control rate) among them × their number), from (0, 0)."""
    y_arr, t_arr = check_experiment(y, treatment, uplift)
    n, n_t, n_c, y_t, y_c = _at_thresholds(y_arr, t_arr, np.asarray(uplift, dtype=np.float64))
    rate_t = np.divide(y_t, n_t, out=np.zeros(len(n)), where=n_t != 0)
    rate_c = np.divide(y_c, n_c, out=np.zeros(len(n)), where=n_c != 0)
    return _from_zero(n, (rate_t - rate_c) * n)


def perfect_qini_curve(y: Any, treatment: Any) -> tuple[np.ndarray, np.ndarray]:
    """The Qini curve of the best possible order: treated buyers first, control buyers last."""
    y_arr, t_arr = check_experiment(y, treatment)
    return qini_curve(y_arr, t_arr, y_arr * t_arr - y_arr * (1 - t_arr))


def perfect_uplift_curve(y: Any, treatment: Any) -> tuple[np.ndarray, np.ndarray]:
    """The uplift curve of the best possible order (scikit-uplift's construction)."""
    y_arr, t_arr = check_experiment(y, treatment)
    control_buyers = int(((y_arr == 1) & (t_arr == 0)).sum())
    treated_non_buyers = int(((y_arr == 0) & (t_arr == 1)).sum())
    summand = y_arr if control_buyers > treated_non_buyers else t_arr
    return uplift_curve(y_arr, t_arr, 2 * (y_arr == t_arr) + summand)


def _normalised(model: tuple[np.ndarray, np.ndarray], perfect: tuple[np.ndarray, np.ndarray]) -> float:
    random = 0.5 * perfect[0][-1] * perfect[1][-1]  # the straight line from (0, 0) to the last point
    best = float(np.trapezoid(perfect[1], perfect[0])) - random
    if best == 0:
        return float("nan")
    return float((float(np.trapezoid(model[1], model[0])) - random) / best)


def qini_coefficient(y: Any, treatment: Any, uplift: Any) -> float:
    """(area under the model's Qini curve − random) / (perfect − random); NaN when perfect equals random."""
    return _normalised(qini_curve(y, treatment, uplift), perfect_qini_curve(y, treatment))


def auuc(y: Any, treatment: Any, uplift: Any) -> float:
    """Area under the uplift curve, normalised the same way as the Qini coefficient."""
    return _normalised(uplift_curve(y, treatment, uplift), perfect_uplift_curve(y, treatment))


def uplift_at_k(y: Any, treatment: Any, uplift: Any, k: float) -> float:
    """Treated buyer rate − control buyer rate among the top ``k`` share by predicted uplift (NaN: a group is empty)."""
    y_arr, t_arr = check_experiment(y, treatment, uplift)
    if not 0 < k <= 1:
        raise UpliftInputError("uplift.input.share", k=k)
    top = np.argsort(np.asarray(uplift, dtype=np.float64), kind="mergesort")[::-1][: int(len(y_arr) * k)]
    t, yy = t_arr[top], y_arr[top]
    if t.sum() == 0 or t.sum() == len(t):
        return float("nan")
    return float(yy[t == 1].mean() - yy[t == 0].mean())


def uplift_by_decile(y: Any, treatment: Any, uplift: Any, bins: int = 10, level: float = 0.95) -> pd.DataFrame:
    """Observed against predicted uplift in ``bins`` equal groups by predicted uplift (decile 1 = highest).

    ``low``/``high`` is the normal-approximation interval of the observed difference of two rates.
    """
    y_arr, t_arr = check_experiment(y, treatment, uplift)
    score = np.asarray(uplift, dtype=np.float64)
    order = np.argsort(score, kind="mergesort")[::-1]
    group = np.empty(len(score), dtype=np.int64)
    group[order] = np.arange(len(score)) * bins // len(score)
    rows = np.bincount(group, minlength=bins)
    treated = np.bincount(group, weights=t_arr, minlength=bins)
    control = rows - treated
    buyers_t = np.bincount(group, weights=y_arr * t_arr, minlength=bins)
    buyers_c = np.bincount(group, weights=y_arr * (1 - t_arr), minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate_t, rate_c = buyers_t / treated, buyers_c / control
        observed = rate_t - rate_c
        se = np.sqrt(rate_t * (1 - rate_t) / treated + rate_c * (1 - rate_c) / control)
        predicted = np.bincount(group, weights=score, minlength=bins) / rows
    z = float(norm.ppf(0.5 + level / 2))
    return pd.DataFrame(
        {
            "decile": np.arange(1, bins + 1),
            "rows": rows,
            "treated": treated.astype(np.int64),
            "control": control.astype(np.int64),
            "treated_rate": rate_t,
            "control_rate": rate_c,
            "predicted": predicted,
            "observed": observed,
            "low": observed - z * se,
            "high": observed + z * se,
        }
    ).loc[rows > 0]


def calibration(deciles: pd.DataFrame) -> dict[str, float | None]:
    """Observed uplift regressed on predicted across deciles (weighted by rows): slope 1, intercept 0 is calibrated."""
    d = deciles.dropna(subset=["observed", "predicted"])
    if d.empty:
        return {"slope": None, "intercept": None, "mean_abs_error": None}
    w = d["rows"].to_numpy(dtype=np.float64)
    x, v = d["predicted"].to_numpy(), d["observed"].to_numpy()
    error = float(np.average(np.abs(x - v), weights=w))
    if len(d) < 2 or np.ptp(x) == 0:
        return {"slope": None, "intercept": None, "mean_abs_error": error}
    slope, intercept = np.polyfit(x, v, 1, w=np.sqrt(w))
    return {"slope": float(slope), "intercept": float(intercept), "mean_abs_error": error}


def json_number(value: float) -> float | None:
    """``value`` rounded for JSON; NaN and infinity (a figure that does not exist) become None."""
    return None if not np.isfinite(value) else round(float(value), 6)


def _curve(y: np.ndarray, treatment: np.ndarray, uplift: np.ndarray) -> dict[str, list[float | None]]:
    """The Qini curves at ``CURVE_POINTS`` shares of the customers (for charts): model, random, perfect."""
    share = np.linspace(0, 1, CURVE_POINTS)
    at = share * len(y)
    model_x, model_v = qini_curve(y, treatment, uplift)
    perfect_x, perfect_v = perfect_qini_curve(y, treatment)
    return {
        "share": [json_number(s) for s in share],
        "qini": [json_number(v) for v in np.interp(at, model_x, model_v)],
        "random": [json_number(v) for v in share * model_v[-1]],
        "perfect": [json_number(v) for v in np.interp(at, perfect_x, perfect_v)],
    }


def evaluate_uplift(y: Any, treatment: Any, uplift: Any) -> dict[str, Any]:
    """Every figure of one set of predictions, JSON-ready (NaN becomes None)."""
    y_arr, t_arr = check_experiment(y, treatment, uplift)
    score = np.asarray(uplift, dtype=np.float64)
    deciles = uplift_by_decile(y_arr, t_arr, score)
    calib = calibration(deciles)
    return {
        "qini": json_number(qini_coefficient(y_arr, t_arr, score)),
        "auuc": json_number(auuc(y_arr, t_arr, score)),
        "uplift_at": {str(k): json_number(uplift_at_k(y_arr, t_arr, score, k)) for k in UPLIFT_AT},
        "ate": json_number(y_arr[t_arr == 1].mean() - y_arr[t_arr == 0].mean()),
        "rows": len(y_arr),
        "treated": int(t_arr.sum()),
        "control": int(len(t_arr) - t_arr.sum()),
        "deciles": [
            {k: (json_number(v) if isinstance(v, float) else int(v)) for k, v in row.items()}
            for row in deciles.to_dict("records")
        ],
        "calibration": {k: (None if v is None else json_number(v)) for k, v in calib.items()},
        "curve": _curve(y_arr, t_arr, score),
    }


def cross_validate_uplift(
    learner: str, X: Any, y: Any, treatment: Any, folds: int = 5, seed: int = 0, propensity: float | None = None
) -> dict[str, Any]:
    """``evaluate_uplift`` of a learner's pooled out-of-fold predictions, with ``per_fold`` Qini and ``learner``."""
    from callwise.uplift.select import cross_validate_uplift as cross_validate  # the learners import this module

    return cross_validate(learner, X, y, treatment, folds, seed, propensity)
