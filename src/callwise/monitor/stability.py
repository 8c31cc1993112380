"""Population stability: PSI of the score and CSI of each feature, against bins fixed on the training data.

Bins: numbers by training quantiles (at most ``bins``; ties merge edges), text by category with categories
rarer than ``rare_share`` of the training rows pooled into one bin, and missing values always a bin of their
own. The reference profile (edges, categories and counts) is saved as JSON beside the model.

Thresholds are calibrated to the sample sizes. With reference and current proportions ``r`` and ``c`` of the
same true distribution ``p`` over ``k`` bins, ``PSI = Σ (c - r) ln(c / r) ≈ Σ (c - r)² / p`` (second-order
expansion of the log, the symmetric Kullback–Leibler divergence is a chi-square divergence near ``p``), and
``c - r`` has covariance ``(1/n_ref + 1/n_cur)(diag p - p pᵀ)``, so ``PSI ≈ (1/n_ref + 1/n_cur) χ²(k - 1)``.
The alarm threshold is that null quantile at level ``alpha / tests`` (Bonferroni across the features and the
score), but never below ``MATERIAL_PSI``: with very large samples a real but negligible shift would else be
flagged. ``MATERIAL_PSI = 0.01`` is the PSI of a mean shift of 0.1 standard deviation in a normal feature
(PSI ≈ δ² for a shift of δ standard deviations) — well inside day-to-day noise of a bank's book.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from callwise.jsonfile import read_json, write_json
from callwise.monitor.errors import MonitorError

REFERENCE_FILE = "reference_profile.json"
SCORE = "score"
MISSING = "__missing__"
OTHER = "__other__"
BINS = 10
RARE_SHARE = 0.01
MATERIAL_PSI = 0.01
PSEUDOCOUNT = 0.5  # per bin, so an empty bin gives a finite PSI


@dataclass(frozen=True)
class Binning:
    """How one column is binned: numeric edges (inner cut points) or kept categories; missing is the last bin."""

    kind: str  # "numeric" or "categorical"
    edges: tuple[float, ...] = ()
    categories: tuple[str, ...] = ()

    @property
    def labels(self) -> list[str]:
        if self.kind == "numeric":
            bounds = ["-inf", *(f"{e:.6g}" for e in self.edges), "inf"]
            return [f"[{a}, {b})" for a, b in itertools.pairwise(bounds)] + [MISSING]
        return [*self.categories, OTHER, MISSING]

    def counts(self, values: pd.Series) -> np.ndarray:
        """Rows per bin (the bins of :attr:`labels`, in that order)."""
        n_bins = len(self.labels)
        missing = values.isna().to_numpy()
        if self.kind == "numeric":
            x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            missing = np.isnan(x)
            index = np.searchsorted(np.asarray(self.edges, dtype=float), x[~missing], side="right")
        else:
            text = values[~missing].astype("str")
            index = pd.Index(list(self.categories)).get_indexer(pd.Index(text))
            index = np.where(index < 0, len(self.categories), index)
        out = np.bincount(index, minlength=n_bins - 1)[: n_bins - 1]
        return np.append(out, missing.sum()).astype(np.int64)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "edges": list(self.edges), "categories": list(self.categories)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Binning:
        return cls(str(data["kind"]), tuple(float(e) for e in data["edges"]), tuple(map(str, data["categories"])))


def fit_binning(values: pd.Series, bins: int = BINS, rare_share: float = RARE_SHARE) -> Binning:
    """Bins fixed on the training values of one column."""
    present = values.dropna()
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        x = present.to_numpy(dtype=float)
        if len(x) == 0:
            return Binning("numeric")
        inner = np.quantile(x, np.arange(1, bins) / bins)
        edges = np.unique(inner[(inner > x.min())])  # an edge at the minimum would leave its bin empty
        return Binning("numeric", tuple(float(e) for e in edges))
    shares = present.astype("str").value_counts() / max(len(values), 1)
    kept = sorted(str(c) for c in shares[shares >= rare_share].index)
    return Binning("categorical", categories=tuple(kept))


def psi(reference: np.ndarray, current: np.ndarray) -> float:
    """Population stability index of two count vectors over the same bins (a pseudocount per bin)."""
    r = np.asarray(reference, dtype=float) + PSEUDOCOUNT
    c = np.asarray(current, dtype=float) + PSEUDOCOUNT
    r, c = r / r.sum(), c / c.sum()
    return float(np.sum((c - r) * np.log(c / r)))


def null_quantile(n_ref: int, n_cur: int, bins: int, level: float) -> float:
    """The ``1 - level`` quantile of PSI under no change: ``(1/n_ref + 1/n_cur) · χ²(bins - 1)``."""
    if n_ref < 1 or n_cur < 1:
        raise MonitorError("monitor.empty_population", ref=n_ref, cur=n_cur)
    df = max(bins - 1, 1)
    return float((1 / n_ref + 1 / n_cur) * stats.chi2.ppf(1 - level, df))


def threshold(n_ref: int, n_cur: int, bins: int, alpha: float, tests: int, material: float = MATERIAL_PSI) -> float:
    """The alarm threshold: the Bonferroni null quantile, never below the material size."""
    return max(null_quantile(n_ref, n_cur, bins, alpha / max(tests, 1)), material)


@dataclass(frozen=True)
class Profile:
    """The training population: per column (the score included) its binning and the counts in each bin."""

    rows: int
    binnings: dict[str, Binning]
    counts: dict[str, list[int]]
    source: str = "saved"

    def to_json(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "columns": {
                c: {**b.to_json(), "labels": b.labels, "counts": self.counts[c]} for c, b in self.binnings.items()
            },
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], source: str = "saved") -> Profile:
        columns = data["columns"]
        return cls(
            int(data["rows"]),
            {c: Binning.from_json(v) for c, v in columns.items()},
            {c: [int(x) for x in v["counts"]] for c, v in columns.items()},
            source,
        )


def build_profile(features: pd.DataFrame, score: Any, bins: int = BINS, rare_share: float = RARE_SHARE) -> Profile:
    """The reference profile of a training population (its features and the model's scores on it)."""
    frame = features.copy()
    frame[SCORE] = np.asarray(score, dtype=float)
    if len(frame) == 0:
        raise MonitorError("monitor.empty_population", ref=0, cur=0)
    binnings = {str(c): fit_binning(frame[c], bins, rare_share) for c in frame.columns}
    counts = {c: b.counts(frame[c]).tolist() for c, b in binnings.items()}
    return Profile(len(frame), binnings, counts, "computed")


def save_profile(directory: str | Path, profile: Profile) -> Path:
    path = Path(directory) / REFERENCE_FILE
    write_json(path, profile.to_json())
    return path


def load_profile(directory: str | Path) -> Profile | None:
    """The profile saved beside a model, or None for a model saved before profiles existed."""
    path = Path(directory) / REFERENCE_FILE
    if not path.exists():
        return None
    try:
        return Profile.from_json(read_json(path, MonitorError, "JSON"))
    except (KeyError, TypeError, ValueError) as exc:
        raise MonitorError("monitor.profile_damaged", path=path, problem=type(exc).__name__) from None


def stability(
    profile: Profile,
    current: pd.DataFrame,
    alpha: float = 0.05,
    material: float = MATERIAL_PSI,
    tests: int | None = None,
) -> list[dict[str, Any]]:
    """One row per profiled column present in ``current`` (the score first): PSI, its threshold, the alarm.

    ``tests``: how many tests the Bonferroni correction spreads ``alpha`` over (default: the columns here).
    """
    columns = [c for c in profile.binnings if c in current.columns]
    if SCORE in columns:
        columns = [SCORE, *(c for c in columns if c != SCORE)]
    if not columns:
        raise MonitorError("monitor.no_common_columns")
    n_cur = len(current)
    if n_cur == 0:
        raise MonitorError("monitor.empty_population", ref=profile.rows, cur=0)
    m = tests if tests is not None else len(columns)
    out = []
    for c in columns:
        binning = profile.binnings[c]
        ref = np.asarray(profile.counts[c])
        cur = binning.counts(current[c])
        used = int(((ref + cur) > 0).sum())  # bins that exist in either population: the degrees of freedom
        value = psi(ref, cur)
        limit = threshold(profile.rows, n_cur, used, alpha, m, material)
        out.append(
            {
                "column": c,
                "kind": "psi" if c == SCORE else "csi",
                "bins": used,
                "value": round(value, 6),
                "threshold": round(limit, 6),
                "alarm": bool(value > limit),
            }
        )
    return out


def expected_null_psi(n_ref: int, n_cur: int, bins: int) -> float:
    """The mean of PSI under no change (``(1/n_ref + 1/n_cur)(bins - 1)``), for reports and tests."""
    return (1 / n_ref + 1 / n_cur) * (bins - 1) if n_ref and n_cur else math.nan
