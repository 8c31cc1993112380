"""Sharper intervals without bias: post-stratification by score decile and regression adjustment (CUPED).

One estimator covers every variant. Members fall into strata (score deciles, the design's own strata; none = one
stratum). With covariates X, one slope θ is fitted on the pooled data after centring y and X inside each
(stratum, group) cell, so θ never sees the treatment effect; each member's adjusted outcome is r = y − θ·X. The
estimate is Σ_s w_s (r̄_t,s − r̄_c,s) with w_s = n_t,s / n_t (the treatment members' own mix, as incremental
conversions count treatment members), its variance Σ_s w_s² (s²_t,s / n_t,s + s²_c,s / n_c,s).
Under randomisation X is independent of the group, so any fixed θ leaves the estimate unbiased; the fitted θ adds
a bias of order 1/n only. Strata with fewer than two members in a group are merged into one; if that merged
stratum is still too thin, the strata are dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from callwise.results.members import Members

COVARIATES = ("score", "past_purchases")


@dataclass(frozen=True)
class Fit:
    estimate: float  # difference of means, treatment − control
    se: float
    theta: list[float]
    strata: int


def covariate_matrix(m: Members, names: Sequence[str]) -> tuple[np.ndarray | None, list[str]]:
    """Columns of X: each covariate; a covariate with missing values is imputed with its mean and gains an
    indicator column ``<name>_missing``. Constant columns are left out."""
    columns, used = [], []
    for name in names:
        x = m.column(name)
        missing = np.isnan(x)
        if missing.all():
            continue
        if missing.any():
            x = np.where(missing, float(np.nanmean(x)), x)
            columns.append(missing.astype(float))
            used.append(f"{name}_missing")
        columns.append(x)
        used.append(name)
    keep = [i for i, c in enumerate(columns) if np.ptp(c) > 0]
    if not keep:
        return None, []
    return np.column_stack([columns[i] for i in keep]), [used[i] for i in keep]


def strata_codes(deciles: pd.Series) -> np.ndarray:
    """Stratum code per member: its decile, or one stratum of its own for an unknown decile."""
    values = deciles.to_numpy(dtype=np.float64, na_value=np.nan)
    known = ~np.isnan(values)
    uniques = np.unique(values[known])
    codes = np.full(len(values), len(uniques), dtype=np.int64)
    codes[known] = np.searchsorted(uniques, values[known])
    return codes


def _usable_strata(strata: np.ndarray, treat: np.ndarray) -> np.ndarray:
    k = int(strata.max()) + 1
    n_t = np.bincount(strata[treat], minlength=k)
    n_c = np.bincount(strata[~treat], minlength=k)
    thin = (n_t < 2) | (n_c < 2)
    if not thin.any():
        return strata
    merged = np.where(thin[strata], k, strata)
    if (treat[merged == k].sum() < 2) or ((~treat)[merged == k].sum() < 2):
        return np.zeros(len(strata), dtype=np.int64)
    _, codes = np.unique(merged, return_inverse=True)
    return codes.astype(np.int64)


def adjusted_difference(
    y: np.ndarray, treat: np.ndarray, X: np.ndarray | None = None, strata: np.ndarray | None = None
) -> Fit | None:
    """The (adjusted) difference of means and its standard error; None when the outcome does not vary inside any
    group."""
    n = len(y)
    s = np.zeros(n, dtype=np.int64) if strata is None else _usable_strata(strata, treat)
    k = int(s.max()) + 1
    cell = s * 2 + treat.astype(np.int64)
    counts = np.bincount(cell, minlength=2 * k).astype(float)

    def centred(v: np.ndarray) -> np.ndarray:
        means = np.bincount(cell, weights=v, minlength=2 * k) / np.maximum(counts, 1)
        return v - means[cell]

    theta: list[float] = []
    r = y
    if X is not None:
        Xc = np.column_stack([centred(X[:, j]) for j in range(X.shape[1])])
        coef, *_ = np.linalg.lstsq(Xc, centred(y), rcond=None)
        theta = [float(c) for c in coef]
        r = y - X @ coef
    dev = centred(r)
    if not dev.any():  # nothing varies inside any group (everyone, or no one, converted in each): no interval
        return None
    means = np.bincount(cell, weights=r, minlength=2 * k) / np.maximum(counts, 1)
    var = np.bincount(cell, weights=dev**2, minlength=2 * k) / np.maximum(counts - 1, 1)
    n_c, n_t = counts[0::2], counts[1::2]
    w = n_t / n_t.sum()
    estimate = float(np.sum(w * (means[1::2] - means[0::2])))
    se2 = float(np.sum(w**2 * (var[1::2] / np.maximum(n_t, 1) + var[0::2] / np.maximum(n_c, 1))))
    return Fit(estimate=estimate, se=float(np.sqrt(se2)), theta=theta, strata=k)
