"""P(treated | X): known from the randomisation, the treated share, or estimated where the data says otherwise.

A randomised experiment needs no propensity model, and fitting one would only add noise. So by default the
propensity is the treated share, unless a balance check finds a feature whose mean (or a category's share)
differs between the groups by a standardised mean difference above ``SMD_LIMIT`` *and* beyond chance
(|z| > ``Z_LIMIT``). Then it is estimated by LightGBM, out of fold (no row's propensity comes from a model that
saw it), clipped to ``PROPENSITY_CLIP``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import lightgbm as lgb
import numpy as np
from sklearn.model_selection import StratifiedKFold

from callwise.uplift import boosters
from callwise.uplift.defaults import PROPENSITY, PROPENSITY_CLIP, SMD_LIMIT, Z_LIMIT
from callwise.uplift.errors import UpliftInputError


@dataclass
class Propensity:
    """Each fitted row's propensity, a booster for new rows (estimated only), and what the model card says."""

    rows: np.ndarray
    booster: lgb.Booster | None
    info: dict[str, Any]


def balance(X: np.ndarray, treatment: np.ndarray, names: list[str], categorical: list[int]) -> dict[str, Any]:
    """The feature (or category) whose distribution differs most between treated and control rows."""
    worst: dict[str, Any] = {"feature": None, "smd": 0.0, "z": 0.0}
    columns = []
    labels = []
    for j, name in enumerate(names):
        if j in categorical:  # each category's share is a 0/1 column
            codes = np.nan_to_num(X[:, j], nan=-1.0)
            for code in np.unique(codes):
                columns.append((codes == code).astype(np.float64))
                labels.append(name)
        else:
            columns.append(X[:, j])
            labels.append(name)
    if not columns:
        return worst
    M = np.column_stack(columns)
    a, b = M[treatment == 1], M[treatment == 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        diff = np.nanmean(a, axis=0) - np.nanmean(b, axis=0)
        va, vb = np.nanvar(a, axis=0), np.nanvar(b, axis=0)
        smd = np.nan_to_num(diff / np.sqrt((va + vb) / 2))
        z = np.nan_to_num(diff / np.sqrt(va / len(a) + vb / len(b)))
    j = int(np.argmax(np.where(np.abs(z) > Z_LIMIT, np.abs(smd), 0.0)))
    return {"feature": labels[j], "smd": round(float(smd[j]), 6), "z": round(float(z[j]), 3)}


def resolve(
    X: np.ndarray,
    treatment: np.ndarray,
    given: float | None,
    *,
    names: list[str],
    categorical: list[int],
    seed: int,
    threads: int,
) -> Propensity:
    """The propensity a fit uses, and why (``info``: ``source`` is ``given``, ``share`` or ``estimated``)."""
    if given is not None:
        if not 0 < given < 1:
            raise UpliftInputError("uplift.input.propensity", value=given)
        return Propensity(np.full(len(treatment), float(given)), None, {"source": "given", "value": float(given)})
    share = float(treatment.mean())
    check = balance(X, treatment, names, categorical)
    if abs(check["smd"]) <= SMD_LIMIT or abs(check["z"]) <= Z_LIMIT:
        info = {"source": "share", "value": round(share, 6), "balance": check}
        return Propensity(np.full(len(treatment), share), None, info)
    low, high = PROPENSITY_CLIP

    def train(rows: np.ndarray) -> lgb.Booster:
        return boosters.train(
            X[rows],
            treatment[rows],
            PROPENSITY,
            regression=False,
            names=names,
            categorical=categorical,
            seed=seed,
            threads=threads,
        )

    rows = np.empty(len(treatment))
    for fit_rows, held_out in StratifiedKFold(2, shuffle=True, random_state=seed).split(X, treatment):
        model = train(fit_rows)
        rows[held_out] = boosters.probability(model, X[held_out], threads)
    rows = np.clip(rows, low, high)
    info = {"source": "estimated", "value": round(float(rows.mean()), 6), "clip": [low, high], "balance": check}
    return Propensity(rows, train(np.arange(len(treatment))), info)
