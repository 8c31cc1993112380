"""Segment ids that stay the same across refreshes: ``S01``, ``S02``, … matched to the last fit by centroid.

The new segments' centroids are measured in the previous fit's standardised space (the new customers' rows put
through the old scaler, averaged per new segment) and paired with the old centroids by the Hungarian method
(``scipy.optimize.linear_sum_assignment``, least total distance). A paired segment keeps the old id (and any
name a person gave it); an unpaired one (k grew) takes the next unused number.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment


def segment_id(number: int) -> str:
    return f"S{number:02d}"


def first_ids(k: int) -> list[str]:
    return [segment_id(i + 1) for i in range(k)]


def matched_ids(new_centres: np.ndarray, old_centres: np.ndarray, old_ids: list[str]) -> list[str]:
    """The id of each new segment: the paired old one's, or a new number past every old one."""
    cost = np.sqrt(((new_centres[:, None, :] - old_centres[None, :, :]) ** 2).sum(axis=2))
    rows, cols = linear_sum_assignment(cost)
    ids: list[str | None] = [None] * len(new_centres)
    for r, c in zip(rows, cols, strict=True):
        ids[int(r)] = old_ids[int(c)]
    used = {int(i[1:]) for i in old_ids}
    following = max(used, default=0) + 1
    out = []
    for i in ids:
        if i is None:
            i, following = segment_id(following), following + 1
        out.append(i)
    return out
