"""Weight-of-evidence binning for the scorecard: monotonic where the data allow, missing values apart.

WOE of a bin = ln(share of buyers in it / share of non-buyers in it), so a positive WOE means "more likely
to buy". Numeric features start from quantile bins, small bins are merged into a neighbour, then adjacent
bins that break the trend are pooled until the event rate is monotonic. A non-monotonic shape is kept only
when it carries clearly more information (IV) than the monotonic one — e.g. age, where the young and the
old both respond more than the middle.

WOE is smoothed toward the overall rate (``PRIOR_ROWS`` pseudo-rows at the overall rate), so a bin with few
rows lands near 0. A bin the data say little about — the missing bin, the pool of rare categories, an
unseen category — never scores above the feature's worst regular bin (decision 0015): what we do not
know about a customer must not lift them over customers we do know.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

PRIOR_ROWS = 20.0  # pseudo-rows at the overall rate added to every bin
MIN_ROWS = 30  # a bin needs at least this many rows (or min_share / 5 of all) to be trusted on its own


@dataclass
class Bins:
    feature: str
    kind: str  # numeric | categorical
    edges: list[float] = field(default_factory=list)  # numeric: inner cut points, bins are [e_i, e_i+1)
    groups: list[list[str]] = field(default_factory=list)  # categorical: categories per bin
    woe: list[float] = field(default_factory=list)  # one per bin, then missing (then unseen: categorical)
    counts: list[int] = field(default_factory=list)
    events: list[int] = field(default_factory=list)
    iv: float = 0.0

    def __post_init__(self) -> None:
        if self.kind == "categorical" and len(self.woe) == len(self.groups) + 1:
            # A model saved before unseen categories had their own bin: they keep scoring as missing.
            self.woe, self.counts, self.events = [*self.woe, self.woe[-1]], [*self.counts, 0], [*self.events, 0]

    def index(self, x: pd.Series) -> np.ndarray:
        """Bin number of each value; then the missing bin, then (categorical) the unseen-category bin."""
        if self.kind == "numeric":
            values = pd.to_numeric(x, errors="coerce").to_numpy(dtype=float)
            out = np.searchsorted(np.asarray(self.edges, dtype=float), values, side="right")
            return np.where(np.isnan(values), len(self.woe) - 1, out)
        lookup = {c: i for i, group in enumerate(self.groups) for c in group}
        known = x.astype("str").map(lookup).to_numpy(dtype=float)
        return np.where(x.isna(), len(self.groups), np.nan_to_num(known, nan=len(self.groups) + 1)).astype(int)

    def transform(self, x: pd.Series) -> np.ndarray:
        return np.asarray(self.woe)[self.index(x)]

    def labels(self) -> list[str]:
        if self.kind == "numeric":
            bounds = [-np.inf, *self.edges, np.inf]
            names = [f"[{_fmt(lo)}, {_fmt(hi)})" for lo, hi in itertools.pairwise(bounds)]
        else:
            names = [", ".join(g) if len(g) <= 4 else ", ".join(g[:4]) + f" … (+{len(g) - 4})" for g in self.groups]
        return [*names, "missing"] if self.kind == "numeric" else [*names, "missing", "unseen"]


def _fmt(v: float) -> str:
    if np.isinf(v):
        return "-∞" if v < 0 else "+∞"
    return f"{v:.4g}"


def _woe(events: list[int], counts: list[int], regular: int, min_rows: float) -> tuple[list[float], float]:
    """Smoothed WOE per bin and the feature's IV; the first ``regular`` bins are the ones binning trusts.

    A bin's event rate is shrunk toward the overall rate by ``PRIOR_ROWS`` pseudo-rows, so an empty bin has
    WOE 0 and a small one little. Any other bin with fewer than ``min_rows`` rows (missing, rare-category
    pool, unseen) gets at most the worst regular bin's WOE: too little evidence never earns points.
    """
    e, n = np.asarray(events, dtype=float), np.asarray(counts, dtype=float)
    prior = e.sum() / n.sum()
    rate = (e + PRIOR_ROWS * prior) / (n + PRIOR_ROWS)
    woe = np.log(rate / (1 - rate)) - np.log(prior / (1 - prior))
    trusted = woe[:regular][n[:regular] > 0]
    if not trusted.size:  # no regular bin has rows: compare with whatever has
        trusted = woe[n > 0]
    tiny = (np.arange(len(n)) >= regular) & (n < min_rows)
    woe[tiny] = np.minimum(woe[tiny], trusted.min())
    share_e, share_n = e / e.sum(), (n - e) / (n - e).sum()
    return woe.tolist(), float(((share_e - share_n) * woe).sum())


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
    total, name = len(y), str(x.name)
    min_rows = max(MIN_ROWS, min_share / 5 * total)
    numeric = pd.api.types.is_numeric_dtype(x) and not isinstance(x.dtype, pd.CategoricalDtype)
    present = x.notna().to_numpy()
    miss_events, miss_count = int(y[~present].sum()), int((~present).sum())
    if numeric and not present.any():  # nothing but missing values: an empty value bin and the missing bin
        woe, iv = _woe([0, miss_events], [0, miss_count], 1, min_rows)
        return Bins(name, "numeric", woe=woe, counts=[0, miss_count], events=[0, miss_events], iv=iv)
    if numeric:
        values = x.to_numpy(dtype=float)[present]
        tried = []
        for monotonic in (True, False):
            edges, events, counts = _numeric_bins(values, y[present], max_bins, min_share, monotonic)
            events, counts = [*events, miss_events], [*counts, miss_count]
            woe, iv = _woe(events, counts, len(edges) + 1, min_rows)
            tried.append(Bins(name, "numeric", edges=edges, woe=woe, counts=counts, events=events, iv=iv))
        monotone, free = tried
        return free if free.iv > monotone.iv * 1.25 else monotone  # monotone, unless free bins say much more
    text = x.astype("str")[present]
    frame = pd.DataFrame({"c": text.to_numpy(), "y": y[present]})
    stats = frame.groupby("c", sort=True)["y"].agg(["sum", "count"])
    big = stats[stats["count"] >= min_rows]
    groups = [[c] for c in big.index]
    small = stats.drop(big.index)
    events = big["sum"].astype(int).tolist()
    counts = big["count"].astype(int).tolist()
    if len(small):  # rare categories pooled into one bin
        groups.append(sorted(small.index.tolist()))
        events.append(int(small["sum"].sum()))
        counts.append(int(small["count"].sum()))
    events, counts = [*events, miss_events, 0], [*counts, miss_count, 0]  # then missing, then unseen
    woe, iv = _woe(events, counts, len(big), min_rows)
    return Bins(name, "categorical", groups=groups, woe=woe, counts=counts, events=events, iv=iv)
