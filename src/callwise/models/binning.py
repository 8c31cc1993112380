"""Weight-of-evidence binning for the scorecard: monotonic where the data allow, missing values apart.

WOE of a bin = ln(share of buyers in it / share of non-buyers in it), so a positive WOE means "more likely
to buy". Numeric features start from quantile bins, small bins are merged into a neighbour, then adjacent
bins that break the trend are pooled until the event rate is monotonic. A non-monotonic shape is kept only
when it carries clearly more information (IV) than the monotonic one — e.g. age, where the young and the
old both respond more than the middle.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

SMOOTHING = 0.5


@dataclass
class Bins:
    feature: str
    kind: str  # numeric | categorical
    edges: list[float] = field(default_factory=list)  # numeric: inner cut points, bins are [e_i, e_i+1)
    groups: list[list[str]] = field(default_factory=list)  # categorical: categories per bin
    woe: list[float] = field(default_factory=list)  # one per bin, then one for missing/unseen
    counts: list[int] = field(default_factory=list)
    events: list[int] = field(default_factory=list)
    iv: float = 0.0

    def index(self, x: pd.Series) -> np.ndarray:
        """Bin number of each value; the last number (len(woe) - 1) is missing or unseen."""
        missing = len(self.woe) - 1
        if self.kind == "numeric":
            values = pd.to_numeric(x, errors="coerce").to_numpy(dtype=float)
            out = np.searchsorted(np.asarray(self.edges, dtype=float), values, side="right")
            return np.where(np.isnan(values), missing, out)
        lookup = {c: i for i, group in enumerate(self.groups) for c in group}
        return x.astype("str").map(lookup).fillna(missing).to_numpy(dtype=int)

    def transform(self, x: pd.Series) -> np.ndarray:
        return np.asarray(self.woe)[self.index(x)]

    def labels(self) -> list[str]:
        if self.kind == "numeric":
            bounds = [-np.inf, *self.edges, np.inf]
            names = [f"[{_fmt(lo)}, {_fmt(hi)})" for lo, hi in itertools.pairwise(bounds)]
        else:
            names = [", ".join(g) if len(g) <= 4 else ", ".join(g[:4]) + f" … (+{len(g) - 4})" for g in self.groups]
        return [*names, "missing"]


def _fmt(v: float) -> str:
    if np.isinf(v):
        return "-∞" if v < 0 else "+∞"
    return f"{v:.4g}"


def _woe(events: np.ndarray, counts: np.ndarray, total_events: int, total: int) -> tuple[np.ndarray, float]:
    non = counts - events
    total_non = total - total_events
    share_e = (events + SMOOTHING) / (total_events + SMOOTHING)
    share_n = (non + SMOOTHING) / (total_non + SMOOTHING)
    woe = np.log(share_e / share_n)
    return woe, float(((share_e - share_n) * woe).sum())


def _merge(edges: list[float], events: list[int], counts: list[int], i: int) -> None:
    """Merge bin i with bin i + 1."""
    events[i] += events.pop(i + 1)
    counts[i] += counts.pop(i + 1)
    edges.pop(i)


def _numeric_bins(x: np.ndarray, y: np.ndarray, max_bins: int, min_share: float, monotonic: bool) -> tuple:
    quantiles = np.unique(np.quantile(x, np.linspace(0, 1, max_bins * 2 + 1)[1:-1]))
    edges = [float(q) for q in quantiles]
    idx = np.searchsorted(np.asarray(edges), x, side="right")
    counts = np.bincount(idx, minlength=len(edges) + 1).tolist()
    events = np.bincount(idx, weights=y, minlength=len(edges) + 1).astype(int).tolist()
    # Empty bins (ties in the quantiles) and bins below the minimum size join a neighbour.
    min_count = max(1, int(min_share * len(x)))
    while len(counts) > 1 and min(counts) < min_count:
        i = int(np.argmin(counts))
        j = i - 1 if i == len(counts) - 1 or (i > 0 and counts[i - 1] < counts[i + 1]) else i
        _merge(edges, events, counts, j)
    while len(counts) > max_bins:  # merge the most similar neighbours
        rates = np.array(events) / np.array(counts)
        _merge(edges, events, counts, int(np.argmin(np.abs(np.diff(rates)))))
    if monotonic:
        rising = bool(np.corrcoef(x, y)[0, 1] >= 0) if np.std(x) > 0 and np.std(y) > 0 else True
        while len(counts) > 1:
            rates = np.array(events) / np.array(counts)
            steps = np.diff(rates) if rising else -np.diff(rates)
            if (steps >= 0).all():
                break
            _merge(edges, events, counts, int(np.argmin(steps)))
    return edges, events, counts


def fit_bins(x: pd.Series, y: np.ndarray, max_bins: int = 8, min_share: float = 0.05) -> Bins:
    """WOE bins for one feature (numeric or categorical)."""
    total, total_events = len(y), int(y.sum())
    numeric = pd.api.types.is_numeric_dtype(x) and not isinstance(x.dtype, pd.CategoricalDtype)
    present = x.notna().to_numpy()
    miss_events, miss_count = int(y[~present].sum()), int((~present).sum())
    if numeric and not present.any():  # nothing but missing values: one bin
        woe, iv = _woe(np.array([miss_events]), np.array([miss_count]), total_events, total)
        return Bins(x.name, "numeric", woe=woe.tolist(), counts=[miss_count], events=[miss_events], iv=iv)
    if numeric:
        values = x.to_numpy(dtype=float)[present]
        best = None
        for monotonic in (True, False):
            edges, events, counts = _numeric_bins(values, y[present], max_bins, min_share, monotonic)
            woe, iv = _woe(np.array([*events, miss_events]), np.array([*counts, miss_count]), total_events, total)
            if best is None or iv > best.iv * 1.25:
                best = Bins(
                    x.name,
                    "numeric",
                    edges=edges,
                    woe=woe.tolist(),
                    counts=[*counts, miss_count],
                    events=[*events, miss_events],
                    iv=iv,
                )
        return best
    text = x.astype("str")[present]
    frame = pd.DataFrame({"c": text.to_numpy(), "y": y[present]})
    stats = frame.groupby("c", sort=True)["y"].agg(["sum", "count"])
    big = stats[stats["count"] >= max(30, min_share / 5 * total)]
    groups = [[c] for c in big.index]
    small = stats.drop(big.index)
    events = big["sum"].astype(int).tolist()
    counts = big["count"].astype(int).tolist()
    if len(small):  # rare categories pooled; unseen ones at scoring time get the missing bin's WOE
        groups.append(sorted(small.index.tolist()))
        events.append(int(small["sum"].sum()))
        counts.append(int(small["count"].sum()))
    woe, iv = _woe(np.array([*events, miss_events]), np.array([*counts, miss_count]), total_events, total)
    return Bins(
        x.name,
        "categorical",
        groups=groups,
        woe=woe.tolist(),
        counts=[*counts, miss_count],
        events=[*events, miss_events],
        iv=iv,
    )
