"""How good is a score? Ranking, calibration and what a call list of a given size would capture.

Two protocols: shuffled stratified k-fold cross-validation, and the rolling-window backtest of Moro et al.
(2014) — train on the previous W rows in time order, predict the next K, slide by K — which is what a bank
lives through (the future is never in the training window). Metrics are computed on the pooled
out-of-sample predictions.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold

from callwise.models.errors import ModelInputError
from callwise.models.frame import check_target

CAPTURE_SHARES = (0.1, 0.2, 0.3, 0.5)
DECILES = 10


def _order(p: np.ndarray) -> np.ndarray:
    """Best first; ties keep input order so results are reproducible."""
    return np.argsort(-p, kind="stable")


def capture(y: np.ndarray, p: np.ndarray, share: float) -> float:
    """Share of all buyers found in the top ``share`` of customers by score."""
    k = round(len(y) * share)
    return float(y[_order(p)][:k].sum() / y.sum())


def gains_curve(y: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative gains: (share contacted, share of buyers captured), from (0, 0) to (1, 1)."""
    hits = np.cumsum(y[_order(p)])
    x = np.arange(len(y) + 1) / len(y)
    return x, np.concatenate([[0.0], hits / hits[-1]])


def alift(y: np.ndarray, p: np.ndarray) -> float:
    """Area under the cumulative gains curve (Moro et al.'s ALIFT): 0.5 is random, 1 is perfect."""
    x, g = gains_curve(y, p)
    return float(np.trapezoid(g, x))


def ks_statistic(y: np.ndarray, p: np.ndarray) -> float:
    """Largest gap between the score distributions of buyers and non-buyers."""
    order = _order(p)
    ys = y[order]
    tpr = np.cumsum(ys) / ys.sum()
    fpr = np.cumsum(1 - ys) / (1 - ys).sum()
    return float(np.max(np.abs(tpr - fpr)))


def deciles(y: np.ndarray, p: np.ndarray) -> list[dict[str, float]]:
    """Per score decile (best first): rows, buyers, rate, lift, cumulative capture and lift."""
    order = _order(p)
    groups = np.array_split(order, DECILES)
    base = y.mean()
    rows, cum_hits, cum_rows = [], 0, 0
    for i, g in enumerate(groups, start=1):
        hits = int(y[g].sum())
        cum_hits += hits
        cum_rows += len(g)
        rate = hits / len(g) if len(g) else 0.0
        rows.append(
            {
                "decile": i,
                "rows": len(g),
                "positives": hits,
                "rate": round(rate, 5),
                "lift": round(rate / base, 4) if base else None,
                "cum_capture": round(cum_hits / y.sum(), 5),
                "cum_lift": round((cum_hits / cum_rows) / base, 4) if base else None,
                "mean_score": round(float(p[g].mean()), 5),
            }
        )
    return rows


def calibration_bins(y: np.ndarray, p: np.ndarray, bins: int = 10) -> list[dict[str, float]]:
    """Quantile bins of the score: mean predicted vs observed rate."""
    order = np.argsort(p, kind="stable")
    out = []
    for g in np.array_split(order, bins):
        if len(g):
            out.append(
                {
                    "rows": len(g),
                    "mean_predicted": round(float(p[g].mean()), 5),
                    "observed": round(float(y[g].mean()), 5),
                }
            )

    return out


def metrics(y: Any, p: Any) -> dict[str, Any]:
    """Every figure the reports and ``--json`` outputs carry."""
    y = check_target(y)
    p = np.clip(np.asarray(p, dtype=float), 1e-7, 1 - 1e-7)
    if len(y) != len(p):
        raise ModelInputError("models.eval.lengths", labels=len(y), scores=len(p))
    return {
        "rows": len(y),
        "positives": int(y.sum()),
        "base_rate": round(float(y.mean()), 6),
        "auc": round(float(roc_auc_score(y, p)), 6),
        "pr_auc": round(float(average_precision_score(y, p)), 6),
        "ks": round(ks_statistic(y, p), 6),
        "brier": round(float(brier_score_loss(y, p)), 6),
        "log_loss": round(float(log_loss(y, p)), 6),
        "alift": round(alift(y, p), 6),
        "capture": {str(s): round(capture(y, p, s), 6) for s in CAPTURE_SHARES},
        "deciles": deciles(y, p),
        "calibration": calibration_bins(y, p),
    }


def cross_validate(model: str, X: pd.DataFrame, y: Any, folds: int = 5, seed: int = 0, **params: Any) -> dict[str, Any]:
    """Shuffled stratified k-fold CV; pooled out-of-fold metrics, per-fold AUC, mean importance."""
    from callwise.models import make_model

    y = check_target(y)
    if folds < 2:
        raise ModelInputError("models.eval.min_folds")
    if np.bincount(y).min() < folds:
        raise ModelInputError("models.eval.too_few", folds=folds)
    start = time.perf_counter()
    p = np.zeros(len(y))
    fold_auc, importances = [], []
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(X, y):
        fitted = make_model(model, random_state=seed, **params).fit(X.iloc[train], y[train])
        p[test] = fitted.predict_proba(X.iloc[test])[:, 1]
        fold_auc.append(round(float(roc_auc_score(y[test], p[test])), 6))
        importances.append(fitted.importance())
    result = metrics(y, p)
    result.update(
        protocol="cv",
        model=model,
        folds=folds,
        seed=seed,
        fold_auc=fold_auc,
        importance=_mean_importance(importances),
        seconds=round(time.perf_counter() - start, 2),
    )
    return result


def rolling_backtest(
    model: str,
    X: pd.DataFrame,
    y: Any,
    window: int,
    step: int,
    test_last: int | None = None,
    seed: int = 0,
    **params: Any,
) -> dict[str, Any]:
    """Train on the ``window`` rows before each block of ``step`` rows (in file order), predict the block.

    ``test_last``: only the last T rows are predicted (in blocks of ``step``); by default every row after
    the first window.
    """
    from callwise.models import make_model

    y = check_target(y)
    n = len(y)
    first = window if test_last is None else n - test_last
    if window < 1 or step < 1:
        raise ModelInputError("models.backtest.positive")
    if first < window:
        raise ModelInputError("models.backtest.no_window", rows=n, window=window, test_last=test_last)
    if first >= n:
        raise ModelInputError("models.backtest.nothing_left", rows=n, window=window)
    start = time.perf_counter()
    p = np.full(n, np.nan)
    blocks = []
    for block_start in range(first, n, step):
        block = np.arange(block_start, min(block_start + step, n))
        train = np.arange(block_start - window, block_start)
        if y[train].min() == y[train].max():
            raise ModelInputError("models.backtest.one_class", row=block_start)
        fitted = make_model(model, random_state=seed, **params).fit(X.iloc[train], y[train])
        p[block] = fitted.predict_proba(X.iloc[block])[:, 1]
        auc = roc_auc_score(y[block], p[block]) if 0 < y[block].sum() < len(block) else None
        blocks.append(
            {"start": int(block_start), "rows": len(block), "auc": None if auc is None else round(float(auc), 6)}
        )
    tested = ~np.isnan(p)
    result = metrics(y[tested], p[tested])
    result.update(
        protocol="rolling",
        model=model,
        window=window,
        step=step,
        test_last=int(tested.sum()),
        blocks=blocks,
        seconds=round(time.perf_counter() - start, 2),
    )
    return result


def _mean_importance(importances: list[pd.Series]) -> dict[str, float]:
    mean = pd.concat(importances, axis=1).fillna(0).mean(axis=1).sort_values(ascending=False, kind="stable")
    return {str(k): round(float(v), 6) for k, v in mean.items()}
