"""Clustering the standardised matrix: K-means (mini-batch) or Ward, k chosen by silhouette and stability.

- **kmeans**: scikit-learn's ``MiniBatchKMeans`` (bank scale: a few seconds for a million rows).
- **ward**: Ward linkage (SciPy) on a sample of at most ``ward_sample`` rows; the tree is cut at each k, each
  cut's centroids are its clusters' means, and every customer goes to the nearest centroid.

For each candidate k: the **silhouette** on a sample, and the **stability**: fits on ``boots`` pairs of bootstrap
samples (of ``4 × sample`` rows for K-means, ``sample`` for Ward), each assigning the same evaluation sample,
compared by adjusted Rand (1 = the same partition). k is the
candidate with the best silhouette among the stable ones (mean ARI ≥ 0.8); when none is stable, the most stable.
Everything is drawn from one seed, so the same matrix and seed give the same segments.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.cluster import MiniBatchKMeans
from sklearn.metrics import adjusted_rand_score, silhouette_score

METHODS = ("kmeans", "ward")
STABLE = 0.8
K_RANGE = (3, 10)


@dataclass(frozen=True)
class Fitted:
    """Centroids (k × columns) and the figures of the choice of k."""

    centroids: np.ndarray
    k: int
    silhouette: dict[int, float]
    stability: dict[int, float]


def nearest(matrix: np.ndarray, centroids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's nearest centroid and the Euclidean distance to it (ties: the lower index)."""
    d2 = (matrix**2).sum(axis=1)[:, None] - 2 * matrix @ centroids.T + (centroids**2).sum(axis=1)[None, :]
    d2 = np.maximum(d2, 0.0)
    label = d2.argmin(axis=1)
    return label, np.sqrt(d2[np.arange(len(matrix)), label])


def centroids_for(method: str, matrix: np.ndarray, k: int, seed: int, ward_sample: int) -> np.ndarray:
    """One fit of ``method`` with ``k`` segments: its centroids."""
    if method == "kmeans":
        km = MiniBatchKMeans(n_clusters=k, random_state=seed, n_init=3, batch_size=4096, max_iter=200)
        return np.asarray(km.fit(matrix).cluster_centers_, dtype=float)
    return _ward(_sample(matrix, ward_sample, seed), [k])[k]


def _ward(matrix: np.ndarray, ks: list[int]) -> dict[int, np.ndarray]:
    tree = linkage(matrix, method="ward")
    out = {}
    for k in ks:
        labels = fcluster(tree, t=k, criterion="maxclust") - 1
        out[k] = np.stack([matrix[labels == j].mean(axis=0) for j in range(labels.max() + 1)])
    return out


def _sample(matrix: np.ndarray, size: int, seed: int) -> np.ndarray:
    if len(matrix) <= size:
        return matrix
    rng = np.random.default_rng(seed)
    return matrix[np.sort(rng.choice(len(matrix), size, replace=False))]


def fit_clusters(
    matrix: np.ndarray,
    method: str = "kmeans",
    k: int | None = None,
    seed: int = 7,
    ks: tuple[int, int] = K_RANGE,
    boots: int = 3,
    sample: int = 5_000,
    ward_sample: int = 20_000,
) -> Fitted:
    """Fit ``method``; with ``k`` None choose it over ``ks`` (inclusive) as the module says."""
    n = len(matrix)
    hi = min(ks[1], n - 1)
    candidates = [k] if k is not None else list(range(ks[0], hi + 1))
    rng = np.random.default_rng(seed)
    evaluation = matrix[np.sort(rng.choice(n, min(sample, n), replace=False))]
    fits: dict[int, np.ndarray]
    if method == "ward":
        fits = _ward(_sample(matrix, ward_sample, seed), candidates)
    else:
        fits = {c: centroids_for(method, matrix, c, seed, ward_sample) for c in candidates}
    silhouette: dict[int, float] = {}
    stability: dict[int, float] = {}
    boot_size = min(n, sample if method == "ward" else 4 * sample)
    for c in candidates:
        labels, _ = nearest(evaluation, fits[c])
        distinct = len(np.unique(labels))
        silhouette[c] = float(silhouette_score(evaluation, labels)) if 1 < distinct < len(evaluation) else -1.0
        scores = []
        for b in range(boots):
            pair = []
            for side in range(2):
                draw = np.random.default_rng([seed, c, b, side]).integers(0, n, boot_size)
                cents = centroids_for(method, matrix[draw], c, seed + 1000 * b + side, ward_sample)
                pair.append(nearest(evaluation, cents)[0])
            scores.append(adjusted_rand_score(pair[0], pair[1]))
        stability[c] = float(np.mean(scores)) if scores else 1.0
    chosen = k if k is not None else _choose(silhouette, stability)
    return Fitted(fits[chosen], chosen, silhouette, stability)


def _choose(silhouette: dict[int, float], stability: dict[int, float]) -> int:
    stable = [c for c in silhouette if stability[c] >= STABLE]
    if stable:
        return max(stable, key=lambda c: (silhouette[c], -c))
    return max(stability, key=lambda c: (stability[c], -c))
