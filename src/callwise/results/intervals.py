"""Interval formulas on arrays: one call gives every cell of a breakdown its interval.

The scalar versions in ``callwise.experiments.analysis`` (Wilson, Newcombe's hybrid score interval) are the
reference; these take NumPy arrays of counts and give the same numbers element by element (a test checks).
Everything here is a pure function of counts, means and variances; validation is the caller's.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

FloatArray = ArrayLike


def z_value(alpha: float) -> float:
    """The two-sided normal quantile: 1.96 for α = 0.05."""
    return float(stats.norm.ppf(1 - alpha / 2))


def wilson(successes: FloatArray, n: FloatArray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of each rate successes/n (NaN where n is 0)."""
    s = np.asarray(successes, dtype=float)
    m = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = s / m
        denom = 1 + z * z / m
        centre = (p + z * z / (2 * m)) / denom
        half = z / denom * np.sqrt(p * (1 - p) / m + z * z / (4 * m * m))
    return np.maximum(0.0, centre - half), np.minimum(1.0, centre + half)


def newcombe(
    conv_t: FloatArray, n_t: FloatArray, conv_c: FloatArray, n_c: FloatArray, z: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Difference of two rates (treatment − control) and Newcombe's hybrid score interval (his method 10)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        p_t = np.asarray(conv_t, dtype=float) / np.asarray(n_t, dtype=float)
        p_c = np.asarray(conv_c, dtype=float) / np.asarray(n_c, dtype=float)
    lo_t, hi_t = wilson(conv_t, n_t, z)
    lo_c, hi_c = wilson(conv_c, n_c, z)
    lift = p_t - p_c
    low = lift - np.sqrt((p_t - lo_t) ** 2 + (hi_c - p_c) ** 2)
    high = lift + np.sqrt((hi_t - p_t) ** 2 + (p_c - lo_c) ** 2)
    return lift, low, high


def katz_log_ratio(
    conv_t: FloatArray, n_t: FloatArray, conv_c: FloatArray, n_c: FloatArray, z: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Relative lift p_t / p_c − 1 with Katz's interval on the log risk ratio; NaN where a group has no conversion
    (the log ratio is then infinite or undefined)."""
    a, b = np.asarray(conv_t, dtype=float), np.asarray(conv_c, dtype=float)
    m, k = np.asarray(n_t, dtype=float), np.asarray(n_c, dtype=float)
    ok = (a > 0) & (b > 0)
    a_, b_ = np.where(ok, a, 1.0), np.where(ok, b, 1.0)
    log_rr = np.log((a_ / m) / (b_ / k))
    se = np.sqrt(np.maximum(1 / a_ - 1 / m + 1 / b_ - 1 / k, 0.0))
    nan = np.full_like(log_rr, np.nan)
    return (
        np.where(ok, np.expm1(log_rr), nan),
        np.where(ok, np.expm1(log_rr - z * se), nan),
        np.where(ok, np.expm1(log_rr + z * se), nan),
    )


def welch(
    mean_t: float, var_t: float, n_t: int, mean_c: float, var_c: float, n_c: int, alpha: float
) -> dict[str, float]:
    """Difference of two means with Welch's t interval (unequal variances, Welch–Satterthwaite degrees of freedom).

    Where both variances are 0 the interval is the point (nothing varies); the degrees of freedom are then reported
    as infinite."""
    se_t2, se_c2 = var_t / n_t, var_c / n_c
    se2 = se_t2 + se_c2
    diff = mean_t - mean_c
    if se2 <= 0:
        return {"estimate": diff, "low": diff, "high": diff, "se": 0.0, "df": float("inf")}
    denom = (se_t2**2 / (n_t - 1) if n_t > 1 else 0.0) + (se_c2**2 / (n_c - 1) if n_c > 1 else 0.0)
    df = se2**2 / denom if denom > 0 else float("inf")
    q = float(stats.t.ppf(1 - alpha / 2, df)) if np.isfinite(df) else z_value(alpha)
    se = float(np.sqrt(se2))
    return {"estimate": diff, "low": diff - q * se, "high": diff + q * se, "se": se, "df": float(df)}


def normal_interval(estimate: float, se: float, z: float) -> dict[str, float]:
    return {"estimate": estimate, "low": estimate - z * se, "high": estimate + z * se, "se": se}
