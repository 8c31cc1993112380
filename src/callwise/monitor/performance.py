"""Realised performance on fresh outcomes, week by week: AUC with an interval, calibration, top-decile lift.

Input: a per-member frame (``callwise.results`` contract) of called (treatment) members with ``score``,
``converted`` and a ``week`` (any sortable label: a date, an ISO week). Members without a score are left out.
AUC's standard error is Hanley and McNeil's (1982); calibration-in-the-large is observed minus mean predicted,
with the interval of the observed rate if the scores were right (variance ``Σ p(1 - p) / n²``); the slope is
the logistic regression of the outcome on the score's log-odds (1 = calibrated, below 1 = overconfident).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from callwise.monitor.errors import MonitorError

REQUIRED = ("score", "converted", "week")


def hanley_mcneil_se(auc: float, positives: int, negatives: int) -> float:
    """Standard error of an AUC (Hanley & McNeil 1982, exponential approximation of the score distributions)."""
    q1 = auc / (2 - auc)
    q2 = 2 * auc * auc / (1 + auc)
    var = (auc * (1 - auc) + (positives - 1) * (q1 - auc**2) + (negatives - 1) * (q2 - auc**2)) / (
        positives * negatives
    )
    return float(np.sqrt(max(var, 0.0)))


def week_metrics(y: np.ndarray, p: np.ndarray, alpha: float = 0.05) -> dict[str, Any]:
    """Every figure of one week; AUC and slope are None when the week has one class only."""
    n, positives = len(y), int(y.sum())
    z = float(stats.norm.ppf(1 - alpha / 2))
    out: dict[str, Any] = {"n": n, "positives": positives}
    if n == 0:
        raise MonitorError("monitor.empty_week")
    mean_p, observed = float(p.mean()), float(y.mean())
    se_citl = float(np.sqrt(np.sum(p * (1 - p))) / n)
    citl = observed - mean_p
    out.update(
        mean_predicted=round(mean_p, 6),
        observed=round(observed, 6),
        citl=round(citl, 6),
        citl_low=round(citl - z * se_citl, 6),
        citl_high=round(citl + z * se_citl, 6),
    )
    one_class = positives in (0, n)
    constant = bool(np.all(p == p[0]))
    if one_class or constant:
        out.update(auc=None, auc_se=None, auc_low=None, auc_high=None, slope=None)
    else:
        auc = float(roc_auc_score(y, p))
        se = hanley_mcneil_se(auc, positives, n - positives)
        logit = np.log(np.clip(p, 1e-7, 1 - 1e-7) / np.clip(1 - p, 1e-7, 1))
        slope = LogisticRegression(C=1e6).fit(logit.reshape(-1, 1), y).coef_[0, 0]
        out.update(
            auc=round(auc, 6),
            auc_se=round(se, 6),
            auc_low=round(auc - z * se, 6),
            auc_high=round(auc + z * se, 6),
            slope=round(float(slope), 4),
        )
    top = np.argsort(-p, kind="stable")[: max(1, round(n * 0.1))]
    out["top_decile_lift"] = round(float(y[top].mean() / observed), 4) if observed > 0 else None
    return out


def weekly_performance(frame: pd.DataFrame, alpha: float = 0.05) -> list[dict[str, Any]]:
    """One row per week (in order) of the called members with a score and an outcome."""
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise MonitorError("monitor.missing_column", column=missing[0])
    rows = frame
    if "group" in rows.columns:
        rows = rows[rows["group"] == "treatment"]
    rows = rows[rows["score"].notna() & rows["converted"].notna()]
    if len(rows) == 0:
        raise MonitorError("monitor.empty_week")
    y_all = pd.to_numeric(rows["converted"], errors="coerce")
    if not set(np.unique(y_all.dropna())) <= {0, 1} or y_all.isna().any():
        raise MonitorError("monitor.bad_outcome")
    p_all = rows["score"].to_numpy(dtype=float)
    if ((p_all < 0) | (p_all > 1)).any():
        raise MonitorError("monitor.bad_score")
    out = []
    for week, idx in rows.groupby("week", sort=True).indices.items():
        y, p = y_all.to_numpy(dtype=np.int64)[idx], p_all[idx]
        out.append({"week": str(week), **week_metrics(y, p, alpha)})
    return out
